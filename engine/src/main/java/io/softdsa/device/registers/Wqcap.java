package io.softdsa.device.registers;

import io.softdsa.memory.BitField;

import static io.softdsa.memory.BitField.bit;
import static io.softdsa.memory.BitField.bits;

/**
 * WQCAP, the work-queue capability register (BAR0 0x20, 64 bits, fact sheet section 14).
 *
 * <pre>
 *   63   56 55 54 53 52 51 50 49 48 47    28 27  24 23    16 15              0
 *  +-------+--+--+--+--+--+--+--+--+--------+------+--------+-----------------+
 *  |   -   |PR|OC|OI|OU|PT|AT|DE|SH|   -    |cfgsz |  WQs   |  total WQ size  |
 *  +-------+--+--+--+--+--+--+--+--+--------+------+--------+-----------------+
 *  cfgsz: a WQCFG entry is 2^(n + 5) bytes; SH shared mode, DE dedicated mode, AT ATS, PT priority, OU occupancy,
 *  OI occupancy interrupt, OC per-WQ operation configuration, PR page request service
 * </pre>
 */
public final class Wqcap {
    public static final BitField TOTAL_WQ_SIZE = bits(15, 0);
    public static final BitField WQS = bits(23, 16);
    public static final BitField WQCFG_SIZE = bits(27, 24);
    public static final BitField SHARED = bit(48);
    public static final BitField DEDICATED = bit(49);
    public static final BitField ATS = bit(50);
    public static final BitField PRIORITY = bit(51);
    public static final BitField OCCUPANCY = bit(52);
    public static final BitField OCCUPANCY_INTERRUPT = bit(53);
    public static final BitField OP_CONFIG = bit(54);
    public static final BitField PRS = bit(55);

    /** WQCFG_SIZE n means entries of 2^(n + WQCFG_SIZE_BIAS) bytes. */
    public static final int WQCFG_SIZE_BIAS = 5;

    private Wqcap() {
    }

    /** Bytes of one WQCFG entry as {@code wqcap} says. */
    public static int wqcfgBytes(long wqcap) {
        return 1 << (WQCFG_SIZE.getInt(wqcap) + WQCFG_SIZE_BIAS);
    }
}
