package io.softdsa.iommu;

import io.softdsa.memory.FrameAllocator;
import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static io.softdsa.iommu.PagingLayout.*;

/**
 * One process address space bound to a PASID: writes real x86-64 page tables into host-memory frames, and
 * invalidates the IOTLB after every change as an IOMMU driver must (switch that off with
 * {@link #invalidateOnChange(boolean)} to reproduce a driver that forgets). Entries are published with release
 * stores that pair with the walker's acquire loads. Control path: methods are synchronized.
 */
public final class AddressSpace {
    /** Protection bits for {@link #map} and {@link #protect}. */
    public static final int READ = 1;
    public static final int WRITE = 2;
    /** User-accessible (U/S = 1); without it a page is supervisor-only and needs Priv = 1. */
    public static final int USER = 4;
    public static final int RW_USER = READ | WRITE | USER;

    /** Leaf page sizes. */
    public enum PageSize {
        SIZE_4K(PAGE_SHIFT_4K, 1),
        SIZE_2M(PAGE_SHIFT_2M, 2),
        SIZE_1G(PAGE_SHIFT_1G, 3);

        final int shift;
        final int level;

        PageSize(int shift, int level) {
            this.shift = shift;
            this.level = level;
        }

        public long bytes() {
            return 1L << shift;
        }
    }

    private static final long TABLE_FLAGS = PRESENT | WRITABLE | PagingLayout.USER; // permissions live in leaves
    private static final long VA_BASE = 0x0000_1000_0000_0000L;

    /** Called after every change (unless switched off) with (pasid, va, length): the IOTLB invalidation to issue. */
    @FunctionalInterface
    public interface Invalidator {
        void invalidate(int pasid, long va, long length);
    }

    private final ScalableModeIommu iommu;
    private final PhysicalMemory memory;
    private final Invalidator invalidator;
    private final MemorySegment m;
    private final int pasid;
    private final int levels;
    private final long root;
    private final List<Long> tableFrames = new ArrayList<>();
    private final List<long[]> dataRuns = new ArrayList<>();
    private long nextVa = VA_BASE;
    private boolean invalidateOnChange = true;
    /** Told of every present leaf a map replaces or an unmap removes, with the entry it had (null: no one). */
    private LeafVisitor departures;
    private boolean bound = true;

    AddressSpace(ScalableModeIommu iommu, int pasid, int levels, boolean supervisorRequests) {
        this.iommu = iommu;
        this.memory = new HostPhysicalMemory(iommu.memory());
        this.invalidator = (p, va, length) -> iommu.iotlb().invalidateRange(p, va, length);
        this.m = memory.host();
        this.pasid = pasid;
        this.levels = levels;
        this.root = newTable();
        iommu.pasidTable().set(pasid, PasidTableLayout.PGTT_FIRST_LEVEL, root, levels, supervisorRequests, 0);
    }

    private AddressSpace(PhysicalMemory memory, int pasid, int levels, Invalidator invalidator) {
        this.iommu = null;
        this.memory = memory;
        this.invalidator = invalidator;
        this.m = memory.host();
        this.pasid = pasid;
        this.levels = levels;
        this.root = newTable();
    }

    /**
     * Page tables a guest keeps in its own physical memory (stage 1 of nested translation): addresses in the tables
     * are guest-physical; {@code invalidator} is the guest's IOTLB invalidation (forwarded by the host). Bind its
     * {@link #root()} with {@link ScalableModeIommu#bindNested}.
     */
    public static AddressSpace inGuest(PhysicalMemory guestMemory, int guestPasid, int levels,
                                       Invalidator invalidator) {
        if (levels != 4 && levels != 5) {
            throw new IllegalArgumentException("paging levels must be 4 or 5: " + levels);
        }
        return new AddressSpace(guestMemory, guestPasid, levels, invalidator);
    }

    public int pasid() {
        return pasid;
    }

    public int levels() {
        return levels;
    }

    /** Physical address (host, or guest for {@link #inGuest}) of the top-level table. */
    public long root() {
        return root;
    }

    /** Whether changes invalidate the IOTLB (default true; false models a driver that forgets). */
    public synchronized void invalidateOnChange(boolean invalidate) {
        this.invalidateOnChange = invalidate;
    }

