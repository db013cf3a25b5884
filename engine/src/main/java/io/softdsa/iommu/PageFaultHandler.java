package io.softdsa.iommu;


/**
 * Resolves a block-on-fault page fault: raises a page request (PCIe PRI) for the faulting page and waits for the
 * page group response. Called on the engine thread that faulted; other engines keep running.
 */
@FunctionalInterface
public interface PageFaultHandler {
    /** No page-request interface: the fault stands and completes as "invalid page response". */
    PageFaultHandler NONE = (t, address, access) -> TranslationFault.PAGE_REQUEST_FAILED;

    /**
     * @return {@link Iommu#OK} when the response was Success (retry the translation), else the {@link TranslationFault}
     * ({@link TranslationFault#PAGE_REQUEST_FAILED} for Invalid Request or Response Failure)
     */
    int resolve(Translation context, long address, int access);
}
