package io.softdsa.mdev.translation;

import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.GuestPhysicalMemory;
import io.softdsa.iommu.SecondLevelTables;
import io.softdsa.memory.FrameAllocator;
import io.softdsa.memory.HostMemory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A guest's physical memory as the host sees it: guest-physical [0, size) mapped onto host memory by host-owned
 * stage-2 tables. Backed up front, or lazily: then a stage-2 miss (a DMA or a CPU touch of a page the host has not
 * backed yet) is resolved by the host backing the page — the guest never sees it. Addresses outside guest RAM stay
 * unresolvable (a DMA there is a translation error, not a guest page fault).
 */
public final class GuestMemory implements AutoCloseable {
    private final HostMemory host;
    private final SecondLevelTables stage2;
    private final GuestPhysicalMemory physical;
    private final long size;
    private final List<long[]> hostRuns = new ArrayList<>();
    private final AtomicLong stage2Faults = new AtomicLong();
    private final AtomicLong stage2Refused = new AtomicLong();
    private final boolean lazy;
    private boolean closed;

    private GuestMemory(HostMemory host, SecondLevelTables stage2, long size, boolean lazy) {
        if (size < 2 * FrameAllocator.FRAME_SIZE || (size & (FrameAllocator.FRAME_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("guest memory size must be a multiple of 4096 and >= 8192: " + size);
        }
        this.host = host;
        this.stage2 = stage2;
        this.size = size;
        this.lazy = lazy;
        if (lazy) {
            this.physical = new GuestPhysicalMemory(host, stage2, size);
            stage2.faultHandler(this::backOnDemand);
        } else {
            this.physical = GuestPhysicalMemory.backed(host, stage2, size);
            stage2.faultHandler((gpa, write) -> {
                stage2Refused.incrementAndGet();
                return false;
            });
        }
    }

    /** Guest RAM backed up front by one contiguous host run (2 MiB stage-2 pages). */
    public static GuestMemory backed(io.softdsa.iommu.ScalableModeIommu iommu, long size) {
        return new GuestMemory(iommu.memory(), iommu.newSecondLevel(), size, false);
    }

    /** Guest RAM the host backs page by page on first touch (by the CPU or by DMA). */
    public static GuestMemory lazy(io.softdsa.iommu.ScalableModeIommu iommu, long size) {
        return new GuestMemory(iommu.memory(), iommu.newSecondLevel(), size, true);
    }

    /** The host's stage-2 fault handler: back the 4 KiB page, or refuse an address outside guest RAM. */
    private boolean backOnDemand(long gpa, boolean write) {
        if (gpa < 0 || gpa >= size) {
            stage2Refused.incrementAndGet();
            return false;
        }
        synchronized (this) {
            if (closed) {
                return false;
            }
            final long page = gpa & -FrameAllocator.FRAME_SIZE;
            if (stage2.hostAddress(page) >= 0) {
                return true; // another engine backed it meanwhile
            }
            final long frame = host.frames().allocateFrame();
            host.segment().asSlice(frame, FrameAllocator.FRAME_SIZE).fill((byte) 0);
            hostRuns.add(new long[] {frame, FrameAllocator.FRAME_SIZE});
            stage2.map(page, frame, FrameAllocator.FRAME_SIZE, true);
            stage2Faults.incrementAndGet();
            return true;
        }
    }

    public long size() {
        return size;
    }

    public SecondLevelTables stage2() {
        return stage2;
    }

    /** The guest-physical view page tables are built in (what the guest's own kernel writes through). */
    public GuestPhysicalMemory physical() {
        return physical;
    }

    /** The guest's frame allocator (the guest kernel's page allocator). */
    public FrameAllocator frames() {
        return physical.frames();
    }

    /** Host address behind {@code gpa} (backing it if lazy), or -1 outside guest RAM. */
    public long hostAddress(long gpa) {
        return physical.toHost(gpa);
    }

    /** Whether the host has backed the page of {@code gpa} yet. */
    public boolean isBacked(long gpa) {
        return stage2.hostAddress(gpa) >= 0;
    }

    /** CPU store into guest memory. */
    public void write(long gpa, MemorySegment src) {
        physical.write(gpa, src);
    }

    public void write(long gpa, byte[] src) {
        physical.write(gpa, MemorySegment.ofArray(src));
    }

    /** CPU load from guest memory. */
    public byte[] read(long gpa, int length) {
        return physical.read(gpa, length);
    }

    /** Stage-2 misses the host resolved by backing a page. */
    public long stage2Faults() {
        return stage2Faults.get();
    }

    /** Stage-2 misses the host refused (outside guest RAM). */
    public long stage2Refused() {
        return stage2Refused.get();
    }

    public MemorySegment hostSegment() {
        return host.segment();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!lazy) {
            final long run = stage2.hostAddress(0); // backed() maps guest RAM onto one contiguous host run
            if (run >= 0) {
                hostRuns.add(new long[] {run, size});
            }
        }
        stage2.free();
        for (long[] run : hostRuns) {
            host.frames().free(run[0], run[1]);
        }
        hostRuns.clear();
    }
}
