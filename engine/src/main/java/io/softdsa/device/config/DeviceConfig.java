package io.softdsa.device.config;

import io.softdsa.descriptor.Pasid;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A whole device's configuration as accel-config holds it: groups with their engines and WQs. Build it in code with
 * {@link #builder(String)}, or load it from accel-config's saved JSON (the softdsa-config module; the engine reads no
 * files). {@link #validate(DeviceCapabilities)} applies the kernel's rules and returns the normalised configuration
 * the device runs with.
 */
public final class DeviceConfig {
    private final String name;
    private final int readBufferLimit;
    private final int eventLogSize;
    private final List<GroupConfig> groups;
    private final List<WqConfig> wqs;

    private DeviceConfig(String name, int readBufferLimit, int eventLogSize, List<GroupConfig> groups,
                         List<WqConfig> wqs) {
        this.name = name;
        this.readBufferLimit = readBufferLimit;
        this.eventLogSize = eventLogSize;
        this.groups = List.copyOf(groups);
        final List<WqConfig> sorted = new ArrayList<>(wqs);
        sorted.sort(Comparator.comparingInt(WqConfig::index));
        this.wqs = List.copyOf(sorted);
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** One group of {@code engines} engines serving one WQ 0 of {@code mode} and {@code size}. */
    public static DeviceConfig singleWq(WqMode mode, int size, int engines) {
        final Integer[] ids = new Integer[engines];
        for (int i = 0; i < engines; i++) {
            ids[i] = i;
        }
        return builder("dsa0")
            .group(GroupConfig.of(0, ids))
            .wq(WqConfig.builder(0).mode(mode).size(size).group(0).name("wq0.0")
                .maxTransferSize(1L << 31).maxBatchSize(1024).build())
            .build();
    }

    public String name() {
        return name;
    }

    public int readBufferLimit() {
        return readBufferLimit;
    }

    public int eventLogSize() {
        return eventLogSize;
    }

    public List<GroupConfig> groups() {
        return groups;
    }

    public List<WqConfig> wqs() {
        return wqs;
    }

    public Optional<WqConfig> wq(int index) {
        return wqs.stream().filter(w -> w.index() == index).findFirst();
    }

    /** This configuration with WQ {@code wq.index()} replaced (or added); not validated. */
    public DeviceConfig withWq(WqConfig wq) {
        final List<WqConfig> list = new ArrayList<>();
        for (WqConfig w : wqs) {
            if (w.index() != wq.index()) {
                list.add(w);
            }
        }
        list.add(wq);
        return new DeviceConfig(name, readBufferLimit, eventLogSize, groups, list);
    }

    public Optional<GroupConfig> group(int id) {
        return groups.stream().filter(g -> g.id() == id).findFirst();
    }

    /** The device index N of a "dsaN" name (0 if the name has no number). */
    public int deviceIndex() {
        final String digits = name.replaceAll("\\D", "");
        return digits.isEmpty() ? 0 : Integer.parseInt(digits);
    }

    /**
     * Checks every rule the kernel enforces and returns the configuration with transfer and batch sizes rounded up
     * to powers of two and capped at the device maximum.
     *
     * @throws ConfigException naming the object, key and value at fault
     */
    public DeviceConfig validate(DeviceCapabilities caps) {
        final BitSet groupIds = new BitSet();
        final BitSet engineIds = new BitSet();
        for (GroupConfig g : groups) {
            final String obj = "group" + deviceIndex() + "." + g.id();
            if (g.id() < 0 || g.id() >= caps.maxGroups()) {
                throw ConfigException.invalid(obj, "id", g.id(), "0.." + (caps.maxGroups() - 1));
            }
            if (groupIds.get(g.id())) {
                throw ConfigException.invalid(obj, "id", g.id(), "duplicate group");
            }
            groupIds.set(g.id());
            for (int e : g.engines()) {
                if (e < 0 || e >= caps.maxEngines()) {
                    throw ConfigException.invalid("engine" + deviceIndex() + "." + e, "id", e,
                        "0.." + (caps.maxEngines() - 1));
                }
                if (engineIds.get(e)) {
                    throw ConfigException.invalid("engine" + deviceIndex() + "." + e, "group_id", g.id(),
                        "an engine belongs to at most one group");
                }
                engineIds.set(e);
            }
            if (g.readBuffersAllowed() < 0 || g.readBuffersReserved() < 0) {
                throw ConfigException.invalid(obj, "read_buffers", g.readBuffersAllowed(), "non-negative");
            }
        }
        final BitSet wqIds = new BitSet();
        final List<WqConfig> normalised = new ArrayList<>();
        long totalSize = 0;
        for (WqConfig w : wqs) {
            final String obj = "wq" + deviceIndex() + "." + w.index();
            if (w.index() < 0 || w.index() >= caps.maxWqs()) {
                throw ConfigException.invalid(obj, "id", w.index(), "0.." + (caps.maxWqs() - 1));
            }
            if (wqIds.get(w.index())) {
                throw ConfigException.invalid(obj, "id", w.index(), "duplicate WQ");
            }
            wqIds.set(w.index());
            if (w.size() < 0 || w.size() > caps.totalWqSize()) {
                throw ConfigException.invalid(obj, "size", w.size(), "0.." + caps.totalWqSize());
            }
            totalSize += w.size();
            if (w.priority() < 0 || w.priority() > 15) {
                throw ConfigException.invalid(obj, "priority", w.priority(), "0..15");
            }
            if (w.isShared()) {
                if (w.size() > 0 && (w.threshold() < 1 || w.threshold() > w.size())) {
                    throw ConfigException.invalid(obj, "threshold", w.threshold(),
                        "a shared WQ needs 1..size (" + w.size() + ")");
                }
            } else if (w.threshold() != 0) {
                throw ConfigException.invalid(obj, "threshold", w.threshold(), "only shared WQs have a threshold");
            }
            if (w.groupId() < -1 || (w.groupId() >= 0 && !groupIds.get(w.groupId()))) {
                throw ConfigException.invalid(obj, "group_id", w.groupId(), "-1 or a configured group");
            }
            if (w.maxTransferSize() <= 0) {
                throw ConfigException.invalid(obj, "max_transfer_size", w.maxTransferSize(), "non-zero");
            }
            if (w.maxBatchSize() <= 0) {
                throw ConfigException.invalid(obj, "max_batch_size", w.maxBatchSize(), "non-zero");
            }
            if (!Pasid.isValid(w.pasid())) {
                throw ConfigException.invalid(obj, "pasid", w.pasid(), "20 bits");
            }
            if (w.blockOnFault() && !caps.blockOnFault()) {
                throw ConfigException.invalid(obj, "block_on_fault", 1, "device has no block-on-fault capability");
            }
            normalised.add(w.toBuilder()
                .maxTransferSize(roundUpPow2(Math.min(w.maxTransferSize(), caps.maxTransferSize())))
                .maxBatchSize((int) roundUpPow2(Math.min(w.maxBatchSize(), caps.maxBatchSize())))
                .build());
        }
        if (totalSize > caps.totalWqSize()) {
            throw ConfigException.invalid("dsa" + deviceIndex(), "size", totalSize,
                "sum of WQ sizes exceeds the total WQ size " + caps.totalWqSize());
        }
        return new DeviceConfig(name, readBufferLimit, eventLogSize, groups, normalised);
    }

    private static long roundUpPow2(long v) {
        return v <= 1 ? 1 : Long.highestOneBit(v - 1) << 1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceConfig d && name.equals(d.name) && readBufferLimit == d.readBufferLimit
            && eventLogSize == d.eventLogSize && groups.equals(d.groups) && wqs.equals(d.wqs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, groups, wqs);
    }

    @Override
    public String toString() {
        return "DeviceConfig{" + name + " groups=" + groups + " wqs=" + wqs + "}";
    }

    /** Fluent builder of a device configuration. */
    public static final class Builder {
        private final String name;
        private int readBufferLimit;
        private int eventLogSize;
        private final List<GroupConfig> groups = new ArrayList<>();
        private final List<WqConfig> wqs = new ArrayList<>();

        private Builder(String name) {
            this.name = Objects.requireNonNull(name);
        }

        public Builder readBufferLimit(int limit) {
            this.readBufferLimit = limit;
            return this;
        }

        public Builder eventLogSize(int size) {
            this.eventLogSize = size;
            return this;
        }

        public Builder group(GroupConfig group) {
            groups.add(group);
            return this;
        }

        public Builder wq(WqConfig wq) {
            wqs.add(wq);
            return this;
        }

        public DeviceConfig build() {
            return new DeviceConfig(name, readBufferLimit, eventLogSize, groups, wqs);
        }
    }
}
