package io.softdsa.iommu;

import io.softdsa.memory.Le;
import io.softdsa.memory.Page;

import java.lang.foreign.MemorySegment;

import static io.softdsa.iommu.PagingLayout.ADDRESS_MASK;
import static io.softdsa.iommu.PagingLayout.ENTRY_SIZE;
import static io.softdsa.iommu.PagingLayout.PAGE_SIZE;
import static io.softdsa.iommu.PagingLayout.PRESENT;
import static io.softdsa.iommu.PagingLayout.SL_ACCESSED;
import static io.softdsa.iommu.PagingLayout.SL_ADDRESS_BITS;
import static io.softdsa.iommu.PagingLayout.SL_DIRTY;
import static io.softdsa.iommu.PagingLayout.SL_READ;
import static io.softdsa.iommu.PagingLayout.SL_WRITE;
import static io.softdsa.iommu.PagingLayout.WRITABLE;
import static io.softdsa.iommu.PagingLayout.canonical;
import static io.softdsa.iommu.PagingLayout.index;
import static io.softdsa.iommu.PagingLayout.indexShift;

/**
 * Walks page tables in host memory for one access (fact sheet section 13): first-level (x86-64) tables, second-level
 * (stage-2, guest-physical to host-physical) tables, or both nested — every stage-1 table access and the final
 * guest-physical address then go through stage 2. Present and reserved-bit checks at every level, effective
 * permissions over all levels, then accessed on every entry used and dirty on the leaf for a write, each set with a
 * compare-and-set on the 8-byte entry as hardware does. Stateless and thread-safe; results go to the caller's
 * {@link Translation}.
 * <p>
 * Nested: setting accessed/dirty in a guest page-table entry is a write to guest memory, so it goes through a stage-2
 * <em>write</em> translation of the entry's guest-physical address (a write-protected page-table page is the host's
 * stage-2 fault, {@link #STAGE2_FAULT}, and the stage-2 leaf's dirty bit logs the write); only entries whose bits
 * are not set yet are written.
 */
public final class PageTableWalker {
    /** A stage-2 miss: {@link Translation#stage2FaultAddress} says where; the host resolves it, not the guest. */
    public static final int STAGE2_FAULT = -2;
    /** {@link #stage2}'s internal answer when the leaf changed under the walk: walk again. Never returned. */
    private static final int LEAF_REPLACED = -3;
    /** Ordering step the model checker's planted variant turns off ({@code StageTwoLeafLincheckTest}). */
    private static final boolean LEAF_RECHECKED = Boolean.TRUE.booleanValue();

    private final MemorySegment memory;
    private final long memorySize;

    public PageTableWalker(MemorySegment memory) {
        this.memory = memory;
        this.memorySize = memory.byteSize();
    }

