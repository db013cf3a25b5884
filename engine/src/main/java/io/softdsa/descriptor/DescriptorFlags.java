package io.softdsa.descriptor;

/** Descriptor flags (bytes 4-6): generic bits 15:0 and operation-specific bits 23:16 ({@code IDXD_OP_FLAG_*}). */
public final class DescriptorFlags {
    public static final int FENCE = 0x0001;
    public static final int BLOCK_ON_FAULT = 0x0002;
    public static final int COMPLETION_ADDRESS_VALID = 0x0004;
    public static final int REQUEST_COMPLETION_RECORD = 0x0008;
    public static final int REQUEST_COMPLETION_INTERRUPT = 0x0010;
    public static final int COMPLETION_STEERING_TAG = 0x0020;
    public static final int RESERVED_BIT_6 = 0x0040;
    public static final int CHECK_RESULT = 0x0080;
    public static final int CACHE_CONTROL = 0x0100;
    public static final int ADDRESS1_TRAFFIC_CLASS = 0x0200;
    public static final int ADDRESS2_TRAFFIC_CLASS = 0x0400;
    public static final int ADDRESS3_TRAFFIC_CLASS = 0x0800;
    public static final int COMPLETION_TRAFFIC_CLASS = 0x1000;
    public static final int STRICT_ORDERING = 0x2000;
    public static final int DESTINATION_READBACK = 0x4000;
    public static final int DESTINATION_STEERING_TAG = 0x8000;

    /** CRC generation / copy with CRC: read the seed from the seed address. */
    public static final int CRC_SEED_FROM_MEMORY = 1 << 16;
    /** CRC generation / copy with CRC: bypass CRC inversion and reflection. */
    public static final int CRC_BYPASS_INVERSION = 1 << 17;
    /** CRC generation / copy with CRC: bypass data reflection. */
    public static final int CRC_BYPASS_DATA_REFLECTION = 1 << 18;
    /** Drain: readback address 1 / 2 valid; suppress implicit readback of traffic class A / B. */
    public static final int DRAIN_READBACK1 = 1 << 16;
    public static final int DRAIN_READBACK2 = 1 << 17;
    public static final int DRAIN_SUPPRESS_TC_A = 1 << 18;
    public static final int DRAIN_SUPPRESS_TC_B = 1 << 19;
    /** Dualcast: destination 2 steering-tag selector. */
    public static final int DUALCAST_DESTINATION2_STEERING = 1 << 16;
    /** Fill: 16-byte pattern (DSA 2.0). */
    public static final int FILL_PATTERN_16 = 1 << 18;

    private DescriptorFlags() {
    }
}
