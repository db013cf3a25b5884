package io.softdsa.iommu;

import io.softdsa.memory.FrameAllocator;
import io.softdsa.memory.HostMemory;

import java.lang.foreign.MemorySegment;

/**
 * A guest's physical memory: guest-physical addresses [0, size) reached through its {@link SecondLevelTables}, with
 * the guest's own frame allocator. A guest driver builds its stage-1 tables here ({@link AddressSpace#inGuest}).
 * A CPU touch of a page the host has not backed goes to the stage-2 fault handler first, as an EPT violation would.
 */
public final class GuestPhysicalMemory implements PhysicalMemory {
    private final HostMemory host;
    private final SecondLevelTables stage2;
    private final long size;
    private final FrameAllocator frames;

    public GuestPhysicalMemory(HostMemory host, SecondLevelTables stage2, long size) {
        this.host = host;
        this.stage2 = stage2;
        this.size = size;
        this.frames = new FrameAllocator(size);
    }

    /**
     * Guest RAM of {@code size} bytes backed up front by one contiguous host run, mapped writable with 2 MiB
     * stage-2 pages where alignment allows (4 KiB for the rest).
     */
    public static GuestPhysicalMemory backed(HostMemory host, SecondLevelTables stage2, long size) {
        return backed(host, stage2, size, AddressSpace.PageSize.SIZE_2M);
    }

    /**
     * Guest RAM backed up front, mapped with stage-2 pages of at most {@code pageSize} (dirty logging reports at
     * the granularity of the stage-2 page: a write dirties the whole 2 MiB page it lands in).
     */
    public static GuestPhysicalMemory backed(HostMemory host, SecondLevelTables stage2, long size,
                                             AddressSpace.PageSize pageSize) {
        final long run = host.frames().allocateContiguous(size, FrameAllocator.LARGE_2M);
        host.segment().asSlice(run, size).fill((byte) 0);
        final long large = pageSize == AddressSpace.PageSize.SIZE_4K ? 0 : size & -FrameAllocator.LARGE_2M;
        if (large > 0) {
            stage2.map(0, run, large, true, AddressSpace.PageSize.SIZE_2M);
        }
        if (size > large) {
            stage2.map(large, run + large, size - large, true);
        }
        return new GuestPhysicalMemory(host, stage2, size);
    }

    public SecondLevelTables stage2() {
        return stage2;
    }

    public long size() {
        return size;
    }

    public FrameAllocator frames() {
        return frames;
    }

    @Override
    public MemorySegment host() {
        return host.segment();
    }

    @Override
    public long toHost(long pa) {
        if (!contains(pa, 1)) {
            return -1;
        }
        long h = stage2.hostAddress(pa);
        if (h < 0 && stage2.resolve(pa, true)) {
            h = stage2.hostAddress(pa);
        }
        return h;
    }

    @Override
    public boolean contains(long pa, long length) {
        return pa >= 0 && length >= 0 && pa <= size - length;
    }

    @Override
    public long allocateFrame() {
        final long gpa = frames.allocateFrame();
        zero(gpa, FrameAllocator.FRAME_SIZE);
        return gpa;
    }

    @Override
    public long allocateContiguous(long bytes, long alignment) {
        final long gpa = frames.allocateContiguous(bytes, alignment);
        zero(gpa, (bytes + FrameAllocator.FRAME_SIZE - 1) & -FrameAllocator.FRAME_SIZE);
        return gpa;
    }

    @Override
    public void free(long pa, long bytes) {
        frames.free(pa, bytes);
    }

    /** CPU store into guest memory, page by page through stage 2. */
    public void write(long gpa, MemorySegment src) {
        PageCopy.write(host.segment(), this::requireBacked, gpa, src);
    }

    /** CPU load from guest memory. */
    public byte[] read(long gpa, int length) {
        return PageCopy.read(host.segment(), this::requireBacked, gpa, length);
    }

    private void zero(long gpa, long bytes) {
        for (long off = 0; off < bytes; off += FrameAllocator.FRAME_SIZE) {
            host.segment().asSlice(requireBacked(gpa + off), FrameAllocator.FRAME_SIZE).fill((byte) 0);
        }
    }

    private long requireBacked(long gpa) {
        final long h = toHost(gpa);
        if (h < 0) {
            throw new IllegalStateException("guest-physical 0x" + Long.toHexString(gpa) + " is not backed");
        }
        return h;
    }
}