    /**
     * First-level walk, directly in host memory ({@code stage2Root} < 0) or nested through stage 2.
     *
     * @return {@link Iommu#OK} with {@code t.hostAddress} (of {@code va}) and {@code t.pageShift}; a page fault
     * (not present, permission); a translation error (non-canonical, reserved bits, beyond memory); or
     * {@link #STAGE2_FAULT}
     */
    public int walk(Translation t, long root, int levels, boolean supervisorRequests, long va, int access,
                    long stage2Root) {
        if (!canonical(va, levels)) {
            return TranslationFault.TRANSLATION_ERROR;
        }
        final boolean write = access == Translation.WRITE;
        final boolean nested = stage2Root >= 0;
        boolean writable = true;
        boolean user = true;
        long table = root;
        int depth = 0;
        int accessedClear = 0; // bit i: entry i was read without accessed (the walk must write it)
        for (int level = levels; level >= 1; level--) {
            final long entryGpa = table + (long) index(va, level) * ENTRY_SIZE;
            long entryAddress = entryGpa;
            if (nested) {
                final int s = stage2(t, stage2Root, entryGpa, Translation.READ);
                if (s != Iommu.OK) {
                    return s;
                }
                entryAddress = t.stage2Host;
            }
            if (entryAddress < 0 || entryAddress > memorySize - ENTRY_SIZE) {
                return TranslationFault.TRANSLATION_ERROR;
            }
            final long e = Le.getLongAcquire(memory, entryAddress); // pairs with AddressSpace's release stores
            // nested: the guest-physical address, translated again for writing if the entry needs an update
            t.walkEntries[depth] = nested ? entryGpa : entryAddress;
            if ((e & PagingLayout.ACCESSED) == 0) {
                accessedClear |= 1 << depth;
            }
            depth++;
            if ((e & PRESENT) == 0) {
                return TranslationFault.PAGE_NOT_PRESENT;
            }
            writable &= (e & WRITABLE) != 0;
            user &= (e & PagingLayout.USER) != 0;
            final long address = e & ADDRESS_MASK;
            final boolean large = (e & PAGE_SIZE) != 0;
            if (large && level > 3) {
                return TranslationFault.TRANSLATION_ERROR; // PS is reserved in PML4 and PML5 entries
            }
            if (level == 1 || large) {
                final int shift = indexShift(level);
                final long pageMask = (1L << shift) - 1;
                if ((address & pageMask) != 0 || (!nested && address > memorySize - (1L << shift))) {
                    return TranslationFault.TRANSLATION_ERROR;
                }
                if ((write && !writable) || (!t.priv && !user) || (t.priv && !supervisorRequests)) {
                    return TranslationFault.PAGE_NOT_PRESENT;
                }
                long host = address + (va & pageMask);
                int effectiveShift = shift;
                if (nested) {
                    final int s = stage2(t, stage2Root, host, access);
                    if (s != Iommu.OK) {
                        return s;
                    }
                    host = t.stage2Host;
                    effectiveShift = Math.min(shift, t.stage2Shift);
                }
                final boolean dirtyClear = write && (e & PagingLayout.DIRTY) == 0;
                for (int i = 0; i < depth; i++) {
                    final boolean leaf = i == depth - 1;
                    final long bits = PagingLayout.ACCESSED | (leaf && write ? PagingLayout.DIRTY : 0);
                    if (!nested) {
                        setBits(t.walkEntries[i], bits);
                    } else if ((accessedClear & (1 << i)) != 0 || (leaf && dirtyClear)) {
                        // the update is a DMA write into a guest page-table page: stage 2 must allow it (else the
                        // host's fault path runs and the walk is retried), and stage 2 logs it dirty
                        final int s = stage2(t, stage2Root, t.walkEntries[i], Translation.WRITE);
                        if (s != Iommu.OK) {
                            return s;
                        }
                        setBits(t.stage2Host, bits);
                    }
                }
                t.walkDepth = depth;
                t.pageShift = effectiveShift;
                t.hostAddress = host;
                t.leafWritable = writable;
                t.leafUser = user;
                return Iommu.OK;
            }
            if (!nested && address > memorySize - Page.SIZE) {
                return TranslationFault.TRANSLATION_ERROR;
            }
            table = address;
        }
        return TranslationFault.TRANSLATION_ERROR;
    }

    /**
     * Second-level walk of guest-physical {@code gpa}: fills {@code t.stage2Host} and {@code t.stage2Shift}, or
     * returns {@link #STAGE2_FAULT} (not present, or a write to a read-only page) / a translation error.
     */
    public int stage2(Translation t, long root, long gpa, int access) {
        if (gpa < 0 || (gpa >>> SL_ADDRESS_BITS) != 0) {
            return TranslationFault.TRANSLATION_ERROR;
        }
        // A leaf the host replaced between this walk's read and its A/D update is walked again: the update then
        // lands on the entry the host installed (or the walk faults on the hole), never on nothing. Each retry
        // follows a host store to that very entry, so the host's own progress bounds it.
        int s;
        while ((s = stage2Once(t, root, gpa, access)) == LEAF_REPLACED) {
            Thread.onSpinWait();
        }
        return s;
    }

    private int stage2Once(Translation t, long root, long gpa, int access) {
        final boolean write = access == Translation.WRITE;
        boolean writable = true;
        long table = root;
        int depth = 0;
        for (int level = 4; level >= 1; level--) {
            final long entryAddress = table + (long) index(gpa, level) * ENTRY_SIZE;
            if (entryAddress < 0 || entryAddress > memorySize - ENTRY_SIZE) {
                return TranslationFault.TRANSLATION_ERROR;
            }
            final long e = Le.getLongAcquire(memory, entryAddress);
            t.stage2Entries[depth++] = entryAddress;
            if ((e & SL_READ) == 0) {
                return stage2Fault(t, gpa, write);
            }
            writable &= (e & SL_WRITE) != 0;
            final long address = e & ADDRESS_MASK;
            final boolean large = (e & PAGE_SIZE) != 0;
            if (large && level > 3) {
                return TranslationFault.TRANSLATION_ERROR;
            }
            if (level == 1 || large) {
                final int shift = indexShift(level);
                final long pageMask = (1L << shift) - 1;
                if ((address & pageMask) != 0 || address > memorySize - (1L << shift)) {
                    return TranslationFault.TRANSLATION_ERROR;
                }
                if (write && !writable) {
                    return stage2Fault(t, gpa, true);
                }
                for (int i = 0; i < depth - 1; i++) {
                    setBits(t.stage2Entries[i], SL_ACCESSED);
                }
                if (!markLeaf(entryAddress, e, write ? SL_ACCESSED | SL_DIRTY : SL_ACCESSED)) {
                    return LEAF_REPLACED;
                }
                t.stage2Host = address + (gpa & pageMask);
                t.stage2Shift = shift;
                return Iommu.OK;
            }
            if (address > memorySize - Page.SIZE) {
                return TranslationFault.TRANSLATION_ERROR;
            }
            table = address;
        }
        return TranslationFault.TRANSLATION_ERROR;
    }

