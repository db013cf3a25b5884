package io.softdsa.mdev.translation;

import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.GuestPhysicalMemory;
import io.softdsa.iommu.SecondLevelTables;
import io.softdsa.memory.FrameAllocator;
import io.softdsa.memory.HostMemory;
import io.softdsa.memory.Page;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A guest's physical memory as the host sees it: guest-physical [0, size) mapped onto host memory by host-owned
 * stage-2 tables. Backed up front, or lazily: then a stage-2 miss (a DMA or a CPU touch of a page the host has not
 * backed yet) is resolved by the host backing the page — the guest never sees it. Addresses outside guest RAM stay
 * unresolvable (a DMA there is a translation error, not a guest page fault).
 * <p>
 * <b>Migration.</b> One object is one host's backing of the guest's RAM (its host frames and stage-2 tables); the
 * guest-side state — the {@link GuestPhysicalMemory} with the guest kernel's frame allocator, which the guest's page
 * tables and drivers hold — is {@link #physical()}. A {@link #movable} memory's guest-side state can be taken over by
 * the destination's memory ({@link #takeOver}) once a VMM has copied the RAM across (with {@link #backedAddress} on
 * the source, {@link #backIncoming} on the destination: the VMM's own view, which neither faults nor marks the vCPU
 * dirty log), so the guest goes on with the same objects on the other host.
 */
public final class GuestMemory implements AutoCloseable {
    private final HostMemory host;
    private final SecondLevelTables stage2;
    /** This host's guest-side view, or the source's after {@link #takeOver}; volatile store there, loads here. */
    private volatile GuestPhysicalMemory physical;
    private final long size;
    private final List<long[]> hostRuns = new ArrayList<>();
    private final AtomicLong stage2Faults = new AtomicLong();
    private final AtomicLong stage2Refused = new AtomicLong();
    private final boolean lazy;
    private final boolean movable;
    private boolean closed;

    private GuestMemory(HostMemory host, SecondLevelTables stage2, long size, boolean lazy, boolean movable) {
        if (size < 2 * FrameAllocator.FRAME_SIZE || (size & (FrameAllocator.FRAME_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("guest memory size must be a multiple of " + Page.SIZE + " and >= " + 2 * Page.SIZE + ": " + size);
        }
        this.host = host;
        this.stage2 = stage2;
        this.size = size;
        this.lazy = lazy;
        this.movable = movable;
        if (lazy) {
            this.physical = movable ? GuestPhysicalMemory.movable(host, stage2, size)
                : new GuestPhysicalMemory(host, stage2, size);
            stage2.faultHandler(this::backOnDemand);
        } else {
            // a movable guest is dirty-logged for migration: 4 KiB stage-2 pages, so a DMA write dirties one page
            // (a 2 MiB stage-2 page would make every write cost 2 MiB of pre-copy)
            this.physical = movable
                ? GuestPhysicalMemory.backed(host, stage2, size, AddressSpace.PageSize.SIZE_4K, true)
                : GuestPhysicalMemory.backed(host, stage2, size);
            stage2.faultHandler((gpa, write) -> {
                stage2Refused.incrementAndGet();
                return false;
            });
        }
    }

    /** Guest RAM backed up front by one contiguous host run (2 MiB stage-2 pages). */
    public static GuestMemory backed(io.softdsa.iommu.ScalableModeIommu iommu, long size) {
        return new GuestMemory(iommu.memory(), iommu.newSecondLevel(), size, false, false);
    }

    /** Guest RAM the host backs page by page on first touch (by the CPU or by DMA). */
    public static GuestMemory lazy(io.softdsa.iommu.ScalableModeIommu iommu, long size) {
        return new GuestMemory(iommu.memory(), iommu.newSecondLevel(), size, true, false);
    }

    /**
     * Guest RAM of a VM that may migrate: lazily backed, or backed up front with 4 KiB stage-2 pages; its guest-side
     * state can move to another host ({@link #takeOver}). Host addresses of a movable memory are native addresses
     * in {@link #hostSegment()} (see {@link GuestPhysicalMemory}).
     */
    public static GuestMemory movable(io.softdsa.iommu.ScalableModeIommu iommu, long size, boolean lazy) {
        return new GuestMemory(iommu.memory(), iommu.newSecondLevel(), size, lazy, true);
    }

    /** The host's stage-2 fault handler: back the 4 KiB page, or refuse an address outside guest RAM. */
    private boolean backOnDemand(long gpa, boolean write) {
        if (gpa < 0 || gpa >= size) {
            stage2Refused.incrementAndGet();
            return false;
        }
        return backPage(gpa) >= 0;
    }

    /** Backs the page of {@code gpa} with a zeroed host frame unless backed already; its host offset, or -1. */
    private long backPage(long gpa) {
        synchronized (this) {
            if (closed) {
                return -1;
            }
            final long page = gpa & -FrameAllocator.FRAME_SIZE;
            final long existing = stage2.hostAddress(page);
            if (existing >= 0) {
                return existing; // another engine backed it meanwhile
            }
            final long frame = host.frames().allocateFrame();
            host.segment().asSlice(frame, FrameAllocator.FRAME_SIZE).fill((byte) 0);
            hostRuns.add(new long[] {frame, FrameAllocator.FRAME_SIZE});
            stage2.map(page, frame, FrameAllocator.FRAME_SIZE, true);
            stage2Faults.incrementAndGet();
            return frame;
        }
    }

    public long size() {
        return size;
    }

    public boolean isLazy() {
        return lazy;
    }

    /** Whether the guest-side state of this memory can move to another host ({@link #movable}). */
    public boolean isMovable() {
        return movable;
    }

    public SecondLevelTables stage2() {
        return stage2;
    }

    /** The host memory this guest RAM lives in. */
    public HostMemory hostMemory() {
        return host;
    }

    /** The guest-physical view page tables are built in (what the guest's own kernel writes through). */
    public GuestPhysicalMemory physical() {
        return physical;
    }

    /** The guest's frame allocator (the guest kernel's page allocator). */
    public FrameAllocator frames() {
        return physical.frames();
    }

    /** Host address behind {@code gpa} (backing it if lazy), or -1 outside guest RAM; in {@link #hostSegment}. */
    public long hostAddress(long gpa) {
        return physical.toHost(gpa);
    }

    /** Whether the host has backed the page of {@code gpa} yet. */
    public boolean isBacked(long gpa) {
        return stage2.hostAddress(gpa) >= 0;
    }

    /**
     * The VMM's read view for migration: the offset in {@link #hostMemory()}'s segment behind {@code gpa}, or -1 if
     * this host has not backed the page — without backing it and without marking the vCPU dirty log.
     */
    public long backedAddress(long gpa) {
        return gpa < 0 || gpa >= size ? -1 : stage2.hostAddress(gpa);
    }

    /**
     * The VMM's write view for incoming RAM: the offset in {@link #hostMemory()}'s segment of the page of {@code gpa},
     * backing it first on a lazy memory; -1 outside guest RAM.
     */
    public long backIncoming(long gpa) {
        if (gpa < 0 || gpa >= size) {
            return -1;
        }
        final long h = stage2.hostAddress(gpa);
        if (h >= 0 || !lazy) {
            return h;
        }
        final long frame = backPage(gpa);
        return frame < 0 ? -1 : frame + (gpa & (FrameAllocator.FRAME_SIZE - 1));
    }

    /**
     * Migration switchover on the destination: this memory takes over {@code source}'s guest-side state — its
     * {@link GuestPhysicalMemory}, with the guest kernel's allocator and everything the guest built on it, is rebased
     * onto this host's memory and stage-2 tables and becomes this memory's {@link #physical()}. The VMM calls it with
     * the vCPUs paused, the source device stopped and the RAM copied; from then on the source serves no guest access
     * (it is only closed, which frees its host frames and tables).
     *
     * @throws IllegalArgumentException if the two memories differ in size or are not both movable
     */
    public void takeOver(GuestMemory source) {
        if (source == this) {
            throw new IllegalArgumentException("a guest memory cannot take itself over");
        }
        if (!movable || !source.movable || source.size != size) {
            throw new IllegalArgumentException("take-over needs two movable guest memories of one size: "
                + source.size + (source.movable ? "" : " (not movable)") + " -> " + size + (movable ? ""
                : " (not movable)"));
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("guest memory closed");
            }
            final GuestPhysicalMemory moving = source.physical;
            moving.rebase(host, stage2);
            physical = moving; // volatile store: hostAddress / physical() from now on answer with the guest's own view
        }
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

    /** The segment {@link #hostAddress} is relative to (the process-wide view for a movable memory). */
    public MemorySegment hostSegment() {
        return physical.host();
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