    /** Maps [va, va + length) onto host [hostAddress, ...) with 4 KiB pages. */
    public void map(long va, long hostAddress, long length, int prot) {
        map(va, hostAddress, length, prot, PageSize.SIZE_4K);
    }

    /** Maps with pages of {@code size}; va, hostAddress and length must be multiples of it. Replaces old leaves. */
    public synchronized void map(long va, long hostAddress, long length, int prot, PageSize size) {
        checkBound();
        final long page = size.bytes();
        if ((va & (page - 1)) != 0 || (hostAddress & (page - 1)) != 0 || length <= 0 || (length & (page - 1)) != 0) {
            throw new IllegalArgumentException("va, host address and length must be multiples of " + page);
        }
        if (!memory.contains(hostAddress, length)) {
            throw new IllegalArgumentException("physical range outside memory: 0x" + Long.toHexString(hostAddress));
        }
        checkCanonical(va, length);
        for (long off = 0; off < length; off += page) {
            final long slot = slot(va + off, size.level, true);
            final long leaf = ((hostAddress + off) & ADDRESS_MASK) | PRESENT | protBits(prot)
                | (size == PageSize.SIZE_4K ? 0 : PAGE_SIZE);
            // an exchange, not a store: a dirty bit a walker set in the old leaf up to this very moment is seen
            // (its compare-and-set on the old entry either came first, or fails and retries on the new one)
            final long old = Le.getAndSetLong(m, host(slot), leaf);
            if (size != PageSize.SIZE_4K && (old & PRESENT) != 0 && (old & PAGE_SIZE) == 0) {
                // a promotion (smaller pages made one large page): the old table is out of every new walk now; its
                // leaves depart with the dirty bits walkers set in them until this moment
                departTable(old & ADDRESS_MASK, size.level - 1, va + off);
            } else {
                departed(slot, old, page, va + off);
            }
        }
        invalidate(va, length);
    }

    private void departed(long slot, long old, long pageBytes, long pageStart) {
        if ((old & PRESENT) != 0 && departures != null) {
            departures.visit(slot, old, pageBytes, pageStart);
        }
    }

    /** Reports and clears every leaf under a table no walk can reach any more. */
    private void departTable(long table, int level, long start) {
        if (departures == null) {
            return;
        }
        final long span = 1L << indexShift(level);
        for (int i = 0; i < PagingLayout.ENTRIES; i++) {
            final long slot = table + (long) i * ENTRY_SIZE;
            final long e = Le.getAndSetLong(m, host(slot), 0);
            if ((e & PRESENT) == 0) {
                continue;
            }
            if (level == 1 || (e & PAGE_SIZE) != 0) {
                departed(slot, e, span, start + i * span);
            } else {
                departTable(e & ADDRESS_MASK, level - 1, start + i * span);
            }
        }
    }

    /** {@code visitor} is told of every present leaf a later map replaces or unmap removes, with its last entry. */
    synchronized void onDeparture(LeafVisitor visitor) {
        this.departures = visitor;
    }

    /** Removes every leaf in [va, va + length); a large page must be covered whole. */
    public synchronized void unmap(long va, long length) {
        checkBound();
        forEachLeaf(va, length,
            (slot, entry, pageBytes, start) -> departed(slot, Le.getAndSetLong(m, host(slot), 0), pageBytes, start));
        invalidate(va, length);
    }

    /** Changes the protection of every leaf in [va, va + length), keeping address, accessed and dirty. */
    public synchronized void protect(long va, long length, int prot) {
        checkBound();
        final long bits = protBits(prot);
        forEachLeaf(va, length, (slot, entry, pageBytes, start) -> {
            // compare-and-set, not a store of the value read: the walker may set accessed/dirty meanwhile (its CAS),
            // and a dirty bit lost here would be a DMA write the dirty log never reports
            final long h = host(slot);
            for (long e = Le.getLongVolatile(m, h); ; e = Le.getLongVolatile(m, h)) {
                if (Le.compareAndSetLong(m, h, e, (e & ~(WRITABLE | PagingLayout.USER)) | bits)) {
                    break;
                }
            }
        });
        invalidate(va, length);
    }

