package io.softdsa.mdev.host;

import io.softdsa.iommu.PageRequest;
import io.softdsa.iommu.PageRequestHandler.PageResponder;

/** Whoever a host PASID belongs to: receives the page requests the device raises for it. */
@FunctionalInterface
public interface PasidOwner {
    /** Called on the faulting engine's thread; answer through {@code responder}, now or later from any thread. */
    void pageRequest(PageRequest request, PageResponder responder);
}
