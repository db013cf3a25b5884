package io.softdsa.completion;

/**
 * Layout of SWERR, the 256-bit software error register at BAR0 0xC0 (fact sheet section 11), as four 64-bit words.
 *
 * <pre>
 *  word 0: bit 0 valid | 1 overflow | 2 descriptor valid | 3 WQ index valid | 4 batch | 5 fault R/W | 6 Priv
 *          | 15:8 error code | 23:16 WQ index | 39:32 opcode | 59:40 PASID
 *  word 1: 15:0 batch index (bits 79:64) | 63:32 invalid flags (bits 127:96)
 *  word 2: fault address (bits 191:128)
 *  word 3: reserved
 * </pre>
 */
public final class SwerrLayout {
    public static final int WORDS = 4;
    public static final long VALID = 1L;
    public static final long OVERFLOW = 1L << 1;
    public static final long DESCRIPTOR_VALID = 1L << 2;
    public static final long WQ_INDEX_VALID = 1L << 3;
    public static final long BATCH = 1L << 4;
    public static final long FAULT_WRITE = 1L << 5;
    public static final long PRIV = 1L << 6;
    public static final int ERROR_CODE_SHIFT = 8;
    public static final int WQ_INDEX_SHIFT = 16;
    public static final int OPCODE_SHIFT = 32;
    public static final int PASID_SHIFT = 40;
    public static final int BATCH_INDEX_SHIFT = 0;   // in word 1
    public static final int INVALID_FLAGS_SHIFT = 32; // in word 1

    private SwerrLayout() {
    }
}
