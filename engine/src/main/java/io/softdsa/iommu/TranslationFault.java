package io.softdsa.iommu;

/**
 * What a translation or a page request answers when it does not succeed ({@link Iommu#OK} when it does), in the
 * IOMMU's own terms (VT-d's fault reasons, coarsened to what a DSA completion distinguishes). The device maps them to
 * completion statuses in one place ({@code ops.Dma}); translation never speaks the completion record's language.
 */
public final class TranslationFault {
    /**
     * The page is not present or the access is not permitted (a leaf, or a table entry, without P, R/W or U/S): a
     * page fault the requester may resolve with a page request (PRI) when it blocks on faults.
     */
    public static final int PAGE_NOT_PRESENT = 1;
    /** The page request could not be made, was refused, timed out, or was answered Invalid Request or Failure. */
    public static final int PAGE_REQUEST_FAILED = 2;
    /**
     * Not recoverable by a page request: an unbound or invalid PASID entry, reserved bits set in a paging entry, an
     * address beyond memory, a stage-2 fault the host could not resolve.
     */
    public static final int TRANSLATION_ERROR = 3;

    private TranslationFault() {
    }
}
