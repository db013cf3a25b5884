package io.softdsa.mdev.host;

import io.softdsa.iommu.PageRequest;
import io.softdsa.iommu.PageRequestHandler.PageResponder;

/** Whoever a host PASID belongs to: receives the page requests the device raises for it. */
@FunctionalInterface
public interface PasidOwner {
    /**
     * Called on this owner's own page-request delivery thread (never an engine's); answer through {@code responder},
     * now or later from any thread, before the owner's timeout (counted from the raise) or the request fails.
     */
    void pageRequest(PageRequest request, PageResponder responder);
}
