package io.softdsa.iommu;

import io.softdsa.iommu.AddressSpace.PageSize;
import io.softdsa.memory.Le;

import java.util.ArrayList;
import java.util.List;

/**
 * A guest's stage-2 translation: host-owned second-level tables (VT-d format, {@link PagingLayout}) mapping
 * guest-physical to host-physical, 4-level. Every change invalidates
 * the whole IOTLB, since nested entries of every PASID of the guest may depend on it. Also the DMA dirty log of the
 * guest's memory: the walker sets the dirty bit of the leaf on every DMA write.
 */
public final class SecondLevelTables {
    private final ScalableModeIommu iommu;
    private final AddressSpace tables;
    private volatile SecondLevelFaultHandler faultHandler;
    /**
     * Guest-physical ranges [start, end) whose leaf was dirty when the host replaced or removed it: the next report
     * that covers them says so, as a write to the old leaf is no less a write (guarded by itself).
     */
    private final List<long[]> departedDirty = new ArrayList<>();
    /**
     * Whether a log is being kept: outside one nothing reads departed ranges, so none are kept (guarded by
     * departedDirty).
     */
    private boolean logging;

    SecondLevelTables(ScalableModeIommu iommu) {
        this.iommu = iommu;
        this.tables = AddressSpace.inGuest(new HostPhysicalMemory(iommu.memory()), 0, 4,
            (pasid, va, length) -> iommu.iotlb().invalidateAll());
        tables.onDeparture((slot, entry, pageBytes, pageStart) -> {
            if ((entry & PagingLayout.SL_DIRTY) != 0) {
                synchronized (departedDirty) {
                    if (logging) {
                        departedDirty.add(new long[] {pageStart, pageStart + pageBytes});
                    }
                }
            }
        });
    }

    /** Host-physical address of the top-level table (the PASID entry's second-level pointer). */
    public long root() {
        return tables.root();
    }

    public void map(long gpa, long hpa, long length, boolean writable) {
        map(gpa, hpa, length, writable, PageSize.SIZE_4K);
    }

    public void map(long gpa, long hpa, long length, boolean writable, PageSize size) {
        tables.map(gpa, hpa, length, AddressSpace.READ | (writable ? AddressSpace.WRITE : 0), size);
    }

    public void unmap(long gpa, long length) {
        tables.unmap(gpa, length);
    }

    /** Host address behind {@code gpa}, or -1 if not backed. */
    public long hostAddress(long gpa) {
        return tables.physicalAddress(gpa);
    }

    public void faultHandler(SecondLevelFaultHandler handler) {
        this.faultHandler = handler;
    }

    boolean resolve(long gpa, boolean write) {
        final SecondLevelFaultHandler h = faultHandler;
        return h != null && h.resolve(gpa, write);
    }

    /** Starts DMA dirty logging: forgets earlier writes so the log holds only writes from now on. */
    public void startDirtyLogging() {
        clearDirty(0, 1L << PagingLayout.SL_ADDRESS_BITS, null, 0, PagingLayout.PAGE_SHIFT_4K);
        synchronized (departedDirty) {
            departedDirty.clear();
            logging = true;
        }
    }

    /**
     * Report and clear for [gpa, gpa + length): bit k of the result covers [gpa + k·2^pageShift, ...). A page is set
     * if a DMA write reached it since the last report (a large stage-2 page reports every page it covers).
     */
    public long[] reportAndClearDirty(long gpa, long length, int pageShift) {
        if (pageShift < PagingLayout.PAGE_SHIFT_4K || (gpa & ((1L << pageShift) - 1)) != 0 || length <= 0) {
            throw new IllegalArgumentException("range must be aligned to the report page size 2^" + pageShift);
        }
        final long pages = (length + (1L << pageShift) - 1) >>> pageShift;
        final long[] bitmap = new long[(int) ((pages + 63) >>> 6)];
        clearDirty(gpa, length, bitmap, gpa, pageShift);
        takeDeparted(gpa, gpa + length, bitmap, pageShift);
        return bitmap;
    }

    /** Reports the departed dirty ranges within [from, to) and forgets that part of them. */
    private void takeDeparted(long from, long to, long[] bitmap, int pageShift) {
        synchronized (departedDirty) {
            final List<long[]> kept = new ArrayList<>();
            for (long[] r : departedDirty) {
                final long start = Math.max(r[0], from);
                final long end = Math.min(r[1], to);
                if (start >= end) {
                    kept.add(r);
                    continue;
                }
                markPages(bitmap, from, to, pageShift, start, end - start);
                if (r[0] < start) {
                    kept.add(new long[] {r[0], start});
                }
                if (end < r[1]) {
                    kept.add(new long[] {end, r[1]});
                }
            }
            departedDirty.clear();
            departedDirty.addAll(kept);
        }
    }

    /** Ends dirty logging (bits keep being set by DMA; nothing reads them). */
    public void stopDirtyLogging() {
        // the hardware keeps setting D with SLADE; only the record of departed dirty leaves stops
        synchronized (departedDirty) {
            departedDirty.clear();
            logging = false;
        }
    }

    private void clearDirty(long gpa, long length, long[] bitmap, long base, int pageShift) {
        final var segment = iommu.memory().segment();
        tables.visitLeaves(gpa, length, (slot, entry, pageBytes, pageStart) -> {
            final long host = tables.entryHostAddress(slot);
            for (;;) {
                final long e = Le.getLongVolatile(segment, host);
                if ((e & PagingLayout.SL_DIRTY) == 0) {
                    return;
                }
                if (Le.compareAndSetLong(segment, host, e, e & ~PagingLayout.SL_DIRTY)) {
                    break;
                }
            }
            if (bitmap != null) {
                markPages(bitmap, base, gpa + length, pageShift, pageStart, pageBytes);
            }
        });
        // cached translations remember "dirty already set": drop them so the next write marks the page again
        iommu.iotlb().invalidateAll();
    }

    private static void markPages(long[] bitmap, long base, long end, int pageShift, long start, long bytes) {
        final long from = Math.max(start, base);
        final long to = Math.min(start + bytes, end);
        for (long a = from & -(1L << pageShift); a < to; a += 1L << pageShift) {
            final long bit = (a - base) >>> pageShift;
            bitmap[(int) (bit >>> 6)] |= 1L << bit;
        }
    }

    /** Frees the tables. */
    public void free() {
        tables.unbind();
    }
}
