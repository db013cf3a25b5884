package io.softdsa.accelconfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.softdsa.device.config.ConfigException;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.device.config.WqMode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.softdsa.accelconfig.AccelConfigKeys.*;
import static io.softdsa.accelconfig.JsonValues.*;

/**
 * One device object of an accel-config file turned into a {@link DeviceConfig} (not yet validated): its groups, each
 * with its engines and WQs, and the ungrouped engines and WQs. Every key is checked where it is read; a WQ or engine
 * named twice, or sitting in a group its group_id denies, is refused. Fail-fast, or collecting each bad group, engine
 * and WQ and going on (for {@code accel-config load-config}'s every-problem listing).
 */
final class DeviceReader {
    private static final Pattern SUB_NAME = Pattern.compile("(wq|group|engine)(0|[1-9][0-9]{0,5})\\.(0|[1-9][0-9]{0,4})");
    private static final List<String> WQ_TYPES = List.of("none", "kernel", "user", "mdev");

    private DeviceReader() {
    }

    /**
     * With {@code problems} null the first problem throws; otherwise each group, engine and WQ that fails is
     * recorded there and left out, and parsing goes on.
     */
    static DeviceConfig device(ObjectNode d, String dev, int devIndex, DeviceCapabilities caps,
                               List<String> problems) {
        final DeviceConfig.Builder b = DeviceConfig.builder(dev)
            .readBufferLimit(intIn(d, dev, oneOf(d, dev, READ_BUFFER_LIMIT, TOKEN_LIMIT), 0, 0, 255))
            .eventLogSize(intIn(d, dev, EVENT_LOG_SIZE, 0, 0, 0xFFFF));
        final Map<Integer, String> wqHomes = new HashMap<>();
        final Map<Integer, String> engineHomes = new HashMap<>();
        final Set<Integer> groupIds = new LinkedHashSet<>();
        final List<JsonNode> groups = array(d, dev, GROUPS);
        for (int j = 0; j < groups.size(); j++) {
            final int at = j;
            collect(problems, () -> parseGroup(groups.get(at), at, b, dev, devIndex, caps, groupIds, wqHomes,
                engineHomes, problems));
        }
        final List<JsonNode> ungroupedEngines = array(d, dev, UNGROUPED_ENGINES);
        for (int k = 0; k < ungroupedEngines.size(); k++) {
            final int at = k;
            collect(problems, () -> parseEngine(ungroupedEngines.get(at), dev + " " + UNGROUPED_ENGINES + "[" + at + "]",
                devIndex, -1, dev + " " + UNGROUPED_ENGINES, engineHomes)); // DeviceConfig holds grouped engines only
        }
        for (String key : List.of(UNGROUPED_WQS, UNGROUPED_WQS_LISTED)) {
            final List<JsonNode> wqNodes = array(d, dev, key);
            for (int k = 0; k < wqNodes.size(); k++) {
                final int at = k;
                collect(problems, () -> b.wq(parseWq(wqNodes.get(at), dev + " " + key + "[" + at + "]", devIndex, -1,
                    dev + " " + key, wqHomes, caps)));
            }
        }
        return b.build();
    }

    /** Runs {@code step}; a ConfigException is thrown on ({@code problems} null) or recorded. */
    private static void collect(List<String> problems, Runnable step) {
        if (problems == null) {
            step.run();
            return;
        }
        try {
            step.run();
        } catch (ConfigException e) {
            problems.add(e.getMessage());
        }
    }

