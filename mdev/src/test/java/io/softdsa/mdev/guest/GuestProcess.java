package io.softdsa.mdev.guest;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.PageRequest;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.memory.FrameAllocator;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A process inside the guest using shared virtual addressing: the guest kernel gave its mm a guest PASID (through the
 * guest's IOMMU), keeps its page tables in guest memory (stage 1, guest-physical addresses) and bound them to that
 * PASID. Regions made with {@link #allocateOnDemand} are mapped page by page when touched — by the CPU here, or by the
 * device through a page request the guest driver serves with {@link #resolve}.
 */
public final class GuestProcess implements AutoCloseable {
    private final String name;
    private final GuestDomain guest;
    private final int pasid;
    private final AddressSpace pageTables;
    private final List<long[]> onDemand = new ArrayList<>();
    private final AtomicLong pagesFaultedIn = new AtomicLong();
    private int faultAround = 16;
    private boolean closed;

    GuestProcess(String name, GuestDomain guest, boolean supervisor) {
        this.name = name;
        this.guest = guest;
        this.pasid = guest.iommu().allocatePasid();
        this.pageTables = AddressSpace.inGuest(guest.memory().physical(), pasid, 4,
            (p, va, length) -> guest.iommu().invalidate(pasid, va, length));
        guest.iommu().bindGuestPageTable(pasid, pageTables.root(), 4, supervisor);
    }

    public String name() {
        return name;
    }

    /** The guest PASID (what this process's IA32_PASID holds). */
    public int pasid() {
        return pasid;
    }

    /** Its stage-1 tables (guest-physical addresses in guest memory). */
    public AddressSpace pageTables() {
        return pageTables;
    }

    /** mmap + touch: mapped, zeroed, user read-write memory. */
    public long allocate(long length) {
        return pageTables.allocate(length, AddressSpace.RW_USER);
    }

    /** mmap without touching: nothing is mapped until a CPU or device access faults it in. */
    public synchronized long allocateOnDemand(long length) {
        final long va = pageTables.reserve(length, AddressSpace.PageSize.SIZE_4K);
        onDemand.add(new long[] {va, va + length});
        return va;
    }

    /** Pages mapped per fault (the kernel's fault-around), at least 1. */
    public synchronized void faultAround(int pages) {
        this.faultAround = Math.max(1, pages);
    }

    /**
     * The guest kernel's page-fault path for a device page request: maps the page (and the next ones, fault-around)
     * if it lies in an on-demand region; returns the page response code.
     */
    public synchronized int resolve(PageRequest request) {
        final long page = request.pageAddress() & -FrameAllocator.FRAME_SIZE;
        for (long[] r : onDemand) {
            if (page >= r[0] && page < r[1]) {
                final long end = Math.min(r[1], page + (long) faultAround * FrameAllocator.FRAME_SIZE);
                for (long p = page; p < end; p += FrameAllocator.FRAME_SIZE) {
                    if (pageTables.physicalAddress(p) < 0) {
                        final long frame = guest.memory().physical().allocateFrame();
                        pageTables.map(p, frame, FrameAllocator.FRAME_SIZE, AddressSpace.RW_USER);
                        pagesFaultedIn.incrementAndGet();
                    }
                }
                return PageRequest.RESPONSE_SUCCESS;
            }
        }
        return PageRequest.RESPONSE_INVALID_REQUEST;
    }

    public long pagesFaultedIn() {
        return pagesFaultedIn.get();
    }

    /** CPU store (faulting on-demand pages in first). */
    public void write(long va, byte[] bytes) {
        touch(va, bytes.length);
        pageTables.write(va, MemorySegment.ofArray(bytes));
    }

    /** CPU load (faulting on-demand pages in first). */
    public byte[] read(long va, int length) {
        touch(va, length);
        return pageTables.read(va, length);
    }

    private void touch(long va, long length) {
        for (long p = va & -FrameAllocator.FRAME_SIZE; p < va + length; p += FrameAllocator.FRAME_SIZE) {
            if (pageTables.physicalAddress(p) < 0) {
                resolve(new PageRequest(pasid, p, true, false, false, true, 0));
            }
        }
    }

    /** A completion record at {@code va} as this process polls it (through its tables and the guest's stage 2). */
    public CompletionRecord completionRecord(long va) {
        touch(va, 32);
        final long hostAddress = pageTables.hostAddress(va);
        return new CompletionRecord(guest.memory().hostSegment(), hostAddress);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        final boolean allocated = guest.iommu().hostPasid(pasid) >= 0; // the kernel may have freed it already
        if (allocated) {
            guest.iommu().unbindGuestPageTable(pasid);
        }
        pageTables.unbind();
        if (allocated) {
            guest.iommu().freePasid(pasid);
        }
    }

    @Override
    public String toString() {
        return name + " (guest PASID " + pasid + ")";
    }
}
