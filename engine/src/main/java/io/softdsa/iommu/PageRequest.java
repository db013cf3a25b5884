package io.softdsa.iommu;

/**
 * A PCIe PRI page request for a block-on-fault fault (fact sheet section 13): the PASID, the page (address bits 63:12),
 * the access wanted, Priv, last-in-group, and the 9-bit page request group index the response must echo.
 */
public record PageRequest(int pasid, long pageAddress, boolean read, boolean write, boolean privileged,
                          boolean lastInGroup, int groupIndex) {
    /** Page group response codes. */
    public static final int RESPONSE_SUCCESS = 0x0;
    public static final int RESPONSE_INVALID_REQUEST = 0x1;
    public static final int RESPONSE_FAILURE = 0xF;
}