    private static void parseGroup(JsonNode node, int j, DeviceConfig.Builder b, String dev, int devIndex,
                                   DeviceCapabilities caps, Set<Integer> groupIds, Map<Integer, String> wqHomes,
                                   Map<Integer, String> engineHomes, List<String> problems) {
        {
            final String where = dev + " " + GROUPS + "[" + j + "]";
            final ObjectNode g = object(node, where, "group");
            final int gid = subIndex(g, where, "group", devIndex);
            final String gname = "group" + devIndex + "." + gid;
            if (!groupIds.add(gid)) {
                throw ConfigException.invalid(gname, DEV, show(g.get(DEV)), "the group appears twice");
            }
            final List<Integer> engines = new ArrayList<>();
            final List<JsonNode> engineNodes = array(g, gname, GROUPED_ENGINES);
            for (int k = 0; k < engineNodes.size(); k++) {
                final int at = k;
                collect(problems, () -> engines.add(parseEngine(engineNodes.get(at),
                    gname + " " + GROUPED_ENGINES + "[" + at + "]", devIndex, gid, gname, engineHomes)));
            }
            final GroupConfig defaults = GroupConfig.of(gid);
            b.group(new GroupConfig(gid, engines,
                optionalIntIn(g, gname, oneOf(g, gname, READ_BUFFERS_RESERVED, TOKENS_RESERVED),
                    defaults.readBuffersReserved(), 0, 255),
                optionalIntIn(g, gname, oneOf(g, gname, USE_READ_BUFFER_LIMIT, USE_TOKEN_LIMIT),
                    defaults.useReadBufferLimit() ? 1 : 0, 0, 1) != 0,
                optionalIntIn(g, gname, oneOf(g, gname, READ_BUFFERS_ALLOWED, TOKENS_ALLOWED),
                    defaults.readBuffersAllowed(), 0, 255),
                optionalIntIn(g, gname, TRAFFIC_CLASS_A, defaults.trafficClassA(), 0, 7),
                optionalIntIn(g, gname, TRAFFIC_CLASS_B, defaults.trafficClassB(), 0, 7),
                optionalIntIn(g, gname, DESC_PROGRESS_LIMIT, defaults.descProgressLimit(), 0, 3),
                optionalIntIn(g, gname, BATCH_PROGRESS_LIMIT, defaults.batchProgressLimit(), 0, 3)));
            final List<JsonNode> wqNodes = array(g, gname, GROUPED_WQS);
            for (int k = 0; k < wqNodes.size(); k++) {
                final int at = k;
                collect(problems, () -> b.wq(parseWq(wqNodes.get(at), gname + " " + GROUPED_WQS + "[" + at + "]",
                    devIndex, gid, gname, wqHomes, caps)));
            }
        }
    }

    /** One engine object; returns its index. {@code group} is the enclosing group's id, -1 for ungrouped engines. */
    private static int parseEngine(JsonNode node, String where, int devIndex, int group, String home,
                                   Map<Integer, String> engineHomes) {
        final ObjectNode e = object(node, where, "engine");
        final int index = subIndex(e, where, "engine", devIndex);
        place(e, "engine" + devIndex + "." + index, index, "engine", group, home, engineHomes,
            "an ungrouped engine has group_id -1");
        return index;
    }

    /**
     * Claims {@code index} for the object found at {@code home} and checks its group_id against the enclosing group
     * ({@code group}, -1 outside any): an engine or WQ named twice, or whose group_id denies where it sits, is refused.
     */
    private static void place(ObjectNode o, String name, int index, String what, int group, String home,
                              Map<Integer, String> homes, String outsideRule) {
        final String previous = homes.putIfAbsent(index, home);
        if (previous != null) {
            throw ConfigException.invalid(name, DEV, show(o.get(DEV)),
                "the " + what + " appears twice (in " + previous + " and " + home + ")");
        }
        final int groupId = intIn(o, name, GROUP_ID, group, -1, Integer.MAX_VALUE);
        if (groupId != group) {
            throw ConfigException.invalid(name, GROUP_ID, groupId,
                group < 0 ? outsideRule : "the " + what + " sits in " + home);
        }
    }

