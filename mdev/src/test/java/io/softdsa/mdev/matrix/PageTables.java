package io.softdsa.mdev.matrix;

import io.softdsa.iommu.AddressSpace;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * What a translated target does to its tenant's page tables beyond mmap: a mapped run that ends where nothing is
 * mapped, and on-demand regions whose pages the tenant's page-fault path maps when a page request arrives.
 */
final class PageTables {
    private static final int PAGE = Target.PAGE;

    private final AddressSpace tables;
    private final LongSupplier frames;
    private final List<long[]> onDemand = new ArrayList<>();

    /** @param frames fresh zeroed frames in the tables' physical space (host or guest) */
    PageTables(AddressSpace tables, LongSupplier frames) {
        this.tables = tables;
        this.frames = frames;
    }

    /** [a, a + reachable) mapped, then 4 unmapped pages: returns a. */
    long endOfReach(int reachable) {
        final long pages = (reachable + PAGE - 1L) / PAGE;
        final long base = tables.reserve((pages + 4) * PAGE, AddressSpace.PageSize.SIZE_4K);
        for (long i = 0; i < pages; i++) {
            tables.map(base + i * PAGE, frames.getAsLong(), PAGE, AddressSpace.RW_USER);
        }
        return base + pages * PAGE - reachable;
    }

    /** A reserved range that {@link #fault} maps page by page. */
    synchronized long onDemand(long bytes) {
        final long length = (bytes + PAGE - 1) & -PAGE;
        final long va = tables.reserve(length, AddressSpace.PageSize.SIZE_4K);
        onDemand.add(new long[] {va, va + length});
        return va;
    }

    /** The page-fault path: maps the page of {@code address} if it lies in an on-demand region (false: it does not). */
    synchronized boolean fault(long address) {
        final long page = address & -PAGE;
        for (long[] r : onDemand) {
            if (page >= r[0] && page < r[1]) {
                if (tables.physicalAddress(page) < 0) {
                    tables.map(page, frames.getAsLong(), PAGE, AddressSpace.RW_USER);
                }
                return true;
            }
        }
        return false;
    }
}
