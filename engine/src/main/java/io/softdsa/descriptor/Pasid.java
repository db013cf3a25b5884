package io.softdsa.descriptor;

/**
 * The Process Address Space ID (PCIe, VT-d; fact sheet section 13): 20 bits wherever it appears (descriptor bits
 * 19:0, WQCFG, SWERR, the MSI-X permission table, page requests, the PASID table).
 */
public final class Pasid {
    public static final int BITS = 20;
    public static final int MASK = (1 << BITS) - 1;
    /** The largest PASID. */
    public static final int MAX = MASK;

    private Pasid() {
    }

    public static boolean isValid(int pasid) {
        return pasid >= 0 && pasid <= MAX;
    }
}
