package io.softdsa.iommu;

import io.softdsa.memory.FrameAllocator;
import io.softdsa.memory.HostMemory;
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

    private static final long TABLE_FLAGS = PRESENT | WRITABLE | USER; // permissions live in the leaves
    private static final long VA_BASE = 0x0000_1000_0000_0000L;

    private final ScalableModeIommu iommu;
    private final HostMemory memory;
    private final MemorySegment m;
    private final int pasid;
    private final int levels;
    private final long root;
    private final List<Long> tableFrames = new ArrayList<>();
    private final List<long[]> dataRuns = new ArrayList<>();
    private long nextVa = VA_BASE;
    private boolean invalidateOnChange = true;
    private boolean bound = true;

    AddressSpace(ScalableModeIommu iommu, int pasid, int levels, boolean supervisorRequests) {
        this.iommu = iommu;
        this.memory = iommu.memory();
        this.m = memory.segment();
        this.pasid = pasid;
        this.levels = levels;
        this.root = newTable();
        iommu.pasidTable().set(pasid, PasidTableLayout.PGTT_FIRST_LEVEL, root, levels, supervisorRequests, 0);
    }

    public int pasid() {
        return pasid;
    }

    public int levels() {
        return levels;
    }

    /** Host-physical address of the top-level table. */
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
            throw new IllegalArgumentException("host range outside host memory: 0x" + Long.toHexString(hostAddress));
        }
        checkCanonical(va, length);
        for (long off = 0; off < length; off += page) {
            final long slot = slot(va + off, size.level, true);
            final long leaf = ((hostAddress + off) & ADDRESS_MASK) | PRESENT | protBits(prot)
                | (size == PageSize.SIZE_4K ? 0 : PAGE_SIZE);
            Le.setLongRelease(m, slot, leaf);
        }
        invalidate(va, length);
    }

    /** Removes every leaf in [va, va + length); a large page must be covered whole. */
    public synchronized void unmap(long va, long length) {
        checkBound();
        forEachLeaf(va, length, (slot, entry, pageBytes) -> Le.setLongRelease(m, slot, 0));
        invalidate(va, length);
    }

    /** Changes the protection of every leaf in [va, va + length), keeping address, accessed and dirty. */
    public synchronized void protect(long va, long length, int prot) {
        checkBound();
        forEachLeaf(va, length, (slot, entry, pageBytes) ->
            Le.setLongRelease(m, slot, (entry & ~(WRITABLE | USER)) | protBits(prot)));
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
            final long run = memory.frames().allocateContiguous(rounded, page);
            m.asSlice(run, rounded).fill((byte) 0);
            dataRuns.add(new long[] {run, rounded});
            map(va, run, rounded, prot, size);
        } else {
            for (long off = 0; off < rounded; off += page) {
                final long frame = memory.frames().allocateFrame();
                m.asSlice(frame, page).fill((byte) 0);
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
        long table = root;
        for (int level = levels; level >= 1; level--) {
            final long e = m.get(Le.LONG, table + (long) index(va, level) * ENTRY_SIZE);
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
        for (long done = 0; done < src.byteSize(); ) {
            final long host = requireMapped(va + done);
            final long n = Math.min(src.byteSize() - done, 4096 - ((va + done) & 4095));
            MemorySegment.copy(src, done, m, host, n);
            done += n;
        }
    }

    /** CPU load of {@code length} bytes at {@code va}. */
    public byte[] read(long va, int length) {
        final byte[] out = new byte[length];
        for (int done = 0; done < length; ) {
            final long host = requireMapped(va + done);
            final int n = (int) Math.min(length - done, 4096 - ((va + done) & 4095));
            MemorySegment.copy(m, java.lang.foreign.ValueLayout.JAVA_BYTE, host, out, done, n);
            done += n;
        }
        return out;
    }

    /** The raw leaf entry mapping {@code va} (accessed and dirty bits included), or 0. */
    public synchronized long leafEntry(long va) {
        long table = root;
        for (int level = levels; level >= 1; level--) {
            final long slot = table + (long) index(va, level) * ENTRY_SIZE;
            final long e = Le.getLongVolatile(m, slot);
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

    /** Unbinds the PASID, invalidates its IOTLB entries and frees every frame this address space allocated. */
    public synchronized void unbind() {
        if (!bound) {
            return;
        }
        iommu.pasidTable().clear(pasid);
        iommu.iotlb().invalidatePasid(pasid);
        for (long frame : tableFrames) {
            memory.frames().free(frame, FrameAllocator.FRAME_SIZE);
        }
        for (long[] run : dataRuns) {
            memory.frames().free(run[0], run[1]);
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
            iommu.iotlb().invalidateRange(pasid, va, length);
        }
    }

    /** The host address of the entry for {@code va} at {@code targetLevel}, creating tables on the way. */
    private long slot(long va, int targetLevel, boolean create) {
        long table = root;
        for (int level = levels; level > targetLevel; level--) {
            final long slot = table + (long) index(va, level) * ENTRY_SIZE;
            long e = m.get(Le.LONG, slot);
            if ((e & PRESENT) == 0) {
                if (!create) {
                    return -1;
                }
                final long next = newTable();
                e = next | TABLE_FLAGS;
                Le.setLongRelease(m, slot, e);
            } else if ((e & PAGE_SIZE) != 0) {
                throw new IllegalStateException("0x" + Long.toHexString(va) + " lies in a large page; unmap it first");
            }
            table = e & ADDRESS_MASK;
        }
        return table + (long) index(va, targetLevel) * ENTRY_SIZE;
    }

    @FunctionalInterface
    private interface LeafVisitor {
        void visit(long slot, long entry, long pageBytes);
    }

    private void forEachLeaf(long va, long length, LeafVisitor visitor) {
        final long end = va + length;
        long cursor = va & ~0xFFFL;
        while (Long.compareUnsigned(cursor, end) < 0) {
            long table = root;
            long step = FrameAllocator.FRAME_SIZE;
            for (int level = levels; level >= 1; level--) {
                final long slot = table + (long) index(cursor, level) * ENTRY_SIZE;
                final long e = m.get(Le.LONG, slot);
                if ((e & PRESENT) == 0) {
                    step = Math.max(FrameAllocator.FRAME_SIZE, (1L << indexShift(level))
                        - (cursor & ((1L << indexShift(level)) - 1)));
                    break;
                }
                if (level == 1 || (e & PAGE_SIZE) != 0) {
                    final long pageBytes = 1L << indexShift(level);
                    if ((cursor & (pageBytes - 1)) != 0 || Long.compareUnsigned(cursor + pageBytes, end) > 0) {
                        throw new IllegalArgumentException("range splits a " + pageBytes + "-byte page at 0x"
                            + Long.toHexString(cursor & -pageBytes));
                    }
                    visitor.visit(slot, e, pageBytes);
                    step = pageBytes;
                    break;
                }
                table = e & ADDRESS_MASK;
            }
            cursor += step;
        }
    }

    private long newTable() {
        final long frame = memory.frames().allocateFrame();
        m.asSlice(frame, FrameAllocator.FRAME_SIZE).fill((byte) 0);
        tableFrames.add(frame);
        return frame;
    }

    private static long protBits(int prot) {
        return ((prot & WRITE) != 0 ? WRITABLE : 0) | ((prot & USER) != 0 ? USER_BIT : 0);
    }

    private static final long USER_BIT = PagingLayout.USER;

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