    /** One WQ object. {@code group} is the enclosing group's id, -1 for ungrouped WQs. */
    private static WqConfig parseWq(JsonNode node, String where, int devIndex, int group, String home,
                                    Map<Integer, String> wqHomes, DeviceCapabilities caps) {
        final ObjectNode w = object(node, where, "WQ");
        final int index = subIndex(w, where, "wq", devIndex);
        final String name = "wq" + devIndex + "." + index;
        place(w, name, index, "WQ", group, home, wqHomes, "a WQ outside any group has group_id -1");
        final WqConfig.Builder b = WqConfig.builder(index).group(group);

        WqMode mode = WqMode.SHARED;
        final String modeName = string(w, name, MODE, null);
        if (modeName != null) {
            mode = switch (modeName) {
                case "shared" -> WqMode.SHARED;
                case "dedicated" -> WqMode.DEDICATED;
                default -> throw ConfigException.invalid(name, MODE, show(w.get(MODE)),
                    "\"shared\" or \"dedicated\"");
            };
            b.mode(mode);
        }
        final int size = intIn(w, name, SIZE, WqConfig.DEFAULT_SIZE, 0, Integer.MAX_VALUE);
        b.size(size);
        if (w.has(THRESHOLD)) {
            final int threshold = intIn(w, name, THRESHOLD, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
            if (mode == WqMode.DEDICATED) {
                if (threshold != 0) {
                    throw ConfigException.invalid(name, THRESHOLD, threshold, "only shared WQs have a threshold");
                }
            } else if (size == 0 ? threshold != 0 : threshold < 1 || threshold > size) {
                throw ConfigException.invalid(name, THRESHOLD, threshold,
                    "a shared WQ needs 1..size (" + size + ")");
            }
            b.threshold(threshold);
        } // absent: WqConfig takes size for a shared WQ, 0 for a dedicated one
        b.priority(intIn(w, name, PRIORITY, 10, Integer.MIN_VALUE, Integer.MAX_VALUE)); // range: DeviceConfig
        b.blockOnFault(flag(w, name, BLOCK_ON_FAULT, false));
        b.maxBatchSize((int) positiveCapped(w, name, MAX_BATCH_SIZE, WqConfig.DEFAULT_MAX_BATCH_SIZE,
            caps.maxBatchSize()));
        b.maxTransferSize(positiveCapped(w, name, MAX_TRANSFER_SIZE, WqConfig.DEFAULT_MAX_TRANSFER_SIZE,
            caps.maxTransferSize()));
        final String type = string(w, name, TYPE, "user");
        if (!WQ_TYPES.contains(type)) {
            throw ConfigException.invalid(name, TYPE, show(w.get(TYPE)), "one of " + WQ_TYPES);
        }
        b.type(type);
        b.name(string(w, name, NAME, ""));
        b.driverName(string(w, name, DRIVER_NAME, "user"));
        b.atsDisable(flag(w, name, ATS_DISABLE, false));
        b.prsDisable(flag(w, name, PRS_DISABLE, false));
        if (w.has(OP_CONFIG)) {
            b.opConfig(OpConfigBitmap.parse(w.get(OP_CONFIG), name));
        }
        b.pasid(flag(w, name, PASID_ENABLED, false), intIn(w, name, PASID, 0, 0, Integer.MAX_VALUE)); // 20 bits: DeviceConfig
        b.priv(flag(w, name, PRIV, false));
        return b.build();
    }

    /** The Q of "wqN.Q" (or G of "groupN.G", E of "engineN.E"), checking the prefix and that N is the device's. */
    private static int subIndex(ObjectNode o, String where, String prefix, int devIndex) {
        final String dev = devName(o, where);
        final Matcher m = SUB_NAME.matcher(dev);
        if (!m.matches() || !m.group(1).equals(prefix)) {
            throw ConfigException.invalid(where, DEV, show(o.get(DEV)), "a name " + prefix + "N.M is required");
        }
        if (Integer.parseInt(m.group(2)) != devIndex) {
            throw ConfigException.invalid(where, DEV, show(o.get(DEV)),
                "belongs to device " + m.group(2) + ", not dsa" + devIndex);
        }
        return Integer.parseInt(m.group(3));
    }
}
