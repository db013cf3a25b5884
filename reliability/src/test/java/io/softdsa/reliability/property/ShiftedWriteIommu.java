package io.softdsa.reliability.property;

import io.softdsa.iommu.Iommu;
import io.softdsa.iommu.PassThroughIommu;
import io.softdsa.iommu.Translation;

/**
 * DELIBERATELY BROKEN: a pass-through IOMMU that translates every write one byte too far, as a DMA engine with an
 * off-by-one in its address arithmetic would. Every write still lands inside host memory, so only the property
 * checks (reference bytes, canaries) can tell. Exists so that the property tests are known to be able to fail.
 */
public final class ShiftedWriteIommu implements Iommu {
    private final long memorySize;

    public ShiftedWriteIommu(long memorySize) {
        this.memorySize = memorySize;
    }

    @Override
    public int translate(Translation t, long address, long length, int access) {
        final int status = PassThroughIommu.translatePhysical(t, address, length, memorySize - 1);
        if (status == OK && access == Translation.WRITE) {
            t.hostAddress += 1; // BUG
        }
        return status;
    }
}
