package io.softdsa.mdev.regs;

import io.softdsa.descriptor.Pasid;

/**
 * One WQCFG entry (fact sheet section 14): 64 bytes (WQCAP bits 27:24 = 1) of 32-bit words, since the virtual
 * device has per-WQ operation configuration.
 *
 * <pre>
 *  word 0  +0x00  15:0 WQ size                                                    RW
 *  word 1  +0x04  15:0 threshold                                                  RW
 *  word 2  +0x08  0 mode (1 dedicated) | 1 BOF | 2 ATS disable | 3 PRS disable
 *                 | 7:4 priority | 27:8 PASID | 28 PASID enable | 29 Priv          RW
 *  word 3  +0x0C  4:0 max transfer shift | 8:5 max batch shift                    RW
 *  word 4  +0x10  15:0 occupancy interrupt threshold | 16 table select            RO 0 (no occupancy interrupt)
 *  word 5  +0x14  15:0 occupancy limit | 16 occupancy interrupt enable            RO 0
 *  word 6  +0x18  15:0 occupancy | 16 occupancy interrupt | 29 mode support
 *                 | 31:30 WQ state (1 = enabled)                                  RO
 *  word 7  +0x1C  reserved                                                        RO 0
 *  words 8-15 +0x20  256-bit allowed-opcode bitmap                                RW where OPCAP has the bit
 * </pre>
 */
public final class WqcfgLayout {
    public static final int STRIDE = 64;
    /** WQCAP bits 27:24: entry = 2^(n + 5) bytes. */
    public static final int WQCAP_SIZE_CODE = 1;

    public static final int SIZE = 0x00;
    public static final int THRESHOLD = 0x04;
    public static final int MODE_WORD = 0x08;
    public static final int LIMITS_WORD = 0x0C;
    public static final int OCCUPANCY_INT_WORD = 0x10;
    public static final int OCCUPANCY_LIMIT_WORD = 0x14;
    public static final int STATUS_WORD = 0x18;
    public static final int OP_CONFIG = 0x20;
    public static final int OP_CONFIG_BYTES = 32;

    public static final int SIZE_MASK = 0xFFFF;
    public static final int THRESHOLD_MASK = 0xFFFF;

    public static final int MODE_DEDICATED = 1;
    public static final int BLOCK_ON_FAULT = 1 << 1;
    public static final int ATS_DISABLE = 1 << 2;
    public static final int PRS_DISABLE = 1 << 3;
    public static final int PRIORITY_SHIFT = 4;
    public static final int PRIORITY_MASK = 0xF;
    public static final int PASID_SHIFT = 8;
    public static final int PASID_MASK = Pasid.MASK;
    public static final int PASID_ENABLE = 1 << 28;
    public static final int PRIV = 1 << 29;
    public static final long MODE_WORD_RW_MASK = 0x3FFF_FFFFL;

    public static final int MAX_TRANSFER_SHIFT_MASK = 0x1F;
    public static final int MAX_BATCH_SHIFT_SHIFT = 5;
    public static final int MAX_BATCH_SHIFT_MASK = 0xF;
    public static final long LIMITS_WORD_RW_MASK = 0x1FF;

    public static final int OCCUPANCY_MASK = 0xFFFF;
    public static final int MODE_SUPPORT = 1 << 29;
    public static final int STATE_SHIFT = 30;
    public static final int STATE_DISABLED = 0;
    public static final int STATE_ENABLED = 1;

    private WqcfgLayout() {
    }

    public static int priority(int modeWord) {
        return (modeWord >>> PRIORITY_SHIFT) & PRIORITY_MASK;
    }

    public static int pasid(int modeWord) {
        return (modeWord >>> PASID_SHIFT) & PASID_MASK;
    }

    public static int maxTransferShift(int limitsWord) {
        return limitsWord & MAX_TRANSFER_SHIFT_MASK;
    }

    public static int maxBatchShift(int limitsWord) {
        return (limitsWord >>> MAX_BATCH_SHIFT_SHIFT) & MAX_BATCH_SHIFT_MASK;
    }

    /** Builds word 2. */
    public static int modeWord(boolean dedicated, boolean bof, int priority, boolean pasidEnable, int pasid,
                               boolean priv) {
        return (dedicated ? MODE_DEDICATED : 0) | (bof ? BLOCK_ON_FAULT : 0) | ((priority & PRIORITY_MASK) << PRIORITY_SHIFT)
            | ((pasid & PASID_MASK) << PASID_SHIFT) | (pasidEnable ? PASID_ENABLE : 0) | (priv ? PRIV : 0);
    }

    /** Builds word 3. */
    public static int limitsWord(int maxTransferShift, int maxBatchShift) {
        return (maxTransferShift & MAX_TRANSFER_SHIFT_MASK) | ((maxBatchShift & MAX_BATCH_SHIFT_MASK) << MAX_BATCH_SHIFT_SHIFT);
    }
}
