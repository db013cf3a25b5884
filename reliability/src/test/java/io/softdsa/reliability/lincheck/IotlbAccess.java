package io.softdsa.reliability.lincheck;

import io.softdsa.iommu.Translation;

/**
 * The surface of {@link io.softdsa.iommu.Iotlb} (package-private there: the IOMMU's engines' side) that its
 * {@link OffHeapTwin} is made to implement, so tests call the twin directly.
 */
public interface IotlbAccess {
    int register();

    void unregister(int slot);

    void enter(int slot);

    void leave(int slot);

    boolean resume(int slot, long kept);

    long held(int slot);

    boolean lookup(int pasid, long va, Translation t, boolean write);

    void insert(int pasid, long va, int pageShift, long hostPage, boolean writable, boolean user, boolean dirty);

    void invalidatePasid(int pasid);

    void invalidateRange(int pasid, long va, long length);
}
