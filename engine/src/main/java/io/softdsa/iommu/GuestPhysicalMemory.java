package io.softdsa.iommu;

import io.softdsa.memory.FrameAllocator;
import io.softdsa.memory.HostMemory;
import io.softdsa.memory.ProcessMemory;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A guest's physical memory: guest-physical addresses [0, size) reached through its {@link SecondLevelTables}, with
 * the guest's own frame allocator. A guest driver builds its stage-1 tables here ({@link AddressSpace#inGuest}).
 * A CPU touch of a page the host has not backed goes to the stage-2 fault handler first, as an EPT violation would.
 * <p>
 * <b>Moving between hosts.</b> This object is the guest's RAM as the guest's own software knows it — the frame
 * allocator (the guest kernel's page allocator) and every {@link AddressSpace} built on it keep pointing here. A
 * <em>movable</em> guest memory ({@link #movable}) can be {@link #rebase rebased} onto another host's memory and
 * stage-2 tables when its VM migrates: the backing changes, the guest-side state does not, so guest page tables,
 * processes and drivers created on the source go on working on the destination without being recreated, as a real
 * VM's do when its RAM is copied to another machine. Why a special addressing mode: {@link AddressSpace} (and every
 * flyweight a guest builds from {@link #host()}) keeps the segment it got from {@link #host()} for good, so a
 * movable memory's {@link #host()} is the whole address space of this process (as a VMM's guest RAM is a mapping in
 * the VMM process) and {@link #toHost} answers native addresses; a host-offset memory (the default) answers offsets
 * into its one {@link HostMemory}'s segment and can never move. The price of the process-wide view: an access through
 * a host address kept across a rebase after the old host memory is unmapped faults the process instead of throwing.
 * <p>
 * <b>vCPU dirty logging.</b> While {@link #startDirtyLog logging}, every {@link #toHost} — the guest CPU's only way
 * to its RAM — marks the 4 KiB page dirty, reads too: conservative, like KVM's write-protect faults, and the part of the
 * guest's writes that the device's DMA log (stage-2 dirty bits, device writes only) does not see. The mark is made
 * when the address is handed out, so a store through it may come later: whoever {@link #harvestDirty harvests} must
 * then wait until every CPU access that may have translated before the harvest has finished (a VMM's vCPU grace
 * period, as KVM's TLB flush after write-protecting) before it copies the pages it harvested.
 */
public final class GuestPhysicalMemory implements PhysicalMemory {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int PAGE_SHIFT = FrameAllocator.FRAME_SHIFT;

    /** Where the guest's RAM lives now: one host memory, its stage-2 tables, and the base added to its offsets. */
    private record Backing(HostMemory host, SecondLevelTables stage2, long base) {
    }

    private final long size;
    private final FrameAllocator frames;
    private final boolean movable;
    /** What {@link #toHost}'s addresses are relative to: fixed for the life of this object (see the class comment). */
    private final MemorySegment view;
    /** Volatile store in {@link #rebase} / volatile load in {@link #toHost}: a CPU access uses one whole backing. */
    private volatile Backing backing;
    /** The vCPU dirty bitmap (bit k = page k), null when not logging. Volatile: published whole by start/stop. */
    private volatile long[] dirty;

    /** A host-offset guest memory over {@code stage2} (pages backed by the stage-2 fault handler as touched). */
    public GuestPhysicalMemory(HostMemory host, SecondLevelTables stage2, long size) {
        this(host, stage2, size, false);
    }

    private GuestPhysicalMemory(HostMemory host, SecondLevelTables stage2, long size, boolean movable) {
        this.size = size;
        this.frames = new FrameAllocator(size);
        this.movable = movable;
        this.view = movable ? ProcessMemory.ALL : host.segment(); // a movable memory's host addresses are native
        this.backing = backingOf(host, stage2);
    }

    /**
     * A movable guest memory over {@code stage2}, backed page by page by its fault handler: host addresses are native
     * addresses in the process-wide {@link #host()} view, and {@link #rebase} may move it to another host.
     */
    public static GuestPhysicalMemory movable(HostMemory host, SecondLevelTables stage2, long size) {
        return new GuestPhysicalMemory(host, stage2, size, true);
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
        return backed(host, stage2, size, pageSize, false);
    }

    /** As {@link #backed(HostMemory, SecondLevelTables, long, AddressSpace.PageSize)}, movable if asked. */
    public static GuestPhysicalMemory backed(HostMemory host, SecondLevelTables stage2, long size,
                                             AddressSpace.PageSize pageSize, boolean movable) {
        final long run = host.frames().allocateContiguous(size, FrameAllocator.LARGE_2M);
        host.segment().asSlice(run, size).fill((byte) 0);
        final long large = pageSize == AddressSpace.PageSize.SIZE_4K ? 0 : size & -FrameAllocator.LARGE_2M;
        if (large > 0) {
            stage2.map(0, run, large, true, AddressSpace.PageSize.SIZE_2M);
        }
        if (size > large) {
            stage2.map(large, run + large, size - large, true);
        }
        return new GuestPhysicalMemory(host, stage2, size, movable);
    }

    private Backing backingOf(HostMemory host, SecondLevelTables stage2) {
        return new Backing(host, stage2, movable ? host.segment().address() : 0);
    }

    /**
     * Moves this guest memory onto {@code host} and {@code stage2} (the destination of a migration, whose pages the
     * VMM has filled with this guest's RAM): from the return on, {@link #toHost} and every CPU access resolve there;
     * the frame allocator and everything built on this object stay as they are. Only between guest CPU accesses
     * (the VMM calls it with the vCPUs paused) and not while dirty logging.
     *
     * @throws IllegalStateException if this memory is not movable, or is logging
     */
    public synchronized void rebase(HostMemory host, SecondLevelTables stage2) {
        if (!movable) {
            throw new IllegalStateException("a host-offset guest memory cannot move: its users keep "
                + "offsets into the old host's segment (create it movable)");
        }
        if (dirty != null) {
            throw new IllegalStateException("vCPU dirty logging is running: stop it before the guest moves");
        }
        backing = backingOf(host, stage2); // volatile store: CPU accesses from now on land on the new host
    }

    /** Whether {@link #rebase} may move this memory (host addresses are native addresses). */
    public boolean isMovable() {
        return movable;
    }

    /** The stage-2 tables backing this memory now. */
    public SecondLevelTables stage2() {
        return backing.stage2();
    }

    /** The host memory backing this memory now. */
    public HostMemory hostMemory() {
        return backing.host();
    }

    public long size() {
        return size;
    }

    public FrameAllocator frames() {
        return frames;
    }

    /** The segment {@link #toHost} addresses are relative to (the process-wide view for a movable memory). */
    @Override
    public MemorySegment host() {
        return view;
    }

    @Override
    public long toHost(long pa) {
        if (!contains(pa, 1)) {
            return -1;
        }
        final Backing b = backing; // volatile load, pairs with rebase's store
        long h = b.stage2().hostAddress(pa);
        if (h < 0 && b.stage2().resolve(pa, true)) {
            h = b.stage2().hostAddress(pa);
        }
        if (h < 0) {
            return -1;
        }
        final long[] log = dirty; // volatile load, pairs with startDirtyLog's store
        if (log != null) {
            markDirty(log, pa >>> PAGE_SHIFT);
        }
        return b.base() + h;
    }

    // ---- vCPU dirty logging

    /** Starts the vCPU dirty log: from now on every CPU access marks its page (earlier ones are forgotten). */
    public synchronized void startDirtyLog() {
        dirty = new long[(int) (((size >>> PAGE_SHIFT) + 63) >>> 6)]; // volatile store: markers see a whole bitmap
    }

    /** Ends the vCPU dirty log. */
    public synchronized void stopDirtyLog() {
        dirty = null;
    }

    public boolean isDirtyLogging() {
        return dirty != null;
    }

    /**
     * Reports and clears the vCPU dirty log: bit k of the result is page k (4 KiB) of guest-physical memory, set if a
     * CPU access translated it since the last harvest. See the class comment for the grace period the caller owes.
     *
     * @throws IllegalStateException if not logging
     */
    public long[] harvestDirty() {
        final long[] log = dirty;
        if (log == null) {
            throw new IllegalStateException("vCPU dirty logging is not running");
        }
        final long[] out = new long[log.length];
        for (int w = 0; w < log.length; w++) {
            // a word with nothing set is skipped with a plain-enough read: a mark racing with it lands in the next
            // harvest; a set word is taken with getAndSet, which pairs with markDirty's getAndBitwiseOr
            if ((long) WORDS.getOpaque(log, w) != 0) {
                out[w] = (long) WORDS.getAndSet(log, w, 0L);
            }
        }
        return out;
    }

    private static void markDirty(long[] log, long page) {
        final int w = (int) (page >>> 6);
        final long bit = 1L << page;
        // the opaque pre-check keeps a hot page's marking read-only; a mark it skips because the bit looked set is
        // either still set or was just taken by a harvest, whose grace period waits for this access
        if (((long) WORDS.getOpaque(log, w) & bit) == 0) {
            WORDS.getAndBitwiseOr(log, w, bit);
        }
    }

    // ---- the guest kernel's allocator and CPU copies

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
        PageCopy.write(view, this::requireBacked, gpa, src);
    }

    /** CPU load from guest memory. */
    public byte[] read(long gpa, int length) {
        return PageCopy.read(view, this::requireBacked, gpa, length);
    }

    private void zero(long gpa, long bytes) {
        for (long off = 0; off < bytes; off += FrameAllocator.FRAME_SIZE) {
            view.asSlice(requireBacked(gpa + off), FrameAllocator.FRAME_SIZE).fill((byte) 0);
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