    /**
     * After a first-level walk (not nested) that ended at the 4 KiB leaf of {@code va}: whether the aligned group of
     * {@link Iotlb#COALESCED_PAGES} leaves around it (one 128-byte run of the same table page, so the same entries
     * above) may be cached as one coalesced IOTLB entry — every leaf present, accessed, with the walked leaf's
     * writable and user bits, mapping the next host page after its neighbour's, inside host memory. Returns the host
     * address of the group's first page, or -1; {@code t.groupDirty} says whether every leaf is dirty. Only leaves
     * already accessed qualify, so a coalesced hit never stands in for a walk that would have set an accessed bit;
     * the dirty bit is honoured the same way by the IOTLB (a write needs a dirty entry).
     */
    public long coalescible(Translation t, long va) {
        final long leaf = t.walkEntries[t.walkDepth - 1];
        final int groupIndex = index(va, 1) & (Iotlb.COALESCED_PAGES - 1);
        final long first = leaf - (long) groupIndex * ENTRY_SIZE;
        final long permissions = Le.getLongAcquire(memory, leaf) & (WRITABLE | PagingLayout.USER);
        long base = -1;
        boolean dirty = true;
        for (int i = 0; i < Iotlb.COALESCED_PAGES; i++) {
            final long e = Le.getLongAcquire(memory, first + (long) i * ENTRY_SIZE); // pairs with AddressSpace's stores
            if ((e & PRESENT) == 0 || (e & PagingLayout.ACCESSED) == 0
                || (e & (WRITABLE | PagingLayout.USER)) != permissions) {
                return -1;
            }
            final long address = e & ADDRESS_MASK;
            if (i == 0) {
                base = address;
                if (base > memorySize - ((long) Iotlb.COALESCED_PAGES << 12)) {
                    return -1;
                }
            } else if (address != base + ((long) i << 12)) {
                return -1;
            }
            dirty &= (e & PagingLayout.DIRTY) != 0;
        }
        t.groupDirty = dirty;
        return base;
    }

    private static int stage2Fault(Translation t, long gpa, boolean write) {
        t.stage2FaultAddress = gpa;
        t.stage2FaultWrite = write;
        return STAGE2_FAULT;
    }

    /**
     * Sets {@code bits} (A, or A and D) in the stage-2 leaf at {@code entryAddress} if it still maps what the walk
     * read ({@code read}, all but its A/D bits); false if the host replaced it since. The host departs a leaf with
     * getAndSet ({@code AddressSpace}), so against this CAS either the CAS lands first and the departing value the
     * host reports carries D, or the CAS fails, the reload sees the new entry and the walk goes again: a device
     * write is never left out of the dirty log. Without the check, a leaf unmapped between the read and the update
     * was skipped as not present while the write still went to the page it had mapped.
     */
    boolean markLeaf(long entryAddress, long read, long bits) {
        final long stable = ~(SL_ACCESSED | SL_DIRTY);
        for (;;) {
            final long old = Le.getLongVolatile(memory, entryAddress); // pairs with AddressSpace's getAndSet
            if (((old ^ read) & stable) != 0) {
                // the planted variant (LEAF_RECHECKED off) is the old code's skip: a leaf gone counts as marked
                return !LEAF_RECHECKED && (old & PRESENT) == 0;
            }
            if ((old & bits) == bits || Le.compareAndSetLong(memory, entryAddress, old, old | bits)) {
                return true;
            }
        }
    }

    private void setBits(long entryAddress, long bits) {
        for (;;) {
            final long old = Le.getLongVolatile(memory, entryAddress);
            if ((old & bits) == bits || (old & PRESENT) == 0) {
                return;
            }
            if (Le.compareAndSetLong(memory, entryAddress, old, old | bits)) {
                return;
            }
        }
    }
}
