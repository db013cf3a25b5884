package io.softdsa.mdev.guest;

/**
 * How the guest driver configures one WQ (what accel-config would write into WQCFG).
 *
 * @param pasid guest PASID for a dedicated WQ with PASID enabled (ignored otherwise)
 */
public record WqSetup(int wq, boolean dedicated, int size, int threshold, int priority, boolean blockOnFault,
                      boolean pasidEnabled, int pasid, boolean priv, int maxTransferShift, int maxBatchShift,
                      int group) {
    /** A shared WQ for SVA clients (PASID enabled), Linux defaults: 2 MiB transfers, batches of 32. */
    public static WqSetup shared(int wq, int size, int group) {
        return new WqSetup(wq, false, size, size, 10, false, true, 0, false, 21, 5, group);
    }

    /** A dedicated WQ with PASID disabled: the guest kernel's DMA with guest-physical addresses. */
    public static WqSetup dedicatedKernel(int wq, int size, int group) {
        return new WqSetup(wq, true, size, 0, 10, false, false, 0, false, 21, 5, group);
    }

    /** A dedicated WQ for one guest PASID. */
    public static WqSetup dedicatedPasid(int wq, int size, int group, int guestPasid) {
        return new WqSetup(wq, true, size, 0, 10, false, true, guestPasid, false, 21, 5, group);
    }

    public WqSetup withBlockOnFault(boolean bof) {
        return new WqSetup(wq, dedicated, size, threshold, priority, bof, pasidEnabled, pasid, priv, maxTransferShift,
            maxBatchShift, group);
    }

    public WqSetup withLimits(int transferShift, int batchShift) {
        return new WqSetup(wq, dedicated, size, threshold, priority, blockOnFault, pasidEnabled, pasid, priv,
            transferShift, batchShift, group);
    }

    public WqSetup withPriority(int p) {
        return new WqSetup(wq, dedicated, size, threshold, p, blockOnFault, pasidEnabled, pasid, priv,
            maxTransferShift, maxBatchShift, group);
    }

    public WqSetup withPriv(boolean p) {
        return new WqSetup(wq, dedicated, size, threshold, priority, blockOnFault, pasidEnabled, pasid, p,
            maxTransferShift, maxBatchShift, group);
    }

    public WqSetup withPasid(boolean enabled, int guestPasid) {
        return new WqSetup(wq, dedicated, size, threshold, priority, blockOnFault, enabled, guestPasid, priv,
            maxTransferShift, maxBatchShift, group);
    }
}
