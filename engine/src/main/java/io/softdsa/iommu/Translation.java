package io.softdsa.iommu;

/**
 * One engine's translation request and result, reused for every access so the data path allocates nothing.
 * The request context (PASID enable, PASID, Priv) is set once per descriptor; each {@link Iommu#translate} call
 * fills the result fields.
 */
public final class Translation {
    /** Access kinds. */
    public static final int READ = 0;
    public static final int WRITE = 1;

    // request context, set per descriptor
    public boolean pasidEnabled;
    public int pasid;
    public boolean priv;

    // result of the last translate call
    /** Host-physical address of the first byte. */
    public long hostAddress;
    /** Bytes from {@link #hostAddress} that are host-physically contiguous and have the same translation status. */
    public long length;

    public Translation context(boolean pasidEnabled, int pasid, boolean priv) {
        this.pasidEnabled = pasidEnabled;
        this.pasid = pasid;
        this.priv = priv;
        return this;
    }
}
