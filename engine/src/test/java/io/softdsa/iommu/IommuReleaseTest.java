package io.softdsa.iommu;

import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Iommu#release} on the scalable-mode IOMMU (issue 11 item 10), through the public API only: a retired
 * engine's IOTLB quiescence slot is freed and reused, and never waited for by an invalidation.
 */
class IommuReleaseTest {
    private static final int PASID = 5;

    /** 10,000 engine lifetimes (first translation, descriptor end, retirement) on one IOMMU: no growth, no failure. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void tenThousandEngineLifetimesReuseOneSlot() {
        try (HostMemory memory = HostMemory.allocate(16L << 20)) {
            final ScalableModeIommu iommu = new ScalableModeIommu(memory, 64);
            final AddressSpace as = iommu.bind(PASID);
            final long va = as.allocate(4096, AddressSpace.RW_USER);
            final long host = as.hostAddress(va);
            for (int i = 0; i < 10_000; i++) {
                final Translation t = new Translation().context(true, PASID, false);
                assertEquals(Iommu.OK, iommu.translate(t, va + 8, 8, Translation.READ), "lifetime " + i);
                assertEquals(host + 8, t.hostAddress);
                // the base commit hands out slot i here (and throws at i = 256)
                assertEquals(0, t.iotlbSlot, "lifetime " + i + " got a new quiescence slot: the table grows");
                iommu.quiesce(t);
                iommu.release(t);
                iommu.release(t); // idempotent: the Device may retire an engine on both configure and close
            }
        }
    }

    /** An engine retired in the middle of a descriptor (holding its epoch) must not block invalidations. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void invalidationNeverWaitsForAReleasedEngine() {
        try (HostMemory memory = HostMemory.allocate(16L << 20)) {
            final ScalableModeIommu iommu = new ScalableModeIommu(memory, 64);
            final AddressSpace as = iommu.bind(PASID);
            final long va = as.allocate(4096, AddressSpace.RW_USER);
            final Translation t = new Translation().context(true, PASID, false);
            assertEquals(Iommu.OK, iommu.translate(t, va, 8, Translation.READ)); // holds an epoch, never quiesces
            iommu.release(t);
            iommu.iotlb().invalidateAll(); // the base commit (release is a no-op there) spins here until the timeout
            iommu.iotlb().invalidateRange(PASID, va, 4096);
            assertEquals(0, iommu.iotlb().size());
        }
    }

}
