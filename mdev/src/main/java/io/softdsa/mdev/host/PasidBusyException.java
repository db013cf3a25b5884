package io.softdsa.mdev.host;

/**
 * A PASID cannot be freed yet: a dedicated WQ is still programmed with it (the EBUSY an IOMMU driver answers to an
 * unbind while the device may still use the PASID). Disable the WQ (or reprogram it) first.
 */
public final class PasidBusyException extends IllegalStateException {
    private final int pasid;

    public PasidBusyException(int pasid, int wqs) {
        super("PASID " + pasid + " is programmed in " + wqs + " enabled dedicated WQ(s): disable them first");
        this.pasid = pasid;
    }

    public int pasid() {
        return pasid;
    }
}