    /**
     * mmap-like: reserves a fresh virtual range and backs it with newly allocated, zeroed frames.
     *
     * @param contiguous one physically contiguous run (so DMA over it is one bulk copy) or frame by frame
     * @return the virtual address
     */
    public synchronized long allocate(long length, int prot, PageSize size, boolean contiguous) {
        checkBound();
        final long page = size.bytes();
        final long rounded = (length + page - 1) & -page;
        final long va = reserve(rounded, size);
        if (contiguous || size != PageSize.SIZE_4K) {
            final long run = memory.allocateContiguous(rounded, page);
            dataRuns.add(new long[] {run, rounded});
            map(va, run, rounded, prot, size);
        } else {
            for (long off = 0; off < rounded; off += page) {
                final long frame = memory.allocateFrame();
                dataRuns.add(new long[] {frame, page});
                map(va + off, frame, page, prot, size);
            }
        }
        return va;
    }

    /** {@link #allocate(long, int, PageSize, boolean)} with 4 KiB frames allocated one by one. */
    public long allocate(long length, int prot) {
        return allocate(length, prot, PageSize.SIZE_4K, false);
    }

    /** A fresh virtual range with nothing mapped (for on-demand mapping through page requests). */
    public synchronized long reserve(long length, PageSize alignment) {
        final long align = alignment.bytes();
        final long va = (nextVa + align - 1) & -align;
        nextVa = va + ((length + FrameAllocator.FRAME_SIZE - 1) & -FrameAllocator.FRAME_SIZE) + FrameAllocator.FRAME_SIZE;
        return va;
    }

    /** The host address behind {@code va} as the CPU would see it (no accessed/dirty update), or -1. */
    public synchronized long hostAddress(long va) {
        final long pa = physicalAddress(va);
        return pa < 0 ? -1 : memory.toHost(pa);
    }

    /** The physical address (host, or guest for {@link #inGuest}) behind {@code va}, or -1. */
    public synchronized long physicalAddress(long va) {
        long table = root;
        for (int level = levels; level >= 1; level--) {
            final long e = m.get(Le.LONG, host(table + (long) index(va, level) * ENTRY_SIZE));
            if ((e & PRESENT) == 0) {
                return -1;
            }
            if (level == 1 || (e & PAGE_SIZE) != 0) {
                final long pageMask = (1L << indexShift(level)) - 1;
                return (e & ADDRESS_MASK & ~pageMask) + (va & pageMask);
            }
            table = e & ADDRESS_MASK;
        }
        return -1;
    }

    /** CPU store of {@code src} at {@code va} (page by page through the tables). */
    public void write(long va, MemorySegment src) {
        PageCopy.write(m, this::requireMapped, va, src);
    }

    /** CPU load of {@code length} bytes at {@code va}. */
    public byte[] read(long va, int length) {
        return PageCopy.read(m, this::requireMapped, va, length);
    }

    /** The raw leaf entry mapping {@code va} (accessed and dirty bits included), or 0. */
    public synchronized long leafEntry(long va) {
        long table = root;
        for (int level = levels; level >= 1; level--) {
            final long slot = table + (long) index(va, level) * ENTRY_SIZE;
            final long e = Le.getLongVolatile(m, host(slot));
            if ((e & PRESENT) == 0) {
                return 0;
            }
            if (level == 1 || (e & PAGE_SIZE) != 0) {
                return e;
            }
            table = e & ADDRESS_MASK;
        }
        return 0;
    }

    /**
     * Unbinds the PASID (if it is still bound to these tables: a PASID freed and bound again meanwhile keeps its new
     * binding), invalidates its IOTLB entries and frees every frame this address space allocated.
     */
    public synchronized void unbind() {
        if (!bound) {
            return;
        }
        if (iommu != null) {
            // invalidates even if the binding is someone else's by now: no engine may still walk these tables or
            // use a translation through them once they are freed below
            iommu.unbindFirstLevel(pasid, root);
        } else {
            invalidator.invalidate(pasid, 0, -1L >>> 1);
        }
        for (long frame : tableFrames) {
            memory.free(frame, FrameAllocator.FRAME_SIZE);
        }
        for (long[] run : dataRuns) {
            memory.free(run[0], run[1]);
        }
        tableFrames.clear();
        dataRuns.clear();
        bound = false;
    }

    private long requireMapped(long va) {
        final long host = hostAddress(va);
        if (host < 0) {
            throw new IllegalArgumentException("PASID " + pasid + ": 0x" + Long.toHexString(va) + " is not mapped");
        }
        return host;
    }

    private void invalidate(long va, long length) {
        if (invalidateOnChange) {
            invalidator.invalidate(pasid, va, length);
        }
    }

