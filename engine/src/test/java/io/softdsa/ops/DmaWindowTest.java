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

    // ---- beyond the windows: the runs of earlier descriptors (TranslatedRuns, the device's ATC) ----

    /** More pages than the engine has windows, each on its own frame, read one descriptor each. */
    private static final int MANY = 32;
    private static final long MANY_VA = 0x5000_0000L;

    private long[] mapMany(AddressSpace space, int prot) {
        final long[] frames = new long[MANY];
        for (int i = 0; i < MANY; i++) {
            frames[i] = memory.frames().allocateFrame();
            space.map(MANY_VA + i * 0x1_0000L, frames[i], 4096, prot); // 64 KiB apart: no run joins two of them
        }
        return frames;
    }

    private long translations() {
        return dma.translation().iotlbHits + dma.translation().walks;
    }

    @Test
    void manyBuffersUsedAgainAreNotTranslatedAgain() {
        final long[] frames = mapMany(a, AddressSpace.RW_USER);
        for (int i = 0; i < MANY; i++) {
            assertEquals(frames[i] + 0x40, descriptorReads(PASID_A, MANY_VA + i * 0x1_0000L + 0x40));
        }
        final long before = translations();
        for (int i = 0; i < MANY; i++) {
            assertEquals(frames[i] + 0x80, descriptorReads(PASID_A, MANY_VA + i * 0x1_0000L + 0x80));
        }
        assertEquals(before, translations(), "every page again from the engine's own cache");
    }

    @Test
    void anInvalidationVoidsEveryCachedRunNotOnlyTheWindows() {
        final long[] frames = mapMany(a, AddressSpace.RW_USER);
        for (int i = 0; i < MANY; i++) {
            descriptorReads(PASID_A, MANY_VA + i * 0x1_0000L);
        }
        final long moved = memory.frames().allocateFrame();
        a.map(MANY_VA + 3 * 0x1_0000L, moved, 4096, AddressSpace.RW_USER); // long out of the four windows
        assertEquals(moved, descriptorReads(PASID_A, MANY_VA + 3 * 0x1_0000L), "the remapped page's new frame");
        a.unmap(MANY_VA + 5 * 0x1_0000L, 4096);
        dma.context(true, PASID_A, false);
        assertFalse(dma.map(MANY_VA + 5 * 0x1_0000L, 64, Translation.READ), "an unmapped page faults");
        assertEquals(MANY_VA + 5 * 0x1_0000L, dma.faultAddress());
        dma.release();
        assertEquals(frames[6], descriptorReads(PASID_A, MANY_VA + 6 * 0x1_0000L));
    }

    @Test
    void anotherPasidNeverUsesTheCachedRunsOfTheFirst() {
        final long[] framesA = mapMany(a, AddressSpace.RW_USER);
        final long[] framesB = mapMany(iommu.bind(PASID_B), AddressSpace.RW_USER);
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < MANY; i++) {
                assertEquals(framesA[i], descriptorReads(PASID_A, MANY_VA + i * 0x1_0000L));
            }
            for (int i = 0; i < MANY; i++) {
                assertEquals(framesB[i], descriptorReads(PASID_B, MANY_VA + i * 0x1_0000L),
                    "tenant B must never reach tenant A's frame");
            }
        }
    }

    @Test
    void aRunReadEarlierIsWrittenThroughTheIommuWhichSetsTheDirtyBit() {
        mapMany(a, AddressSpace.RW_USER);
        final long target = MANY_VA + 2 * 0x1_0000L;
        for (int i = 0; i < MANY; i++) {
            descriptorReads(PASID_A, MANY_VA + i * 0x1_0000L);
        }
        assertEquals(0, a.leafEntry(target) & (1L << 6), "read only so far: D (bit 6) clear");
        dma.context(true, PASID_A, false);
        assertTrue(dma.map(target, 64, Translation.WRITE));
        dma.release();
        assertTrue((a.leafEntry(target) & (1L << 6)) != 0, "the write reached the IOMMU and set D (bit 6)");
    }

    @Test
    void aReadOnlyPageBeyondTheWindowsIsNeverWritten() {
        mapMany(a, AddressSpace.READ | AddressSpace.USER);
        for (int i = 0; i < MANY; i++) {
            descriptorReads(PASID_A, MANY_VA + i * 0x1_0000L);
        }
        dma.context(true, PASID_A, false);
        assertFalse(dma.map(MANY_VA + 7 * 0x1_0000L, 64, Translation.WRITE), "read-only: no write");
        assertEquals(MANY_VA + 7 * 0x1_0000L, dma.faultAddress());
        dma.release();
    }

    @Test
    void aLongRunUsedAgainComesBackWholeAndAHoleInItIsSeen() {
        final long va = 0x6000_0000L;
        final long run = memory.frames().allocateContiguous(1 << 20, 4096);
        a.map(va, run, 1 << 20, AddressSpace.RW_USER);
        mapMany(a, AddressSpace.RW_USER);
        for (int round = 0; round < 2; round++) {
            dma.context(true, PASID_A, false);
            assertTrue(dma.map(va, 1 << 20, Translation.READ));
            assertEquals(run, dma.hostAddress());
            assertEquals(1 << 20, dma.length(), "the whole contiguous MiB in one step");
            dma.release();
            for (int i = 0; i < MANY; i++) {
                descriptorReads(PASID_A, MANY_VA + i * 0x1_0000L); // push it out of the windows
            }
        }
        final long before = translations();
        dma.context(true, PASID_A, false);
        assertTrue(dma.map(va, 1 << 20, Translation.READ));
        dma.release();
        assertEquals(before, translations(), "the MiB again from the engine's cache");
        a.unmap(va + 100 * 4096L, 4096);
        dma.context(true, PASID_A, false);
        assertTrue(dma.map(va, 1 << 20, Translation.READ));
        assertEquals(100 * 4096L, dma.length(), "the run now ends at the unmapped page");
        dma.release();
    }

    @Test
    void aMebibyteCopyUsedAgainAsksTheIommuNothingAndAnUnmapInBetweenIsSeen() {
        final long src = 0x7000_0000L;
        final long dst = 0x7800_0000L;
        a.map(src, memory.frames().allocateContiguous(1 << 20, 4096), 1 << 20, AddressSpace.RW_USER);
        final long dstHost = memory.frames().allocateContiguous(1 << 20, 4096);
        a.map(dst, dstHost, 1 << 20, AddressSpace.RW_USER);
        final long letGo = dma.translationsLetGo();
        long before = 0;
        for (int d = 0; d < 8; d++) { // the SvaOverhead 1 MiB row's steady state: both runs from the engine's cache
            if (d == 1) {
                before = translations();
            }
            dma.context(true, PASID_A, false);
            assertTrue(dma.map2(src, 1 << 20, Translation.READ, dst, Translation.WRITE));
            assertEquals(1 << 20, dma.length());
            assertEquals(dstHost, dma.hostAddress(1));
            dma.release();
        }
        assertEquals(before, translations(), "no descriptor after the first asked the IOMMU again");
        // the hold limit still lets go inside one long descriptor: 1 MiB steps over 8 MiB pass it twice
        dma.context(true, PASID_A, false);
        for (int step = 0; step < 8; step++) {
            assertTrue(dma.map2(src, 1 << 20, Translation.READ, dst, Translation.WRITE));
        }
        dma.release();
        assertTrue(dma.translationsLetGo() > letGo, "an invalidation waits at most for the hold limit");
        a.unmap(dst + 4096, 4096);
        dma.context(true, PASID_A, false);
        assertTrue(dma.map2(src, 1 << 20, Translation.READ, dst, Translation.WRITE));
        assertEquals(4096, dma.length(), "an unmap in between is seen");
        dma.release();
    }

    @Test
    void twoRunsWhosePagesShareACacheSetUsedInTurnBothStay() {
        // pages 0x61000 and 0x66f7f fold to one set of the cache (page ^ page >>> 7 ^ page >>> 14 ^ page >>> 21, low 7
        // bits: 56 for both); a 1 MiB buffer and a record so placed used to evict each other every descriptor
        final long p = 0x6100_0000L;
        final long q = 0x66f7_f000L;
        final long frameP = memory.frames().allocateFrame();
        final long frameQ = memory.frames().allocateFrame();
        a.map(p, frameP, 4096, AddressSpace.RW_USER);
        a.map(q, frameQ, 4096, AddressSpace.RW_USER);
        // each round five fresh pages two apart (sets 80-94, never 56; 1 MiB further each round) go through the
        // IOMMU and push p and q out of the four windows, so only the cache can serve them
        final long push = 0x6200_0000L;
        for (int i = 0; i < 15; i++) { // mapped first: a map is an invalidation, which voids every cached run
            a.map(push + (i / 5) * (1L << 20) + (i % 5) * 8192L, memory.frames().allocateFrame(), 4096,
                AddressSpace.RW_USER);
        }
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 5; i++) {
                descriptorReads(PASID_A, push + round * (1L << 20) + i * 8192L);
            }
            final long before = translations();
            assertEquals(frameP, descriptorReads(PASID_A, p));
            assertEquals(frameQ, descriptorReads(PASID_A, q));
            if (round > 0) {
                assertEquals(before, translations(), "round " + round + ": both runs from the engine's cache");
            }
        }
    }
}
