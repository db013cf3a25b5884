package io.softdsa.iommu;

import io.softdsa.iommu.AddressSpace.PageSize;
import io.softdsa.memory.HostMemory;
import io.softdsa.memory.Le;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile-tenant / buggy-driver attacks on coalesced IOTLB entries (64 KiB groups of 16 accessed 4 KiB leaves).
 * Every expected host address is the test's own arithmetic over the frames it mapped; accessed and dirty bits are read
 * from the raw leaves ({@link AddressSpace#leafEntry}); raw leaf edits (a driver clearing A or D, or pointing leaves
 * outside host memory) go through the leaf's host address. A test acting as an engine quiesces its translation before
 * it changes mappings.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IotlbCoalescingAttackTest {
    private static final int PASID = 5;
    private static final long PAGE = 4096;
    private static final long GROUP = 16 * PAGE;
    private static final long ACCESSED = 1L << 5;
    private static final long DIRTY = 1L << 6;
    private static final long P = 1L;
    private static final long W = 1L << 1;
    private static final long U = 1L << 2;
    private static final long MEMORY = 16L << 20;

    private HostMemory memory;
    private ScalableModeIommu iommu;
    private AddressSpace as;

    @BeforeEach
    void setUp() {
        memory = HostMemory.allocate(MEMORY);
        iommu = new ScalableModeIommu(memory);
        as = iommu.bind(PASID);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // helpers

    private static Translation user(int pasid) {
        return new Translation().context(true, pasid, false);
    }

    private static Translation supervisor(int pasid) {
        return new Translation().context(true, pasid, true);
    }

    /** A fresh 2 MiB aligned virtual range of {@code groups} groups mapped onto one contiguous host buffer. */
    private long[] contiguous(AddressSpace space, int groups, int prot) {
        final long va = space.reserve(groups * GROUP, PageSize.SIZE_2M);
        final long host = memory.allocateBuffer(groups * GROUP).address();
        space.map(va, host, groups * GROUP, prot);
        return new long[] {va, host};
    }

    /** One translation per page (each page's first walk sets its accessed bit), then the engine goes idle. */
    private void touch(Translation t, long va, long host, long length, int access) {
        for (long off = 0; off < length; off += PAGE) {
            assertEquals(Iommu.OK, iommu.translate(t, va + off, PAGE, access), "touch +" + off);
            assertEquals(host + off, t.hostAddress, "touch +" + off);
        }
        iommu.quiesce(t);
    }

    /** One group mapped contiguously ({va, host}), each page translated once for {@code access}; the engine idle. */
    private long[] touchedGroup(Translation t, int access) {
        final long[] m = contiguous(as, 1, AddressSpace.RW_USER);
        touch(t, m[0], m[1], GROUP, access);
        return m;
    }

    /**
     * One group mapped contiguously, touched page by page for {@code access}, then checked to be served whole by one
     * coalesced entry without a walk (the precondition of the attacks on it); the engine is idle afterwards.
     */
    private long[] coalescedGroup(Translation t, int access) {
        final long[] m = touchedGroup(t, access);
        final long walks = t.walks;
        assertEquals(Iommu.OK, iommu.translate(t, m[0], GROUP, access));
        assertEquals(GROUP, t.length);
        assertEquals(walks, t.walks, "precondition: one coalesced entry serves the group");
        iommu.quiesce(t);
        return m;
    }

    /** Host address of the leaf entry of {@code va} in {@code space}'s tables. */
    private static long leafSlot(AddressSpace space, long va) {
        final long[] r = {-1};
        space.visitLeaves(va, 1, (slot, entry, bytes, start) -> r[0] = space.entryHostAddress(slot));
        assertTrue(r[0] >= 0, "no leaf for 0x" + Long.toHexString(va));
        return r[0];
    }

    private void rawLeaf(AddressSpace space, long va, long value) {
        Le.setLongRelease(memory.segment(), leafSlot(space, va), value);
    }

    private void clearLeafBits(AddressSpace space, long va, long bits) {
        final long slot = leafSlot(space, va);
        Le.setLongRelease(memory.segment(), slot, Le.getLongVolatile(memory.segment(), slot) & ~bits);
    }

    /** Replica of Iotlb.index (for the slot-conflict probe): the slot of (pasid, page, size code). */
    private static int slotOf(int pasid, long page, int size, int mask) {
        long h = (page >>> 4) * 0x9E37_79B9_7F4A_7C15L + pasid * 0xC2B2_AE3D_27D4_EB4FL + size;
        h ^= h >>> 29;
        return (int) ((h << 4) | (page & 15)) & mask;
    }

    /** Whether group {@code g}'s coalesced entry shares its slot with one of the group's own 4 KiB entries. */
    private static boolean selfConflicting(int pasid, long g) {
        return slotOf(pasid, g, 3, 65535) == slotOf(pasid, g * 16 + (g & 15), 0, 65535);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // accessed bit

    @Test
    void aLeafWhoseAccessedBitADriverClearedIsWalkedAgainNotServedByTheGroup() {
        final Translation t = user(PASID);
        final long[] m = coalescedGroup(t, Translation.READ);
        final long va = m[0];
        final long host = m[1];

        final long aged = va + 5 * PAGE;
        clearLeafBits(as, aged, ACCESSED); // page aging: clear A, then invalidate that page
        iommu.iotlb().invalidateRange(PASID, aged, PAGE);
        for (int i = 0; i < 16; i++) {
            if (i != 5) {
                assertEquals(Iommu.OK, iommu.translate(t, va + i * PAGE + 1, 1, Translation.READ));
                assertEquals(host + i * PAGE + 1, t.hostAddress);
            }
        }
        iommu.quiesce(t);
        assertEquals(0, as.leafEntry(aged) & ACCESSED, "no access to page 5 yet: its accessed bit stays clear");
        final long walks = t.walks;
        assertEquals(Iommu.OK, iommu.translate(t, aged + 9, 1, Translation.READ));
        assertEquals(host + 5 * PAGE + 9, t.hostAddress);
        assertEquals(walks + 1, t.walks, "page 5 is walked, not served by a group entry");
        assertEquals(ACCESSED, as.leafEntry(aged) & ACCESSED, "the walk set page 5's accessed bit");
    }

    @Test
    void remappingOnePageOntoTheSameFrameClearsItsAccessedBitAndNoGroupServesItUnwalked() {
        final Translation t = user(PASID);
        final long[] m = touchedGroup(t, Translation.READ);
        final long va = m[0];
        final long host = m[1];
        final long p = va + 11 * PAGE;
        as.map(p, host + 11 * PAGE, PAGE, AddressSpace.RW_USER); // a fresh leaf: A = D = 0, host stays adjacent
        assertEquals(0, as.leafEntry(p) & ACCESSED);
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < 16; i++) {
                if (i != 11) {
                    assertEquals(Iommu.OK, iommu.translate(t, va + i * PAGE, PAGE, Translation.READ));
                    assertEquals(host + i * PAGE, t.hostAddress);
                }
            }
        }
        iommu.quiesce(t);
        assertEquals(0, as.leafEntry(p) & ACCESSED, "translating its neighbours must not touch page 11");
        assertEquals(Iommu.OK, iommu.translate(t, va, GROUP, Translation.READ));
        assertEquals(host, t.hostAddress);
        assertEquals(GROUP, t.length);
        assertEquals(ACCESSED, as.leafEntry(p) & ACCESSED, "the run over page 11 walked it");
        iommu.quiesce(t);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // dirty bit

    @Test
    void cleaningOneLeafOfADirtyGroupMakesTheNextWriteToItSetDirtyAgain() {
        final Translation t = user(PASID);
        final long[] m = coalescedGroup(t, Translation.WRITE);
        final long va = m[0];
        final long host = m[1];

        // dirty-log harvest of page 7: clear D, invalidate the page
        final long p7 = va + 7 * PAGE;
        clearLeafBits(as, p7, DIRTY);
        iommu.iotlb().invalidateRange(PASID, p7, PAGE);
        assertEquals(Iommu.OK, iommu.translate(t, va + 3 * PAGE, PAGE, Translation.WRITE));
        assertEquals(host + 3 * PAGE, t.hostAddress);
        assertEquals(Iommu.OK, iommu.translate(t, va + 8 * PAGE, PAGE, Translation.READ));
        assertEquals(host + 8 * PAGE, t.hostAddress);
        iommu.quiesce(t);
        assertEquals(0, as.leafEntry(p7) & DIRTY, "page 7 not written yet");
        assertEquals(Iommu.OK, iommu.translate(t, p7 + 5, 1, Translation.WRITE));
        assertEquals(host + 7 * PAGE + 5, t.hostAddress);
        assertEquals(DIRTY, as.leafEntry(p7) & DIRTY, "a write through page 7 set its dirty bit");
        iommu.quiesce(t);

        // the same through a write run, page 9 cleaned, and a read-created (dirty) group entry in between
        final long p9 = va + 9 * PAGE;
        iommu.iotlb().invalidatePasid(PASID);
        touch(t, va, host, GROUP, Translation.READ); // every leaf dirty: the group entry made by reads is dirty
        clearLeafBits(as, p9, DIRTY);
        iommu.iotlb().invalidateRange(PASID, p9, PAGE);
        touch(t, va, host, GROUP, Translation.READ); // re-coalesce attempt: page 9 is clean now
        final long walks = t.walks;
        assertEquals(Iommu.OK, iommu.translate(t, va, GROUP, Translation.WRITE));
        assertEquals(GROUP, t.length);
        assertTrue(t.walks > walks, "the write over clean page 9 walks");
        assertEquals(DIRTY, as.leafEntry(p9) & DIRTY, "the write run set page 9's dirty bit");
        iommu.quiesce(t);
    }

    @Test
    void aRemapOntoTheSameFrameCleansTheLeafAndTheNextWriteDirtiesItWithoutHittingTheOldDirtyGroup() {
        final Translation t = user(PASID);
        final long[] m = touchedGroup(t, Translation.WRITE);
        final long va = m[0];
        final long host = m[1];
        final long p = va + 2 * PAGE;
        as.map(p, host + 2 * PAGE, PAGE, AddressSpace.RW_USER); // A = D = 0
        touch(t, va + 3 * PAGE, host + 3 * PAGE, 13 * PAGE, Translation.WRITE);
        assertEquals(0, as.leafEntry(p) & (DIRTY | ACCESSED), "page 2 untouched");
        assertEquals(Iommu.OK, iommu.translate(t, p, PAGE, Translation.WRITE));
        assertEquals(host + 2 * PAGE, t.hostAddress);
        assertEquals(DIRTY | ACCESSED, as.leafEntry(p) & (DIRTY | ACCESSED));
        iommu.quiesce(t);
    }

    @Test
    void protectingOnePageReadOnlyFaultsItsWritesAndStopsAWriteRunThere() {
        final Translation t = user(PASID);
        final long[] m = touchedGroup(t, Translation.WRITE);
        final long va = m[0];
        final long host = m[1];
        final long ro = va + 7 * PAGE;
        as.protect(ro, PAGE, AddressSpace.READ | AddressSpace.USER);
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(t, ro, PAGE, Translation.WRITE));
        assertEquals(Iommu.OK, iommu.translate(t, va, GROUP, Translation.WRITE));
        assertEquals(host, t.hostAddress);
        assertEquals(7 * PAGE, t.length, "a write run stops at the read-only page");
        assertEquals(Iommu.OK, iommu.translate(t, va, GROUP, Translation.READ));
        assertEquals(GROUP, t.length, "reads still span the group");
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(t, ro + 100, 1, Translation.WRITE),
            "after the group was read again");
        iommu.quiesce(t);
        as.protect(ro, PAGE, AddressSpace.RW_USER);
        assertEquals(Iommu.OK, iommu.translate(t, ro, PAGE, Translation.WRITE));
        assertEquals(host + 7 * PAGE, t.hostAddress);
        iommu.quiesce(t);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // PASIDs

    @Test
    void twoPasidsMappingTheSameVirtualGroupEachSeeTheirOwnFramesAndTheirOwnInvalidations() {
        final AddressSpace other = iommu.bind(6);
        final long[] a = contiguous(as, 1, AddressSpace.RW_USER);
        final long va = a[0];
        final long hostB = memory.allocateBuffer(GROUP).address();
        other.map(va, hostB, GROUP, AddressSpace.RW_USER); // same VA, other frames
        final Translation ta = user(PASID);
        final Translation tb = user(6);
        touch(ta, va, a[1], GROUP, Translation.WRITE); // PASID 5: dirty group
        touch(tb, va, hostB, GROUP, Translation.READ); // PASID 6: clean group
        for (long off = 0; off < GROUP; off += PAGE + 77) {
            assertEquals(Iommu.OK, iommu.translate(ta, va + off, 1, Translation.READ));
            assertEquals(a[1] + off, ta.hostAddress, "PASID 5 at +" + off);
            assertEquals(Iommu.OK, iommu.translate(tb, va + off, 1, Translation.READ));
            assertEquals(hostB + off, tb.hostAddress, "PASID 6 at +" + off);
        }
        assertEquals(Iommu.OK, iommu.translate(tb, va + 4 * PAGE, PAGE, Translation.WRITE));
        assertEquals(hostB + 4 * PAGE, tb.hostAddress);
        assertEquals(DIRTY, other.leafEntry(va + 4 * PAGE) & DIRTY, "PASID 6's write set its own leaf dirty");
        assertEquals(0, other.leafEntry(va + 5 * PAGE) & DIRTY);
        iommu.quiesce(ta);
        iommu.quiesce(tb);

        as.unmap(va + 3 * PAGE, PAGE);
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(ta, va + 3 * PAGE, PAGE, Translation.READ));
        assertEquals(Iommu.OK, iommu.translate(tb, va + 3 * PAGE, PAGE, Translation.READ));
        assertEquals(hostB + 3 * PAGE, tb.hostAddress, "PASID 6 unaffected by PASID 5's unmap");
        iommu.quiesce(ta);
        iommu.quiesce(tb);
        other.unmap(va + 12 * PAGE, PAGE);
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(tb, va + 12 * PAGE, 1, Translation.READ));
        assertEquals(Iommu.OK, iommu.translate(ta, va + 12 * PAGE, 1, Translation.READ));
        assertEquals(a[1] + 12 * PAGE, ta.hostAddress);
        final Translation unbound = user(9);
        assertEquals(TranslationFault.TRANSLATION_ERROR, iommu.translate(unbound, va, PAGE, Translation.READ),
            "an unbound PASID gets nothing from another PASID's group");
        iommu.quiesce(unbound);
        iommu.quiesce(ta);
        iommu.quiesce(tb);
    }

    @Test
    void rebindingAPasidToANewAddressSpaceDropsTheOldGroups() {
        final int pasid = 7;
        final AddressSpace first = iommu.bind(pasid);
        final long[] m = contiguous(first, 4, AddressSpace.RW_USER);
        final long va = m[0];
        final Translation t = user(pasid);
        touch(t, va, m[1], 4 * GROUP, Translation.WRITE);
        iommu.unbindPasid(pasid);
        assertEquals(TranslationFault.TRANSLATION_ERROR, iommu.translate(t, va + GROUP, PAGE, Translation.READ));
        iommu.quiesce(t);

        final AddressSpace second = iommu.bind(pasid);
        final long host2 = memory.allocateBuffer(4 * GROUP).address();
        second.map(va, host2, 4 * GROUP, AddressSpace.READ | AddressSpace.USER); // other frames, read-only
        for (long off = 0; off < 4 * GROUP; off += PAGE) {
            assertEquals(Iommu.OK, iommu.translate(t, va + off, PAGE, Translation.READ));
            assertEquals(host2 + off, t.hostAddress, "new binding at +" + off);
        }
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(t, va + 2 * GROUP, PAGE, Translation.WRITE),
            "the old dirty writable group must not serve writes");
        iommu.quiesce(t);
        first.unbind(); // the stale object: must not unbind the new one, only invalidate
        for (long off = 0; off < 4 * GROUP; off += 5 * PAGE) {
            assertEquals(Iommu.OK, iommu.translate(t, va + off, 1, Translation.READ));
            assertEquals(host2 + off, t.hostAddress, "after the old space's unbind at +" + off);
        }
        iommu.quiesce(t);
        second.unbind();
        final AddressSpace third = iommu.bind(pasid); // its tables may reuse the freed table frames
        third.map(va, m[1], 4 * GROUP, AddressSpace.RW_USER);
        for (long off = 0; off < 4 * GROUP; off += 3 * PAGE) {
            assertEquals(Iommu.OK, iommu.translate(t, va + off, 1, Translation.WRITE));
            assertEquals(m[1] + off, t.hostAddress, "third binding at +" + off);
        }
        iommu.quiesce(t);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // supervisor vs user

    @Test
    void aSupervisorGroupNeverServesUserRequests() {
        final int sre = 8;
        final AddressSpace kernel = iommu.bind(sre, 4, true);
        final long[] m = contiguous(kernel, 1, AddressSpace.READ | AddressSpace.WRITE); // U = 0
        final long va = m[0];
        final Translation tp = supervisor(sre);
        final Translation tu = user(sre);
        touch(tp, va, m[1], GROUP, Translation.WRITE);
        final long walks = tp.walks;
        assertEquals(Iommu.OK, iommu.translate(tp, va, GROUP, Translation.READ));
        assertEquals(walks, tp.walks, "precondition: coalesced for Priv = 1");
        for (int i = 0; i < 16; i++) {
            assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(tu, va + i * PAGE, PAGE, Translation.READ),
                "user read of supervisor page " + i);
            assertEquals(TranslationFault.PAGE_NOT_PRESENT,
                iommu.translate(tu, va + i * PAGE, PAGE, Translation.WRITE), "user write of supervisor page " + i);
        }
        iommu.quiesce(tp);
        iommu.quiesce(tu);

        // a mixed group: one user page among supervisor pages never coalesces into something a user can reach
        final long[] mixed = contiguous(kernel, 1, AddressSpace.READ | AddressSpace.WRITE);
        kernel.protect(mixed[0] + 4 * PAGE, PAGE, AddressSpace.RW_USER);
        touch(tp, mixed[0], mixed[1], GROUP, Translation.READ);
        assertEquals(Iommu.OK, iommu.translate(tu, mixed[0] + 4 * PAGE, 2 * PAGE, Translation.READ));
        assertEquals(mixed[1] + 4 * PAGE, tu.hostAddress);
        assertEquals(PAGE, tu.length, "the user's run ends at the supervisor neighbour");
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(tu, mixed[0] + 5 * PAGE, 1, Translation.READ));
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(tu, mixed[0] + 3 * PAGE, 1, Translation.READ));
        iommu.quiesce(tp);
        iommu.quiesce(tu);
    }

    @Test
    void aUserGroupOfAPasidWithoutSupervisorRequestsNeverServesPriv() {
        final long[] m = contiguous(as, 1, AddressSpace.RW_USER);
        final Translation tu = user(PASID);
        touch(tu, m[0], m[1], GROUP, Translation.WRITE);
        final Translation tp = supervisor(PASID);
        for (int i = 0; i < 16; i++) {
            assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(tp, m[0] + i * PAGE, 1, Translation.READ),
                "Priv = 1 without SRE, page " + i);
        }
        iommu.quiesce(tp);
        iommu.quiesce(tu);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // large pages

    @Test
    void aTwoMegabytePageNextToCoalescedGroupsAndPromotionAndDemotion() {
        final long va = as.reserve(4L << 20, PageSize.SIZE_2M);
        final long host = memory.allocateBuffer(4L << 20, 2L << 20).address();
        final long mid = 2L << 20;
        as.map(va, host, mid, AddressSpace.RW_USER, PageSize.SIZE_2M);
        as.map(va + mid, host + mid, mid, AddressSpace.RW_USER);
        final Translation t = user(PASID);
        touch(t, va + mid, host + mid, mid, Translation.READ);
        assertEquals(Iommu.OK, iommu.translate(t, va + mid - GROUP, 2 * GROUP, Translation.READ));
        assertEquals(host + mid - GROUP, t.hostAddress);
        assertEquals(2 * GROUP, t.length, "one run from the large page into the first group");
        final long walks = t.walks;
        final long hits = t.iotlbHits;
        assertEquals(Iommu.OK, iommu.translate(t, va + mid, mid, Translation.READ));
        assertEquals(mid, t.length);
        assertEquals(walks, t.walks);
        assertEquals(mid / GROUP, t.iotlbHits - hits, "one hit per group next to the large page");
        iommu.quiesce(t);

        as.unmap(va, mid); // the large page goes
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(t, va + mid - 1, 1, Translation.READ));
        assertEquals(Iommu.OK, iommu.translate(t, va + mid, 1, Translation.READ));
        assertEquals(host + mid, t.hostAddress);
        iommu.quiesce(t);

        // promotion: the coalesced 4 KiB half becomes one 2 MiB page on other frames
        final long host2 = memory.allocateBuffer(2L << 20, 2L << 20).address();
        as.unmap(va + mid, mid);
        as.map(va + mid, host2, mid, AddressSpace.RW_USER, PageSize.SIZE_2M);
        for (long off = 0; off < mid; off += GROUP + 3 * PAGE + 7) {
            assertEquals(Iommu.OK, iommu.translate(t, va + mid + off, 1, Translation.READ));
            assertEquals(host2 + off, t.hostAddress, "promoted at +" + off);
        }
        iommu.quiesce(t);

        // demotion: back to 4 KiB pages on the first frames, in reverse group order (not adjacent across groups)
        as.unmap(va + mid, mid);
        for (int g = 0; g < 32; g++) {
            as.map(va + mid + g * GROUP, host + mid + (31 - g) * GROUP, GROUP, AddressSpace.RW_USER);
        }
        for (int pass = 0; pass < 2; pass++) {
            for (long off = 0; off < mid; off += PAGE) {
                final long g = off / GROUP;
                assertEquals(Iommu.OK, iommu.translate(t, va + mid + off, PAGE, Translation.READ));
                assertEquals(host + mid + (31 - g) * GROUP + off % GROUP, t.hostAddress, "demoted at +" + off);
            }
        }
        assertEquals(Iommu.OK, iommu.translate(t, va + mid + GROUP, 2 * GROUP, Translation.READ));
        assertEquals(GROUP, t.length, "groups from non-adjacent frames do not merge");
        iommu.quiesce(t);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // host memory bounds

    @Test
    void aGroupStraddlingTheEndOfHostMemoryIsNotCoalescedAndItsLastPageFaults() {
        final long[] m = contiguous(as, 1, AddressSpace.RW_USER); // creates the table page
        final long va = m[0];
        final long size = memory.size();
        assertTrue(as.root() < size / 2, "tables are low in memory, the top frames are free");
        as.invalidateOnChange(false);
        final long base = size - 15 * PAGE; // page 15 would be at `size`: outside host memory
        for (int i = 0; i < 16; i++) {
            rawLeaf(as, va + i * PAGE, (base + i * PAGE) | P | W | U | ACCESSED | DIRTY);
        }
        iommu.iotlb().invalidateRange(PASID, va, GROUP);
        final Translation t = user(PASID);
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < 15; i++) {
                assertEquals(Iommu.OK, iommu.translate(t, va + i * PAGE, PAGE, Translation.READ));
                assertEquals(base + i * PAGE, t.hostAddress);
            }
            assertEquals(TranslationFault.TRANSLATION_ERROR,
                iommu.translate(t, va + 15 * PAGE, 1, Translation.READ), "page 15 lies beyond host memory");
            assertEquals(TranslationFault.TRANSLATION_ERROR,
                iommu.translate(t, va + 15 * PAGE, 1, Translation.WRITE));
        }
        assertEquals(Iommu.OK, iommu.translate(t, va, GROUP, Translation.WRITE));
        assertEquals(base, t.hostAddress);
        assertEquals(15 * PAGE, t.length, "the run ends at the last byte of host memory");
        iommu.quiesce(t);

        // exactly at the end: coalesced, and the last byte is host memory's last byte
        final long end = size - GROUP;
        for (int i = 0; i < 16; i++) {
            rawLeaf(as, va + i * PAGE, (end + i * PAGE) | P | W | U | ACCESSED | DIRTY);
        }
        iommu.iotlb().invalidateRange(PASID, va, GROUP);
        touch(t, va, end, GROUP, Translation.READ);
        final long walks = t.walks;
        assertEquals(Iommu.OK, iommu.translate(t, va + GROUP - 1, 1, Translation.WRITE));
        assertEquals(size - 1, t.hostAddress);
        assertEquals(Iommu.OK, iommu.translate(t, va, GROUP, Translation.READ));
        assertEquals(GROUP, t.length);
        assertEquals(walks, t.walks, "coalesced at the end of memory");
        iommu.quiesce(t);
    }

    @Test
    void aGroupEntryNeverAnswersForTheNextGroupAndItsRunStopsAtTheGroupEnd() {
        final long va = as.reserve(2 * GROUP, PageSize.SIZE_2M);
        final long host = memory.allocateBuffer(2 * GROUP).address(); // host + GROUP .. is free memory after it
        as.map(va, host, GROUP, AddressSpace.RW_USER);
        final long[] frames = new long[16];
        for (int i = 0; i < 16; i++) {
            memory.frames().allocateFrame(); // spacer
            frames[i] = memory.frames().allocateFrame();
            as.map(va + GROUP + i * PAGE, frames[i], PAGE, AddressSpace.RW_USER);
        }
        final Translation t = user(PASID);
        touch(t, va, host, GROUP, Translation.READ);
        for (int i = 0; i < 16; i++) {
            assertEquals(Iommu.OK, iommu.translate(t, va + GROUP + i * PAGE + 3, 1, Translation.READ));
            assertEquals(frames[i] + 3, t.hostAddress, "next group, page " + i);
        }
        assertEquals(Iommu.OK, iommu.translate(t, va + GROUP - PAGE, 2 * PAGE, Translation.READ));
        assertEquals(host + GROUP - PAGE, t.hostAddress);
        assertEquals(PAGE, t.length, "the run does not continue into host + GROUP");
        assertEquals(Iommu.OK, iommu.translate(t, va, 2 * GROUP, Translation.READ));
        assertEquals(GROUP, t.length);
        iommu.quiesce(t);
        as.unmap(va + GROUP, PAGE);
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(t, va + GROUP, 1, Translation.READ));
        assertEquals(Iommu.OK, iommu.translate(t, va, 2 * GROUP, Translation.READ));
        assertEquals(GROUP, t.length);
        iommu.quiesce(t);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // the top of the address space (supervisor half)

    private static final long TOP_GROUP = 0xFFFF_FFFF_FFFF_0000L; // canonical for 4-level paging

    private long[] topGroup(AddressSpace kernel, Translation tp) {
        final long host = memory.allocateBuffer(GROUP).address();
        kernel.map(TOP_GROUP, host, GROUP, AddressSpace.READ | AddressSpace.WRITE);
        touch(tp, TOP_GROUP, host, GROUP, Translation.READ);
        final long walks = tp.walks;
        assertEquals(Iommu.OK, iommu.translate(tp, TOP_GROUP, GROUP, Translation.READ));
        assertEquals(host, tp.hostAddress);
        assertEquals(walks, tp.walks, "precondition: the top group is coalesced");
        iommu.quiesce(tp);
        return new long[] {host};
    }

    @Test
    void aScanInvalidationOfARangeEndingAtTheTopDropsTheTopGroup() {
        final AddressSpace kernel = iommu.bind(8, 4, true);
        final Translation tp = supervisor(8);
        topGroup(kernel, tp);
        kernel.invalidateOnChange(false);
        final long p3 = TOP_GROUP + 3 * PAGE;
        kernel.unmap(p3, PAGE);
        assertEquals(0, kernel.leafEntry(p3), "leaf cleared");
        // the driver's invalidation: the top 2 MiB but its last byte (a scan: above the targeted limit)
        final long from = 0xFFFF_FFFF_FFE0_0000L;
        iommu.iotlb().invalidateRange(8, from, (2L << 20) - 1);
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(tp, p3, 1, Translation.READ),
            "the coalesced top group (its end wraps to 0) must be dropped by a scan covering it");
        iommu.quiesce(tp);
    }

    /** Control for the test above: the same scan drops a 4 KiB entry of the same page (no coalescing: scattered). */
    @Test
    void theSameScanDropsAnUncoalescedFourKilobyteEntryAtTheTop() {
        final AddressSpace kernel = iommu.bind(8, 4, true);
        final Translation tp = supervisor(8);
        final long[] frames = new long[16];
        for (int i = 0; i < 16; i++) {
            memory.frames().allocateFrame(); // spacer
            frames[i] = memory.frames().allocateFrame();
            kernel.map(TOP_GROUP + i * PAGE, frames[i], PAGE, AddressSpace.READ | AddressSpace.WRITE);
        }
        for (int i = 0; i < 16; i++) {
            assertEquals(Iommu.OK, iommu.translate(tp, TOP_GROUP + i * PAGE, PAGE, Translation.READ));
            assertEquals(frames[i], tp.hostAddress);
        }
        iommu.quiesce(tp);
        kernel.invalidateOnChange(false);
        final long p3 = TOP_GROUP + 3 * PAGE;
        kernel.unmap(p3, PAGE);
        iommu.iotlb().invalidateRange(8, 0xFFFF_FFFF_FFE0_0000L, (2L << 20) - 1);
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(tp, p3, 1, Translation.READ));
        iommu.quiesce(tp);
    }

    @Test
    void aScanInvalidationOfTheTopTwoMegabytesDropsWhatItCovers() {
        final AddressSpace kernel = iommu.bind(8, 4, true);
        final Translation tp = supervisor(8);
        topGroup(kernel, tp);
        kernel.invalidateOnChange(false);
        final long p3 = TOP_GROUP + 3 * PAGE;
        kernel.unmap(p3, PAGE);
        iommu.iotlb().invalidateRange(8, 0xFFFF_FFFF_FFE0_0000L, 2L << 20); // va + length wraps to 0
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(tp, p3, 1, Translation.READ),
            "a range whose end is 2^64 covers the top group");
        iommu.quiesce(tp);
    }

    @Test
    void unmappingTheLastPageOfTheAddressSpaceRemovesIt() {
        final AddressSpace kernel = iommu.bind(8, 4, true);
        final Translation tp = supervisor(8);
        topGroup(kernel, tp);
        final long last = TOP_GROUP + 15 * PAGE; // 0xFFFF_FFFF_FFFF_F000
        kernel.unmap(last, PAGE);
        assertEquals(0, kernel.leafEntry(last), "the leaf of the last page is gone after unmap(last, 4096)");
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(tp, last, 1, Translation.READ));
        iommu.quiesce(tp);
    }

    @Test
    void aTargetedInvalidationAtTheTopDropsTheTopGroup() {
        final AddressSpace kernel = iommu.bind(8, 4, true);
        final Translation tp = supervisor(8);
        final long host = topGroup(kernel, tp)[0];
        final long p3 = TOP_GROUP + 3 * PAGE;
        kernel.unmap(p3, PAGE); // targeted: end does not wrap
        assertEquals(TranslationFault.PAGE_NOT_PRESENT, iommu.translate(tp, p3, 1, Translation.READ));
        assertEquals(Iommu.OK, iommu.translate(tp, TOP_GROUP + 4 * PAGE, 1, Translation.READ));
        assertEquals(host + 4 * PAGE, tp.hostAddress);
        iommu.quiesce(tp);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // concurrency: a remapping driver against a translating engine

    @Test
    void anEngineNeverSeesAPageStateOlderThanTheLastCompletedRemap() throws Exception {
        final long[] m = contiguous(as, 1, AddressSpace.RW_USER);
        final long va = m[0];
        final long host = m[1];
        final int pi = 6;
        final long vp = va + pi * PAGE;
        final long a = host + pi * PAGE;
        memory.frames().allocateFrame(); // spacer
        final long b = memory.frames().allocateFrame();
        assertNotEquals(a, b);
        // states: 0 = page 6 on its adjacent frame a (the group can coalesce), 1 = unmapped, 2 = on frame b
        final long[] stateHost = {a, -1, b};
        final AtomicInteger gen = new AtomicInteger();
        final AtomicInteger violations = new AtomicInteger();
        final AtomicInteger checks = new AtomicInteger();
        final AtomicReference<String> first = new AtomicReference<>();
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        final Translation t = user(PASID);
        touch(t, va, host, GROUP, Translation.READ);

        final Thread engine = new Thread(() -> {
            try {
                while (!stop.get()) {
                    final int g1 = gen.get();
                    final int rc = iommu.translate(t, vp, PAGE, Translation.READ);
                    final long h = rc == Iommu.OK ? t.hostAddress : -1;
                    final int runRc = iommu.translate(t, va, GROUP, Translation.READ);
                    final long runHost = t.hostAddress;
                    final long runLength = t.length;
                    // neighbours keep the group warm (and coalesce it when page 6 is on frame a and accessed)
                    for (int i = 0; i < 16; i += 5) {
                        if (i != pi) {
                            iommu.translate(t, va + i * PAGE, PAGE, Translation.READ);
                        }
                    }
                    iommu.quiesce(t);
                    final int g2 = gen.get();
                    if (g2 != g1) {
                        continue; // a remap completed meanwhile: any of several states is legitimate
                    }
                    checks.incrementAndGet();
                    final long now = stateHost[g1 % 3];
                    final long next = stateHost[(g1 + 1) % 3]; // the next remap may be under way
                    String bad = null;
                    if (h != now && h != next) {
                        bad = "gen " + g1 + ": page 6 -> " + h + ", allowed " + now + " or " + next;
                    }
                    final boolean mayBeWhole = now == a || next == a;
                    final boolean mayBePartial = now != a || next != a;
                    if (runRc != Iommu.OK || runHost != host
                        || !((mayBeWhole && runLength == GROUP) || (mayBePartial && runLength == pi * PAGE))) {
                        bad = "gen " + g1 + ": run rc " + runRc + " host " + runHost + " length " + runLength;
                    }
                    if (bad != null) {
                        violations.incrementAndGet();
                        first.compareAndSet(null, bad);
                    }
                }
            } catch (Throwable e) {
                first.compareAndSet(null, e.toString());
                violations.incrementAndGet();
            } finally {
                iommu.quiesce(t);
            }
        }, "attack-engine");
        engine.setDaemon(true);
        engine.start();
        try {
            for (int k = 1; k <= 300; k++) {
                switch (k % 3) {
                    case 0 -> as.map(vp, a, PAGE, AddressSpace.RW_USER);
                    case 1 -> as.unmap(vp, PAGE);
                    default -> as.map(vp, b, PAGE, AddressSpace.RW_USER);
                }
                gen.set(k);
                if ((k & 7) == 0) {
                    Thread.sleep(1); // let the engine translate under this state
                }
            }
        } finally {
            stop.set(true);
            engine.join(10_000);
        }
        assertTrue(!engine.isAlive(), "engine thread ended");
        System.out.println("IotlbCoalescingAttackTest: " + checks.get() + " stable-generation checks");
        assertTrue(checks.get() >= 10, "the engine checked under stable states: " + checks.get());
        assertEquals(0, violations.get(), "stale translations: " + first.get() + " (" + checks.get() + " checks)");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // performance: patterns that must not walk on every access

    @Test
    void readsAndWritesAlternatingInACleanCoalescedGroupStopWalking() {
        long g = -1;
        final long base = as.reserve(64 * GROUP, PageSize.SIZE_2M);
        for (long c = base >>> 16; c < (base >>> 16) + 64; c++) {
            if (!selfConflicting(PASID, c)) {
                g = c;
                break;
            }
        }
        final long va = g << 16;
        final long host = memory.allocateBuffer(GROUP).address();
        as.map(va, host, GROUP, AddressSpace.RW_USER);
        final Translation t = user(PASID);
        touch(t, va, host, GROUP, Translation.READ);
        final long walks = t.walks;
        for (int i = 0; i < 40; i++) {
            assertEquals(Iommu.OK, iommu.translate(t, va + 3 * PAGE, PAGE, Translation.WRITE));
            assertEquals(host + 3 * PAGE, t.hostAddress);
            assertEquals(Iommu.OK, iommu.translate(t, va + 9 * PAGE, PAGE, Translation.READ));
            assertEquals(host + 9 * PAGE, t.hostAddress);
        }
        assertTrue(t.walks - walks <= 2, "walks: " + (t.walks - walks));
        iommu.quiesce(t);
    }

    @Test
    void aGroupWithANeverAccessedPageCostsOneWalkPerPageOnce() {
        final long[] m = contiguous(as, 1, AddressSpace.RW_USER);
        final Translation t = user(PASID);
        touch(t, m[0], m[1], 15 * PAGE, Translation.READ);
        final long walks = t.walks;
        touch(t, m[0], m[1], 15 * PAGE, Translation.READ);
        assertEquals(walks, t.walks, "4 KiB entries serve the group that cannot coalesce");
        assertEquals(0, as.leafEntry(m[0] + 15 * PAGE) & ACCESSED);
    }

    /**
     * Some groups' coalesced entry hashes to the slot of one of the group's own 4 KiB pages (Iotlb.index: the low 4
     * bits of both are the same page-in-run index; about one group in 4096 with the default 65536 entries). A write to
     * that page of a clean group inserts its 4 KiB dirty entry over the coalesced one; the next read of any other page
     * of the group walks and re-inserts the coalesced entry over it (and insertCoalesced drops the group's 4 KiB
     * entries): every access walks. Before coalescing the two pages had distinct slots and both hit.
     */
    @Test
    void aGroupWhoseCoalescedSlotIsOneOfItsOwnPagesSlotsDoesNotWalkOnEveryAccess() {
        long g = -1;
        for (long c = 0x0000_2000_0000_0000L >>> 16; c < (0x0000_2000_0000_0000L >>> 16) + (1 << 22); c++) {
            if (selfConflicting(PASID, c)) {
                g = c;
                break;
            }
        }
        assertTrue(g >= 0, "a self-conflicting group exists");
        final long va = g << 16;
        final int i = (int) (g & 15);
        final int j = (i + 1) & 15;
        final long host = memory.allocateBuffer(GROUP).address();
        as.map(va, host, GROUP, AddressSpace.RW_USER);
        final Translation t = user(PASID);
        touch(t, va, host, GROUP, Translation.READ);
        final long walks = t.walks;
        for (int n = 0; n < 40; n++) {
            assertEquals(Iommu.OK, iommu.translate(t, va + i * PAGE, PAGE, Translation.WRITE));
            assertEquals(host + i * PAGE, t.hostAddress);
            assertEquals(Iommu.OK, iommu.translate(t, va + j * PAGE, PAGE, Translation.READ));
            assertEquals(host + j * PAGE, t.hostAddress);
        }
        iommu.quiesce(t);
        assertTrue(t.walks - walks <= 2, "group 0x" + Long.toHexString(g) + " (write page " + i + ", read page " + j
            + "): " + (t.walks - walks) + " walks for 80 accesses");
    }
}
