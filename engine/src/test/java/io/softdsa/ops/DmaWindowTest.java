package io.softdsa.ops;

import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.iommu.Translation;
import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An engine's DMA windows outlive the descriptor that made them, as a device keeps its translations cached: the next
 * descriptor of the same PASID context uses them without asking the IOMMU, until an invalidation comes in between
 * (any: they are never older than what the IOTLB may still hold) or the context changes. Host addresses are checked
 * against the frames the test mapped, never against the code's own answer.
 */
class DmaWindowTest {
    private static final int PASID_A = 5;
    private static final int PASID_B = 6;
    private static final long VA = 0x4000_0000L;

    private HostMemory memory;
    private ScalableModeIommu iommu;
    private Dma dma;
    private AddressSpace a;
    private long frameA;

    @BeforeEach
    void setUp() {
        memory = HostMemory.allocate(16L << 20);
        iommu = new ScalableModeIommu(memory);
        dma = new Dma(memory.segment(), iommu);
        a = iommu.bind(PASID_A);
        frameA = memory.frames().allocateFrame();
        a.map(VA, frameA, 4096, AddressSpace.RW_USER);
    }

    @AfterEach
    void tearDown() {
        dma.close();
        memory.close();
    }

    /** One descriptor's access: context, one read step, release (what DescriptorExecutor does around it). */
    private long descriptorReads(int pasid, long va) {
        dma.context(true, pasid, false);
        assertTrue(dma.map(va, 64, Translation.READ), () -> "map failed: 0x" + Integer.toHexString(dma.failureStatus()));
        final long host = dma.hostAddress();
        dma.release();
        return host;
    }

    @Test
    void theNextDescriptorUsesTheWindowWithoutAskingTheIommu() {
        assertEquals(frameA + 0x100, descriptorReads(PASID_A, VA + 0x100));
        final Translation t = dma.translation();
        final long hits = t.iotlbHits;
        final long walks = t.walks;
        assertEquals(frameA + 0x800, descriptorReads(PASID_A, VA + 0x800)); // same page, later bytes
        assertEquals(hits, t.iotlbHits, "no IOTLB lookup");
        assertEquals(walks, t.walks, "no walk");
    }

    @Test
    void anInvalidationBetweenDescriptorsVoidsTheWindow() {
        assertEquals(frameA, descriptorReads(PASID_A, VA));
        final long moved = memory.frames().allocateFrame();
        a.map(VA, moved, 4096, AddressSpace.RW_USER); // replaces the leaf and invalidates it
        assertEquals(moved, descriptorReads(PASID_A, VA));
    }

    @Test
    void anInvalidationOfAnotherPageVoidsTheWindowToo() {
        final long other = memory.frames().allocateFrame();
        a.map(VA + (1L << 30), other, 4096, AddressSpace.RW_USER);
        assertEquals(frameA, descriptorReads(PASID_A, VA));
        final long walks = dma.translation().walks;
        final long hits = dma.translation().iotlbHits;
        a.unmap(VA + (1L << 30), 4096); // someone else's page: the epoch moves all the same
        assertEquals(frameA, descriptorReads(PASID_A, VA));
        assertEquals(hits + walks + 1, dma.translation().iotlbHits + dma.translation().walks,
            "translated again through the IOMMU");
    }

    @Test
    void anUnmappedPageFaultsAtTheNextDescriptor() {
        assertEquals(frameA, descriptorReads(PASID_A, VA));
        a.unmap(VA, 4096);
        dma.context(true, PASID_A, false);
        assertFalse(dma.map(VA, 64, Translation.READ));
        assertEquals(VA, dma.faultAddress());
        dma.release();
    }

    @Test
    void anotherPasidAtTheSameAddressGetsItsOwnPage() {
        final AddressSpace b = iommu.bind(PASID_B);
        final long frameB = memory.frames().allocateFrame();
        b.map(VA, frameB, 4096, AddressSpace.RW_USER);
        assertEquals(frameA, descriptorReads(PASID_A, VA));
        assertEquals(frameB, descriptorReads(PASID_B, VA), "tenant B must never reach tenant A's frame");
        assertEquals(frameA, descriptorReads(PASID_A, VA));
    }

    @Test
    void aFreedAndReboundPasidGetsItsNewTenantsPage() {
        assertEquals(frameA, descriptorReads(PASID_A, VA));
        iommu.unbindPasid(PASID_A);
        final AddressSpace next = iommu.bind(PASID_A);
        final long frameNext = memory.frames().allocateFrame();
        next.map(VA, frameNext, 4096, AddressSpace.RW_USER);
        assertEquals(frameNext, descriptorReads(PASID_A, VA));
    }

    @Test
    void aWindowMadeForAReadNeverServesAWrite() {
        final AddressSpace b = iommu.bind(PASID_B);
        final long frameB = memory.frames().allocateFrame();
        b.map(VA, frameB, 4096, AddressSpace.READ | AddressSpace.USER);
        assertEquals(frameB, descriptorReads(PASID_B, VA));
        dma.context(true, PASID_B, false);
        assertFalse(dma.map(VA, 64, Translation.WRITE), "a read-only page is not written through a read window");
        dma.release();
    }
}