    /** Host address of a table entry at physical address {@code pa}. */
    private long host(long pa) {
        final long h = memory.toHost(pa);
        if (h < 0) {
            throw new IllegalStateException("page-table memory at physical 0x" + Long.toHexString(pa)
                + " is not backed");
        }
        return h;
    }

    /** The host address of the entry for {@code va} at {@code targetLevel}, creating tables on the way. */
    private long slot(long va, int targetLevel, boolean create) {
        long table = root;
        for (int level = levels; level > targetLevel; level--) {
            final long slot = table + (long) index(va, level) * ENTRY_SIZE;
            long e = m.get(Le.LONG, host(slot));
            if ((e & PRESENT) == 0) {
                if (!create) {
                    return -1;
                }
                final long next = newTable();
                e = next | TABLE_FLAGS;
                Le.setLongRelease(m, host(slot), e);
            } else if ((e & PAGE_SIZE) != 0) {
                throw new IllegalStateException("0x" + Long.toHexString(va) + " lies in a large page; unmap it first");
            }
            table = e & ADDRESS_MASK;
        }
        return table + (long) index(va, targetLevel) * ENTRY_SIZE;
    }

    /** Visits a present leaf: the physical address of its entry, the entry, the page's size and first address. */
    @FunctionalInterface
    interface LeafVisitor {
        void visit(long slot, long entry, long pageBytes, long pageStart);
    }

    /** Every present leaf overlapping [va, va + length), large pages included whole (for scans such as dirty logs). */
    synchronized void visitLeaves(long va, long length, LeafVisitor visitor) {
        walkLeaves(va, length, false, visitor);
    }

    /** Host address of the entry at physical {@code pa} of these tables. */
    long entryHostAddress(long pa) {
        return host(pa);
    }

    private void forEachLeaf(long va, long length, LeafVisitor visitor) {
        walkLeaves(va, length, true, visitor);
    }

    private void walkLeaves(long va, long length, boolean strict, LeafVisitor visitor) {
        if (length <= 0) {
            return;
        }
        // inclusive last byte: a range that ends at the top of the address space has va + length = 0
        final long last = va + length - 1;
        long cursor = va & ~0xFFFL;
        while (Long.compareUnsigned(cursor, last) <= 0) {
            long table = root;
            long step = FrameAllocator.FRAME_SIZE;
            for (int level = levels; level >= 1; level--) {
                final long slot = table + (long) index(cursor, level) * ENTRY_SIZE;
                final long e = m.get(Le.LONG, host(slot));
                if ((e & PRESENT) == 0) {
                    step = Math.max(FrameAllocator.FRAME_SIZE, (1L << indexShift(level))
                        - (cursor & ((1L << indexShift(level)) - 1)));
                    break;
                }
                if (level == 1 || (e & PAGE_SIZE) != 0) {
                    final long pageBytes = 1L << indexShift(level);
                    if (strict && ((cursor & (pageBytes - 1)) != 0
                        || Long.compareUnsigned((cursor & -pageBytes) + pageBytes - 1, last) > 0)) {
                        throw new IllegalArgumentException("range splits a " + pageBytes + "-byte page at 0x"
                            + Long.toHexString(cursor & -pageBytes));
                    }
                    visitor.visit(slot, e, pageBytes, cursor & -pageBytes);
                    step = pageBytes - (cursor & (pageBytes - 1));
                    break;
                }
                table = e & ADDRESS_MASK;
            }
            final long next = cursor + step;
            if (Long.compareUnsigned(next, cursor) <= 0) {
                return; // past the top of the address space
            }
            cursor = next;
        }
    }

    private long newTable() {
        final long frame = memory.allocateFrame();
        tableFrames.add(frame);
        return frame;
    }

    private static long protBits(int prot) {
        return ((prot & WRITE) != 0 ? WRITABLE : 0) | ((prot & USER) != 0 ? PagingLayout.USER : 0);
    }

    private void checkCanonical(long va, long length) {
        if (!canonical(va, levels) || !canonical(va + length - 1, levels)) {
            throw new IllegalArgumentException("non-canonical range at 0x" + Long.toHexString(va));
        }
    }

    private void checkBound() {
        if (!bound) {
            throw new IllegalStateException("PASID " + pasid + " is unbound");
        }
    }
}
