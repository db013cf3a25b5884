package io.softdsa.device.config;

import java.util.Arrays;
import java.util.Objects;

/**
 * One work queue's configuration, as accel-config and WQCFG (fact sheet sections 11, 14, 16) describe it.
 * Immutable; build with {@link #builder(int)}. Range checks against the device happen in {@link DeviceConfig}.
 */
public final class WqConfig {
    /** Linux defaults (fact sheet section 11). */
    public static final int DEFAULT_SIZE = 16;
    public static final long DEFAULT_MAX_TRANSFER_SIZE = 2L << 20;
    public static final int DEFAULT_MAX_BATCH_SIZE = 32;

    private final int index;
    private final String name;
    private final WqMode mode;
    private final int size;
    private final int priority;
    private final int threshold;
    private final boolean blockOnFault;
    private final boolean pasidEnabled;
    private final int pasid;
    private final boolean priv;
    private final long maxTransferSize;
    private final int maxBatchSize;
    private final int groupId;
    private final String type;
    private final String driverName;
    private final boolean atsDisable;
    private final boolean prsDisable;
    private final long[] opConfig;

    private WqConfig(Builder b) {
        this.index = b.index;
        this.name = b.name;
        this.mode = b.mode;
        this.size = b.size;
        this.priority = b.priority;
        this.threshold = b.threshold < 0 ? (b.mode == WqMode.SHARED ? b.size : 0) : b.threshold;
        this.prsDisable = b.prsDisable;
        this.blockOnFault = b.blockOnFault && !b.prsDisable; // PRS disabled clears block on fault
        this.pasidEnabled = b.pasidEnabled;
        this.pasid = b.pasid;
        this.priv = b.priv;
        this.maxTransferSize = b.maxTransferSize;
        this.maxBatchSize = b.maxBatchSize;
        this.groupId = b.groupId;
        this.type = b.type;
        this.driverName = b.driverName;
        this.atsDisable = b.atsDisable;
        this.opConfig = b.opConfig == null ? null : b.opConfig.clone();
    }

    public static Builder builder(int index) {
        return new Builder(index);
    }

    public Builder toBuilder() {
        final Builder b = new Builder(index);
        b.name = name;
        b.mode = mode;
        b.size = size;
        b.priority = priority;
        b.threshold = threshold;
        b.blockOnFault = blockOnFault;
        b.pasidEnabled = pasidEnabled;
        b.pasid = pasid;
        b.priv = priv;
        b.maxTransferSize = maxTransferSize;
        b.maxBatchSize = maxBatchSize;
        b.groupId = groupId;
        b.type = type;
        b.driverName = driverName;
        b.atsDisable = atsDisable;
        b.prsDisable = prsDisable;
        b.opConfig = opConfig == null ? null : opConfig.clone();
        return b;
    }

    public int index() {
        return index;
    }

    public String name() {
        return name;
    }

    public WqMode mode() {
        return mode;
    }

    public boolean isShared() {
        return mode == WqMode.SHARED;
    }

    public boolean isDedicated() {
        return mode == WqMode.DEDICATED;
    }

    public int size() {
        return size;
    }

    public int priority() {
        return priority;
    }

    public int threshold() {
        return threshold;
    }

    public boolean blockOnFault() {
        return blockOnFault;
    }

    public boolean pasidEnabled() {
        return pasidEnabled;
    }

    public int pasid() {
        return pasid;
    }

    /** Dedicated WQ: the Priv of its requests. Shared WQ: whether privileged (Priv = 1) descriptors are allowed. */
    public boolean priv() {
        return priv;
    }

    public long maxTransferSize() {
        return maxTransferSize;
    }

    public int maxBatchSize() {
        return maxBatchSize;
    }

    public int groupId() {
        return groupId;
    }

    public String type() {
        return type;
    }

    public String driverName() {
        return driverName;
    }

    public boolean atsDisable() {
        return atsDisable;
    }

    public boolean prsDisable() {
        return prsDisable;
    }

    /** The per-WQ allowed-opcode bitmap (4 × 64 bits, bit n = opcode n), or null when every opcode is allowed. */
    public long[] opConfig() {
        return opConfig == null ? null : opConfig.clone();
    }

