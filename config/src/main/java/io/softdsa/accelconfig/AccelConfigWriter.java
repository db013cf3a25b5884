package io.softdsa.accelconfig;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.softdsa.device.config.ConfigException;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static io.softdsa.accelconfig.AccelConfigKeys.*;

/**
 * Device configurations written as accel-config saves them: a pretty-printed array of devices, {@code dev} first in
 * every object, groups holding their WQs and engines, WQs outside any group in {@code ungrouped_workqueues}, and
 * softdsa's own WQ keys only where they differ from their defaults.
 */
final class AccelConfigWriter {
    private AccelConfigWriter() {
    }

    /** @throws ConfigException if a WQ names a group the device does not have */
    static String write(List<DeviceConfig> devices) {
        final ArrayNode root = JsonText.MAPPER.createArrayNode();
        for (DeviceConfig d : devices) {
            root.add(deviceNode(d));
        }
        final DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        final DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.NONE));
        printer.indentObjectsWith(indenter);
        printer.indentArraysWith(indenter);
        try {
            return JsonText.MAPPER.writer(printer).writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new ConfigException("accel-config JSON: cannot write (" + e.getOriginalMessage() + ")");
        }
    }

    private static ObjectNode deviceNode(DeviceConfig d) {
        final int devIndex = d.deviceIndex();
        final ObjectNode node = JsonText.MAPPER.createObjectNode();
        node.put(DEV, d.name());
        node.put(READ_BUFFER_LIMIT, d.readBufferLimit());
        if (d.eventLogSize() != 0) {
            node.put(EVENT_LOG_SIZE, d.eventLogSize());
        }
        final Set<Integer> groupIds = new LinkedHashSet<>();
        if (!d.groups().isEmpty()) {
            final ArrayNode groups = node.putArray(GROUPS);
            for (GroupConfig g : d.groups()) {
                groupIds.add(g.id());
                groups.add(groupNode(d, devIndex, g));
            }
        }
        final List<WqConfig> ungrouped = d.wqs().stream().filter(w -> w.groupId() < 0).toList();
        if (!ungrouped.isEmpty()) {
            final ArrayNode wqs = node.putArray(UNGROUPED_WQS);
            ungrouped.forEach(w -> wqs.add(wqNode(devIndex, w)));
        }
        for (WqConfig w : d.wqs()) {
            if (w.groupId() >= 0 && !groupIds.contains(w.groupId())) {
                throw ConfigException.invalid("wq" + devIndex + "." + w.index(), GROUP_ID, w.groupId(),
                    "no such group in " + d.name());
            }
        }
        return node;
    }

    private static ObjectNode groupNode(DeviceConfig d, int devIndex, GroupConfig g) {
        final ObjectNode node = JsonText.MAPPER.createObjectNode();
        node.put(DEV, "group" + devIndex + "." + g.id());
        node.put(READ_BUFFERS_RESERVED, g.readBuffersReserved());
        node.put(USE_READ_BUFFER_LIMIT, g.useReadBufferLimit() ? 1 : 0);
        node.put(READ_BUFFERS_ALLOWED, g.readBuffersAllowed());
        node.put(TRAFFIC_CLASS_A, g.trafficClassA());
        node.put(TRAFFIC_CLASS_B, g.trafficClassB());
        node.put(DESC_PROGRESS_LIMIT, g.descProgressLimit());
        node.put(BATCH_PROGRESS_LIMIT, g.batchProgressLimit());
        final List<WqConfig> wqs = d.wqs().stream().filter(w -> w.groupId() == g.id()).toList();
        if (!wqs.isEmpty()) {
            final ArrayNode array = node.putArray(GROUPED_WQS);
            wqs.forEach(w -> array.add(wqNode(devIndex, w)));
        }
        if (!g.engines().isEmpty()) {
            final ArrayNode array = node.putArray(GROUPED_ENGINES);
            for (int e : g.engines()) {
                final ObjectNode engine = array.addObject();
                engine.put(DEV, "engine" + devIndex + "." + e);
                engine.put(GROUP_ID, g.id());
            }
        }
        return node;
    }

    /** Keys in accel-config's order, then softdsa's own when they differ from their defaults. */
    private static ObjectNode wqNode(int devIndex, WqConfig w) {
        final ObjectNode node = JsonText.MAPPER.createObjectNode();
        node.put(DEV, "wq" + devIndex + "." + w.index());
        node.put(MODE, w.mode().accelConfigName());
        node.put(SIZE, w.size());
        node.put(GROUP_ID, w.groupId());
        node.put(PRIORITY, w.priority());
        node.put(BLOCK_ON_FAULT, w.blockOnFault() ? 1 : 0);
        node.put(MAX_BATCH_SIZE, w.maxBatchSize());
        node.put(MAX_TRANSFER_SIZE, w.maxTransferSize());
        node.put(TYPE, w.type());
        node.put(NAME, w.name());
        node.put(DRIVER_NAME, w.driverName());
        node.put(THRESHOLD, w.threshold());
        node.put(PRS_DISABLE, w.prsDisable() ? 1 : 0);
        node.put(ATS_DISABLE, w.atsDisable() ? 1 : 0);
        final long[] opConfig = w.opConfig();
        if (opConfig != null) {
            node.put(OP_CONFIG, OpConfigBitmap.format(opConfig));
        }
        if (w.pasidEnabled() || w.pasid() != 0) {
            node.put(PASID_ENABLED, w.pasidEnabled() ? 1 : 0);
            node.put(PASID, w.pasid());
        }
        if (w.priv()) {
            node.put(PRIV, 1);
        }
        return node;
    }}
