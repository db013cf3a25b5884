package io.softdsa.iommu;

import io.softdsa.completion.Status;
import io.softdsa.memory.HostMemory;

/**
 * An IOMMU in VT-d scalable mode for shared virtual addressing: requests with a PASID are translated through that
 * PASID's first-level page tables in host memory (found through the {@link PasidTable}), cached in the
 * {@link Iotlb}; requests without a PASID use host-physical addresses. Runs of pages that are adjacent in host memory
 * come back as one run, so a transfer over contiguous frames is one bulk copy.
 * <p>
 * Bind address spaces with {@link #bind}; register a {@link PageRequestHandler} on {@link #pageRequests()} to serve
 * block-on-fault page requests.
 */
public final class ScalableModeIommu implements Iommu {
    /** Longest run one call returns: bounds how long an invalidation may wait on a single translation. */
    private static final long MAX_RUN = 16L << 20;

    private final HostMemory memory;
    private final PasidTable pasids;
    private final Iotlb iotlb;
    private final PageTableWalker walker;
    private final PageRequestService pageRequests;

    public ScalableModeIommu(HostMemory memory) {
        this(memory, 8192);
    }

    public ScalableModeIommu(HostMemory memory, int iotlbEntries) {
        this.memory = memory;
        this.pasids = new PasidTable(memory);
        this.iotlb = new Iotlb(iotlbEntries);
        this.walker = new PageTableWalker(memory.segment());
        this.pageRequests = new PageRequestService(this);
    }

    public HostMemory memory() {
        return memory;
    }

    public PasidTable pasidTable() {
        return pasids;
    }

    public Iotlb iotlb() {
        return iotlb;
    }

    /** Where block-on-fault page requests go (set its handler); also the device's {@code PageFaultHandler}. */
    public PageRequestService pageRequests() {
        return pageRequests;
    }

    /** Binds {@code pasid} to a fresh, empty 4-level address space with user requests only. */
    public AddressSpace bind(int pasid) {
        return bind(pasid, 4, false);
    }

    /**
     * Binds {@code pasid} to a fresh, empty address space.
     *
     * @param levels             4 or 5 (5-level paging)
     * @param supervisorRequests whether Priv = 1 requests are allowed for this PASID (SRE)
     */
    public AddressSpace bind(int pasid, int levels, boolean supervisorRequests) {
        if (levels != 4 && levels != 5) {
            throw new IllegalArgumentException("paging levels must be 4 or 5: " + levels);
        }
        if (pasids.lookup(pasid) >= 0) {
            throw new IllegalStateException("PASID " + pasid + " is already bound");
        }
        return new AddressSpace(this, pasid, levels, supervisorRequests);
    }

    @Override
    public int translate(Translation t, long address, long length, int access) {
        if (!t.pasidEnabled) {
            return PassThroughIommu.translatePhysical(t, address, length, memory.size());
        }
        if (t.iotlbSlot < 0) {
            t.iotlbSlot = iotlb.register();
        }
        iotlb.enter(t.iotlbSlot);
        int status = translatePage(t, address, access);
        if (status != OK) {
            return status;
        }
        final long wanted = Math.min(length, MAX_RUN);
        final long start = t.hostAddress;
        long run = Math.min(wanted, pageRemaining(address, t.pageShift));
        while (run < wanted) {
            final long va = address + run;
            if (translatePage(t, va, access) != OK || t.hostAddress != start + run) {
                break; // not adjacent in host memory (or not mapped): the next call starts there
            }
            run += Math.min(wanted - run, pageRemaining(va, t.pageShift));
        }
        t.hostAddress = start;
        t.length = run;
        return OK;
    }

    @Override
    public void quiesce(Translation t) {
        if (t.iotlbSlot >= 0) {
            iotlb.leave(t.iotlbSlot);
        }
    }

    private static long pageRemaining(long va, int shift) {
        return (1L << shift) - (va & ((1L << shift) - 1));
    }

    /** One page: IOTLB, else a walk of the PASID's tables (and a fill). */
    private int translatePage(Translation t, long va, int access) {
        final boolean write = access == Translation.WRITE;
        if (iotlb.lookup(t.pasid, va, t, write)) {
            if ((write && !t.leafWritable) || (!t.priv && !t.leafUser)) {
                return Status.PAGE_FAULT_NOBOF;
            }
            if (t.priv && !supervisorAllowed(t.pasid)) {
                return Status.PAGE_FAULT_NOBOF;
            }
            t.iotlbHits++;
            return OK;
        }
        final long entry = pasids.lookup(t.pasid);
        if (entry < 0) {
            return Status.TRANSLATION_ERROR; // unbound PASID: a translation error, not a page fault
        }
        final long q0 = pasids.qword0(entry);
        final long q2 = pasids.qword2(entry);
        if (PasidTable.pgtt(q0) != PasidTableLayout.PGTT_FIRST_LEVEL) {
            return Status.TRANSLATION_ERROR;
        }
        t.walks++;
        final int status = walker.walk(t, PasidTable.firstLevelRoot(q2), PasidTable.levels(q2),
            PasidTable.supervisorRequests(q2), va, access);
        if (status == OK) {
            final long hostPage = t.hostAddress - (va & ((1L << t.pageShift) - 1));
            iotlb.insert(t.pasid, va, t.pageShift, hostPage, t.leafWritable, t.leafUser, write);
        }
        return status;
    }

    private boolean supervisorAllowed(int pasid) {
        final long entry = pasids.lookup(pasid);
        return entry >= 0 && PasidTable.supervisorRequests(pasids.qword2(entry));
    }
}
