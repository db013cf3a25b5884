package io.softdsa.iommu;

import io.softdsa.completion.Status;
import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;

import static io.softdsa.iommu.PagingLayout.*;

/**
 * Walks x86-64 first-level page tables in host memory for one access (fact sheet section 13): present and
 * reserved-bit checks at every level, effective writable/user over all levels, Priv against the PASID's
 * supervisor-request enable, then accessed on every entry used and dirty on the leaf for a write, each set with a
 * compare-and-set on the 8-byte entry as hardware does. Stateless and thread-safe; results go to the caller's
 * {@link Translation}.
 */
public final class PageTableWalker {
    private final MemorySegment memory;
    private final long memorySize;

    public PageTableWalker(MemorySegment memory) {
        this.memory = memory;
        this.memorySize = memory.byteSize();
    }

    /**
     * @return {@link Iommu#OK} with {@code t.hostAddress} (of {@code va}) and {@code t.pageShift}; a page fault
     * (not present, permission); or a translation error (non-canonical, reserved bits, beyond host memory)
     */
    public int walk(Translation t, long root, int levels, boolean supervisorRequests, long va, int access) {
        if (!canonical(va, levels)) {
            return Status.TRANSLATION_ERROR;
        }
        final boolean write = access == Translation.WRITE;
        boolean writable = true;
        boolean user = true;
        long table = root;
        int depth = 0;
        for (int level = levels; level >= 1; level--) {
            final long entryAddress = table + (long) index(va, level) * ENTRY_SIZE;
            if (entryAddress < 0 || entryAddress > memorySize - ENTRY_SIZE) {
                return Status.TRANSLATION_ERROR;
            }
            final long e = Le.getLongAcquire(memory, entryAddress); // pairs with AddressSpace's release stores
            t.walkEntries[depth++] = entryAddress;
            if ((e & PRESENT) == 0) {
                return Status.PAGE_FAULT_NOBOF;
            }
            writable &= (e & WRITABLE) != 0;
            user &= (e & USER) != 0;
            final long address = e & ADDRESS_MASK;
            final boolean large = (e & PAGE_SIZE) != 0;
            if (large && level > 3) {
                return Status.TRANSLATION_ERROR; // PS is reserved in PML4 and PML5 entries
            }
            if (level == 1 || large) {
                final int shift = indexShift(level);
                final long pageMask = (1L << shift) - 1;
                if ((address & pageMask) != 0 || address > memorySize - (1L << shift)) {
                    return Status.TRANSLATION_ERROR;
                }
                if ((write && !writable) || (!t.priv && !user) || (t.priv && !supervisorRequests)) {
                    return Status.PAGE_FAULT_NOBOF;
                }
                for (int i = 0; i < depth; i++) {
                    setBits(t.walkEntries[i], ACCESSED);
                }
                if (write) {
                    setBits(entryAddress, DIRTY);
                }
                t.walkDepth = depth;
                t.pageShift = shift;
                t.hostAddress = address + (va & pageMask);
                t.leafWritable = writable;
                t.leafUser = user;
                return Iommu.OK;
            }
            if (address > memorySize - 4096) {
                return Status.TRANSLATION_ERROR;
            }
            table = address;
        }
        return Status.TRANSLATION_ERROR;
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
