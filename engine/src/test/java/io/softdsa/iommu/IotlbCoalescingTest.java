package io.softdsa.iommu;

import io.softdsa.iommu.AddressSpace.PageSize;
import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coalesced IOTLB entries: an aligned group of 16 accessed 4 KiB leaves mapping adjacent host pages is cached as one
 * entry, and every change to one leaf of the group (unmap, remap, protect) is seen after its invalidation. Expected
 * host addresses come from the test's own arithmetic over the frames it mapped; accessed and dirty bits are read from
 * the raw leaf entries (bit 5, bit 6).
 */
@org.junit.jupiter.api.Timeout(value = 60, unit = java.util.concurrent.TimeUnit.SECONDS)
class IotlbCoalescingTest {
    private static final int PASID = 5;
    private static final long PAGE = 4096;
    private static final long GROUP = 16 * PAGE;
    private static final long LENGTH = 1L << 20;
    private static final long ACCESSED = 1L << 5;
    private static final long DIRTY = 1L << 6;

    private HostMemory memory;
    private ScalableModeIommu iommu;
    private AddressSpace as;
    private long va;
    private long host;

    @BeforeEach
    void setUp() {
        memory = HostMemory.allocate(16L << 20);
        iommu = new ScalableModeIommu(memory);
        as = iommu.bind(PASID);
        va = as.reserve(LENGTH, PageSize.SIZE_2M); // 2 MiB aligned: every 64 KiB group lies inside the buffer
        host = memory.allocateBuffer(LENGTH).address();
        as.map(va, host, LENGTH, AddressSpace.RW_USER);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private Translation translation() {
        return new Translation().context(true, PASID, false);
    }

    /** Reads every page once, one translation each: each page's first walk sets its accessed bit. */
    private void touchEveryPage(Translation t, int access) {
        for (long off = 0; off < LENGTH; off += PAGE) {
            assertEquals(Iommu.OK, iommu.translate(t, va + off, PAGE, access), "page at +" + off);
            assertEquals(host + off, t.hostAddress);
        }
        iommu.quiesce(t); // as an engine does when its descriptor ends: a change's invalidation waits for no one
    }

    @Test
    void aContiguousBufferOfAccessedPagesCostsOneLookupPerGroup() {
        final Translation t = translation();
        touchEveryPage(t, Translation.READ);
        final long walks = t.walks;
        final long hits = t.iotlbHits;
        assertEquals(Iommu.OK, iommu.translate(t, va, LENGTH, Translation.READ));
        assertEquals(host, t.hostAddress);
        assertEquals(LENGTH, t.length, "one run over the whole buffer");
        assertEquals(walks, t.walks, "no walk: everything is cached");
        assertEquals(LENGTH / GROUP, t.iotlbHits - hits, "one hit per 64 KiB group, not one per page");
        for (long off = 0; off < LENGTH; off += 7 * PAGE + 123) {
            assertEquals(Iommu.OK, iommu.translate(t, va + off, 1, Translation.READ));
            assertEquals(host + off, t.hostAddress, "byte at +" + off);
        }
    }

    @Test
    void unmappingOrRemappingOnePageOfAGroupIsSeenForThatPageAndTheOthersStayRight() {
        final Translation t = translation();
        touchEveryPage(t, Translation.READ);
        final long unmapped = va + 3 * GROUP + 5 * PAGE;
        as.unmap(unmapped, PAGE);
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(t, unmapped, PAGE, Translation.READ),
            "a coalesced entry must not outlive the unmap of one of its pages");
        assertEquals(Iommu.OK, iommu.translate(t, va + 3 * GROUP, GROUP, Translation.READ));
        assertEquals(host + 3 * GROUP, t.hostAddress);
        assertEquals(5 * PAGE, t.length, "the run stops at the hole");
        iommu.quiesce(t);

        final long remapped = va + 9 * GROUP + 15 * PAGE;
        final long frame = memory.frames().allocateFrame();
        assertNotEquals(host + 9 * GROUP + 15 * PAGE, frame);
        as.map(remapped, frame, PAGE, AddressSpace.RW_USER);
        assertEquals(Iommu.OK, iommu.translate(t, remapped + 100, 1, Translation.READ));
        assertEquals(frame + 100, t.hostAddress, "the remapped page's new frame");
        for (long off = 9 * GROUP; off < 10 * GROUP - PAGE; off += PAGE) {
            assertEquals(Iommu.OK, iommu.translate(t, va + off, 1, Translation.READ));
            assertEquals(host + off, t.hostAddress, "page at +" + off + " of the group");
        }
    }

