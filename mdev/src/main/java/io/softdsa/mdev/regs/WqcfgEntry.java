package io.softdsa.mdev.regs;

import io.softdsa.device.registers.Opcap;

/**
 * One WQCFG entry decoded once from its register words ({@link WqcfgLayout}): what Enable WQ validates and latches.
 * Built by {@link #read}; the allowed-opcode bitmap is copied in and out.
 */
public record WqcfgEntry(int size, int threshold, boolean dedicated, boolean blockOnFault, boolean atsDisable,
                         boolean prsDisable, int priority, int pasid, boolean pasidEnable, boolean priv,
                         int maxTransferShift, int maxBatchShift, long[] opConfig) {
    public WqcfgEntry {
        if (opConfig.length != Opcap.WORDS) {
            throw new IllegalArgumentException("the allowed-opcode bitmap is " + Opcap.WORDS + " x 64 bits");
        }
        opConfig = opConfig.clone();
    }

    /** WQ {@code wq}'s entry as the register file holds it now. */
    public static WqcfgEntry read(Bar0Registers regs, int wq) {
        return decode(regs.wqcfgWord(wq, WqcfgLayout.SIZE), regs.wqcfgWord(wq, WqcfgLayout.THRESHOLD),
            regs.wqcfgWord(wq, WqcfgLayout.MODE_WORD), regs.wqcfgWord(wq, WqcfgLayout.LIMITS_WORD),
            regs.wqOpConfig(wq));
    }

    /** The entry of words 0-3 and the allowed-opcode bitmap (words 8-15). */
    public static WqcfgEntry decode(int sizeWord, int thresholdWord, int modeWord, int limitsWord, long[] opConfig) {
        return new WqcfgEntry(sizeWord & WqcfgLayout.SIZE_MASK, thresholdWord & WqcfgLayout.THRESHOLD_MASK,
            (modeWord & WqcfgLayout.MODE_DEDICATED) != 0, (modeWord & WqcfgLayout.BLOCK_ON_FAULT) != 0,
            (modeWord & WqcfgLayout.ATS_DISABLE) != 0, (modeWord & WqcfgLayout.PRS_DISABLE) != 0,
            WqcfgLayout.priority(modeWord), WqcfgLayout.pasid(modeWord), (modeWord & WqcfgLayout.PASID_ENABLE) != 0,
            (modeWord & WqcfgLayout.PRIV) != 0, WqcfgLayout.maxTransferShift(limitsWord),
            WqcfgLayout.maxBatchShift(limitsWord), opConfig);
    }

    @Override
    public long[] opConfig() {
        return opConfig.clone();
    }

    /** This entry with its allowed-opcode bitmap cut to what {@code opcap} offers. */
    public WqcfgEntry withinOpcap(long[] opcap) {
        final long[] ops = opConfig.clone();
        for (int i = 0; i < ops.length; i++) {
            ops[i] &= opcap[i];
        }
        return new WqcfgEntry(size, threshold, dedicated, blockOnFault, atsDisable, prsDisable, priority, pasid,
            pasidEnable, priv, maxTransferShift, maxBatchShift, ops);
    }
}