    public boolean opcodeAllowed(int opcode) {
        return opConfig == null || (opConfig[opcode >>> 6] & (1L << opcode)) != 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WqConfig w && index == w.index && Objects.equals(name, w.name) && mode == w.mode
            && size == w.size && priority == w.priority && threshold == w.threshold && blockOnFault == w.blockOnFault
            && pasidEnabled == w.pasidEnabled && pasid == w.pasid && priv == w.priv
            && maxTransferSize == w.maxTransferSize && maxBatchSize == w.maxBatchSize && groupId == w.groupId
            && Objects.equals(type, w.type) && Objects.equals(driverName, w.driverName) && atsDisable == w.atsDisable
            && prsDisable == w.prsDisable && Arrays.equals(opConfig, w.opConfig);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, name, mode, size, priority, threshold, groupId);
    }

    @Override
    public String toString() {
        return "WqConfig{wq" + index + " " + mode.accelConfigName() + " size=" + size + " prio=" + priority
            + " threshold=" + threshold + " bof=" + blockOnFault + " pasid=" + (pasidEnabled ? pasid : "off")
            + " priv=" + priv + " maxXfer=" + maxTransferSize + " maxBatch=" + maxBatchSize + " group=" + groupId
            + " name=" + name + "}";
    }

    /** Fluent builder; unset fields take the Linux defaults. */
    public static final class Builder {
        private final int index;
        private String name = "";
        private WqMode mode = WqMode.SHARED;
        private int size = DEFAULT_SIZE;
        private int priority = 10;
        private int threshold = -1;
        private boolean blockOnFault;
        private boolean pasidEnabled;
        private int pasid;
        private boolean priv;
        private long maxTransferSize = DEFAULT_MAX_TRANSFER_SIZE;
        private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
        private int groupId = -1;
        private String type = "user";
        private String driverName = "user";
        private boolean atsDisable;
        private boolean prsDisable;
        private long[] opConfig;

        private Builder(int index) {
            this.index = index;
        }

        public Builder name(String name) {
            this.name = Objects.requireNonNull(name);
            return this;
        }

        public Builder mode(WqMode mode) {
            this.mode = Objects.requireNonNull(mode);
            return this;
        }

        public Builder shared() {
            return mode(WqMode.SHARED);
        }

        public Builder dedicated() {
            return mode(WqMode.DEDICATED);
        }

        public Builder size(int size) {
            this.size = size;
            return this;
        }

        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        public Builder threshold(int threshold) {
            this.threshold = threshold;
            return this;
        }

        public Builder blockOnFault(boolean enabled) {
            this.blockOnFault = enabled;
            return this;
        }

        /** PASID enable; for a dedicated WQ also the PASID its descriptors use. */
        public Builder pasid(boolean enabled, int pasid) {
            this.pasidEnabled = enabled;
            this.pasid = pasid;
            return this;
        }

        public Builder pasidEnabled(boolean enabled) {
            this.pasidEnabled = enabled;
            return this;
        }

        public Builder priv(boolean priv) {
            this.priv = priv;
            return this;
        }

        public Builder maxTransferSize(long bytes) {
            this.maxTransferSize = bytes;
            return this;
        }

        public Builder maxBatchSize(int descriptors) {
            this.maxBatchSize = descriptors;
            return this;
        }

        public Builder group(int groupId) {
            this.groupId = groupId;
            return this;
        }

        public Builder type(String type) {
            this.type = Objects.requireNonNull(type);
            return this;
        }

        public Builder driverName(String driverName) {
            this.driverName = Objects.requireNonNull(driverName);
            return this;
        }

        public Builder atsDisable(boolean disable) {
            this.atsDisable = disable;
            return this;
        }

        public Builder prsDisable(boolean disable) {
            this.prsDisable = disable;
            return this;
        }

        /** Allowed-opcode bitmap (4 words, bit n = opcode n); null allows every opcode. */
        public Builder opConfig(long[] bitmap) {
            if (bitmap != null && bitmap.length != 4) {
                throw new IllegalArgumentException("op_config is 4 x 64 bits");
            }
            this.opConfig = bitmap == null ? null : bitmap.clone();
            return this;
        }

        public WqConfig build() {
            return new WqConfig(this);
        }
    }
}