    @Test
    void aWideInvalidationScansCoalescedEntriesByTheirSpan() {
        final Translation t = translation();
        touchEveryPage(t, Translation.READ);
        as.invalidateOnChange(false); // the page table changes, the IOTLB is not told: the old entry still answers
        final long unmapped = va + 11 * GROUP + 2 * PAGE;
        as.unmap(unmapped, PAGE);
        assertEquals(Iommu.OK, iommu.translate(t, unmapped, PAGE, Translation.READ), "stale until invalidated");
        iommu.quiesce(t);
        iommu.iotlb().invalidateRange(PASID, va - LENGTH, 4 * LENGTH); // above the targeted limit: a table scan
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(t, unmapped, PAGE, Translation.READ));
        iommu.quiesce(t);
        as.invalidateOnChange(true);
    }

    @Test
    void aReadOnlyPageInAGroupStillFaultsWrites() {
        final Translation t = translation();
        touchEveryPage(t, Translation.READ);
        final long readOnly = va + 2 * GROUP + 7 * PAGE;
        as.protect(readOnly, PAGE, AddressSpace.READ | AddressSpace.USER);
        touchEveryPage(t, Translation.READ); // re-warm: the changed group cannot coalesce
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(t, readOnly, PAGE, Translation.WRITE));
        assertEquals(Iommu.OK, iommu.translate(t, readOnly - PAGE, PAGE, Translation.WRITE));
        assertEquals(host + 2 * GROUP + 6 * PAGE, t.hostAddress);
    }

    @Test
    void aWriteThroughACleanGroupSetsThatPagesDirtyBit() {
        final Translation t = translation();
        touchEveryPage(t, Translation.READ);
        for (long off = 0; off < LENGTH; off += PAGE) {
            final long leaf = as.leafEntry(va + off);
            assertTrue((leaf & ACCESSED) != 0, "accessed after a read at +" + off);
            assertEquals(0, leaf & DIRTY, "clean after reads only at +" + off);
        }
        final long written = va + 4 * GROUP + 7 * PAGE;
        assertEquals(Iommu.OK, iommu.translate(t, written, PAGE, Translation.WRITE));
        assertEquals(host + 4 * GROUP + 7 * PAGE, t.hostAddress);
        assertEquals(DIRTY, as.leafEntry(written) & DIRTY, "the written page is dirty");
        assertEquals(0, as.leafEntry(written + PAGE) & DIRTY, "its neighbour is not");

        assertEquals(Iommu.OK, iommu.translate(t, va, LENGTH, Translation.WRITE)); // one run: walks each clean page
        assertEquals(LENGTH, t.length);
        for (long off = 0; off < LENGTH; off += PAGE) {
            assertEquals(DIRTY, as.leafEntry(va + off) & DIRTY, "dirty after a write over it at +" + off);
        }
        final long walks = t.walks;
        final long hits = t.iotlbHits;
        assertEquals(Iommu.OK, iommu.translate(t, va, LENGTH, Translation.WRITE));
        assertEquals(walks, t.walks, "every group dirty: writes hit");
        assertEquals(LENGTH / GROUP, t.iotlbHits - hits, "one hit per group for writes too");
    }

    @Test
    void pagesFromScatteredFramesAreCachedOneByOne() {
        final long scattered = as.reserve(GROUP, PageSize.SIZE_2M);
        final long[] frames = new long[16];
        for (int i = 0; i < 16; i++) {
            frames[i] = memory.frames().allocateFrame();
            memory.frames().allocateFrame(); // a gap: no two frames adjacent
            as.map(scattered + i * PAGE, frames[i], PAGE, AddressSpace.RW_USER);
        }
        final Translation t = translation();
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < 16; i++) {
                assertEquals(Iommu.OK, iommu.translate(t, scattered + i * PAGE + 9, 1, Translation.READ));
                assertEquals(frames[i] + 9, t.hostAddress, "page " + i + ", pass " + pass);
            }
        }
        assertEquals(16, t.walks, "one walk per page, then hits");
    }
}
