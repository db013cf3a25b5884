package io.softdsa.mdev.translation;

import io.softdsa.iommu.PageRequest;

/**
 * The guest IOMMU driver's page-request interrupt: a request as the guest sees it (its own PASID, the faulting
 * guest-virtual page). Answer with {@link VirtualIommu#pageResponse}. Called on the faulting engine's thread: queue
 * the work, do not block.
 */
@FunctionalInterface
public interface GuestPageRequestHandler {
    void pageRequest(PageRequest guestRequest);
}
