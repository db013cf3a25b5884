package io.softdsa.mdev.translation;

import io.softdsa.iommu.PageRequest;

/**
 * The guest IOMMU driver's page-request interrupt: a request as the guest sees it (its own PASID, the faulting
 * guest-virtual page). Answer with {@link VirtualIommu#pageResponse}. Called on this guest's page-request delivery
 * thread, never a host engine's: blocking or throwing delays or fails only this guest's requests, each of which ends
 * at its deadline ({@link VirtualIommu#pageRequestTimeout}, counted from the raise).
 */
@FunctionalInterface
public interface GuestPageRequestHandler {
    void pageRequest(PageRequest guestRequest);
}
