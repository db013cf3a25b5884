package io.softdsa.iommu;

import io.softdsa.descriptor.Pasid;
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
    /**
     * Stage-2 faults one page walk may have resolved by the host: a nested 5-level walk reads five guest table
     * pages, may write accessed/dirty into each (a stage-2 write), and reaches one data page.
     */
    private static final int MAX_STAGE2_RESOLUTIONS = 5 + 5 + 1;

    private final HostMemory memory;
    private final PasidTable pasids;
    private final Iotlb iotlb;
    private final PageTableWalker walker;
    private final PageRequestService pageRequests;
    private final java.util.BitSet allocatedPasids = new java.util.BitSet();
    /** Freed but maybe still carried by a WQ: allocated bit kept, not bindable (fact sheet section 13). */
    private final java.util.BitSet quarantined = new java.util.BitSet();
    private final java.util.concurrent.ConcurrentHashMap<Long, SecondLevelTables> secondLevels =
        new java.util.concurrent.ConcurrentHashMap<>();

    public ScalableModeIommu(HostMemory memory) {
        this(memory, 65536);
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
     * @throws IllegalStateException if {@code pasid} is bound already or in quarantine
     */
    public synchronized AddressSpace bind(int pasid, int levels, boolean supervisorRequests) {
        if (levels != 4 && levels != 5) {
            throw new IllegalArgumentException("paging levels must be 4 or 5: " + levels);
        }
        requireBindable(pasid);
        return new AddressSpace(this, pasid, levels, supervisorRequests);
    }

    /** Allocates a free host PASID (1 .. 2^20 - 1; PASID 0 is the requester's own, RID_PASID). */
    public synchronized int allocatePasid() {
        // a quarantined PASID keeps its allocated bit: it is never handed out before releaseQuarantine
        int p = allocatedPasids.nextClearBit(1);
        while (p <= Pasid.MAX && pasids.lookup(p) >= 0) {
            p = allocatedPasids.nextClearBit(p + 1);
        }
        if (p > Pasid.MAX) {
            throw new IllegalStateException("PASID space exhausted: all " + Pasid.MAX + " in use");
        }
        allocatedPasids.set(p);
        return p;
    }

    /**
     * Returns a PASID from {@link #allocatePasid()} (or one in quarantine); its binding, if any, is removed and its
     * IOTLB entries invalidated before this returns. Only for a caller that knows no WQ can still carry it (see
     * {@link #quarantinePasid}).
     */
    public synchronized void freePasid(int pasid) {
        if (!allocatedPasids.get(pasid)) {
            throw new IllegalArgumentException("PASID " + pasid + " was not allocated");
        }
        unbindPasid(pasid);
        quarantined.clear(pasid);
        allocatedPasids.clear(pasid);
    }

    /**
     * First half of freeing a PASID that WQs may still carry (fact sheet section 13, PASID lifecycle): its binding
     * is removed and its IOTLB entries invalidated before this returns, and it can be neither allocated nor bound
     * again until {@link #releaseQuarantine} — the caller's proof that every WQ drained or aborted it.
     */
    public synchronized void quarantinePasid(int pasid) {
        if (!allocatedPasids.get(pasid)) {
            throw new IllegalArgumentException("PASID " + pasid + " was not allocated");
        }
        quarantined.set(pasid);
        unbindPasid(pasid);
    }

    /** Whether {@code pasid} is in quarantine (freed, not yet safe to hand out again). */
    public synchronized boolean inQuarantine(int pasid) {
        return pasid >= 0 && quarantined.get(pasid);
    }

    /** Ends {@code pasid}'s quarantine: it goes back to the allocator. */
    public synchronized void releaseQuarantine(int pasid) {
        if (!quarantined.get(pasid)) {
            throw new IllegalArgumentException("PASID " + pasid + " is not in quarantine");
        }
        quarantined.clear(pasid);
        allocatedPasids.clear(pasid);
    }

    private void requireBindable(int pasid) {
        if (pasid >= 0 && quarantined.get(pasid)) {
            throw new IllegalStateException("PASID " + pasid + " is in quarantine");
        }
        if (pasids.lookup(pasid) >= 0) {
            throw new IllegalStateException("PASID " + pasid + " is already bound");
        }
    }

    /** Fresh, empty stage-2 tables for a guest. */
    public SecondLevelTables newSecondLevel() {
        final SecondLevelTables s2 = new SecondLevelTables(this);
        secondLevels.put(s2.root(), s2);
        return s2;
    }

    /**
     * Requests with {@code hostPasid} carry guest-physical addresses translated by {@code stage2} only.
     *
     * @throws IllegalStateException if {@code hostPasid} is bound already (unbind first) or in quarantine
     */
    public void bindSecondLevel(int hostPasid, SecondLevelTables stage2) {
        synchronized (this) {
            requireBindable(hostPasid);
            pasids.set(hostPasid, PasidTableLayout.PGTT_SECOND_LEVEL, 0, 4, false, stage2.root());
        }
        iotlb.invalidatePasid(hostPasid);
    }

    /**
     * Nested translation for {@code hostPasid}: the guest's first-level tables at guest-physical
     * {@code guestRoot}, each table access and the final address translated by {@code stage2}.
     *
     * @throws IllegalStateException if {@code hostPasid} is bound already (unbind first: clear present, invalidate,
     *                               then bind) or in quarantine
     */
    public void bindNested(int hostPasid, long guestRoot, int levels, boolean supervisorRequests,
                           SecondLevelTables stage2) {
        if (levels != 4 && levels != 5) {
            throw new IllegalArgumentException("paging levels must be 4 or 5: " + levels);
        }
        synchronized (this) {
            requireBindable(hostPasid);
            pasids.set(hostPasid, PasidTableLayout.PGTT_NESTED, guestRoot, levels, supervisorRequests, stage2.root());
        }
        iotlb.invalidatePasid(hostPasid);
    }

    /**
     * Removes {@code hostPasid}'s binding of any kind and its IOTLB entries: once this returns no engine walks or
     * uses a translation made through the old entry, so the PASID may be bound again.
     */
    public synchronized void unbindPasid(int hostPasid) {
        // under the monitor binds take: no bind can publish a new entry between the clear and the invalidation that
        // waits out walkers of the old one
        pasids.clear(hostPasid);
        iotlb.invalidatePasid(hostPasid);
    }

    /** {@link #unbindPasid} only if {@code hostPasid} is still the first-level binding of {@code root}. */
    synchronized void unbindFirstLevel(int hostPasid, long root) {
        pasids.clearIfFirstLevel(hostPasid, root);
        iotlb.invalidatePasid(hostPasid); // always: the caller frees the tables next
    }

    @Override
    public long identityLimit() {
        return memory.size(); // a request without PASID is host-physical (translate below)
    }

    @Override
    public int translate(Translation t, long address, long length, int access) {
        if (!t.pasidEnabled) {
            return PassThroughIommu.translatePhysical(t, address, length, memory.size());
        }
        iotlb.enter(slot(t));
        long limit = Math.min(length, MAX_RUN);
        // a run is rebuilt from its first page when the host resolved a stage-2 fault for a later one (below); each
        // rebuild gets past at least one more page, so a run's pages bound them, and after that the first page alone
        final long rebuilds = limit >>> PagingLayout.PAGE_SHIFT_4K;
        for (long rebuild = 0; ; rebuild++) {
            final int status = translatePage(t, address, access);
            if (status != OK) {
                return status;
            }
            final long start = t.hostAddress;
            final long resolutions = t.stage2Resolutions;
            long run = Math.min(limit, pageRemaining(address, t.pageShift));
            final long first = run;
            boolean voided = false;
            while (run < limit) {
                final long va = address + run;
                final int next = translatePage(t, va, access);
                if (t.stage2Resolutions != resolutions) {
                    // the host resolved a stage-2 fault for this later page, and this engine held no translation
                    // while its handler ran: it may have taken the run's earlier pages away (and its invalidation
                    // returned), so they are void and must be translated again
                    voided = true;
                    break;
                }
                if (next != OK || t.hostAddress != start + run) {
                    break; // not adjacent in host memory (or not mapped): the next call starts there
                }
                run += Math.min(limit - run, pageRemaining(va, t.pageShift));
            }
            if (!voided) {
                t.hostAddress = start;
                t.length = run;
                return OK;
            }
            if (rebuild >= rebuilds) {
                limit = first;
            }
        }
    }

    /** This engine's quiescence slot, registered at its first translation. */
    private int slot(Translation t) {
        if (t.iotlbSlot < 0) {
            t.iotlbSlot = iotlb.register();
            if (t.counters.enabled()) {
                iotlb.attribute(t.iotlbSlot, t.counters); // invalidations that wait for this engine count it
            }
        }
        return t.iotlbSlot;
    }

    /** Enters the epoch as {@link #translate} does: see {@link Iotlb#resume} for why an unchanged one is enough. */
    @Override
    public boolean resume(Translation t) {
        final int slot = slot(t);
        final boolean unchanged = iotlb.resume(slot, t.heldEpoch);
        t.heldEpoch = iotlb.held(slot);
        return unchanged;
    }

    @Override
    public void quiesce(Translation t) {
        if (t.iotlbSlot >= 0) {
            iotlb.leave(t.iotlbSlot);
        }
    }

    /**
     * Frees the engine's IOTLB quiescence slot (idled first, so no invalidation waits for a retired engine) for the
     * next engine to register. Idempotent; {@code t} must not be translating concurrently.
     */
    @Override
    public void release(Translation t) {
        final int slot = t.iotlbSlot;
        if (slot >= 0) {
            t.iotlbSlot = -1; // a (wrongly) reused t registers afresh instead of sharing a slot with the next owner
            iotlb.unregister(slot);
        }
    }

    private static long pageRemaining(long va, int shift) {
        return (1L << shift) - (va & ((1L << shift) - 1));
    }

    /** Nested and second-level-only PASIDs translate through stage 2, whose faults the host resolves. */
    @Override
    public boolean mayWaitOnHost(boolean pasidEnabled, int pasid) {
        if (!pasidEnabled) {
            return false;
        }
        final long entry = pasids.lookup(pasid);
        if (entry < 0) {
            return false; // unbound: every translation is an immediate error
        }
        final int pgtt = PasidTable.pgtt(pasids.qword0(entry));
        return pgtt == PasidTableLayout.PGTT_NESTED || pgtt == PasidTableLayout.PGTT_SECOND_LEVEL;
    }

    /** One page: IOTLB, else a walk of the PASID's tables (and a fill). */
    private int translatePage(Translation t, long va, int access) {
        final boolean write = access == Translation.WRITE;
        if (iotlb.lookup(t.pasid, va, t, write)
            && !(write && !t.leafWritable) && (t.priv || t.leafUser)
            && (!t.priv || supervisorAllowed(t.pasid))) {
            t.iotlbHits++;
            return OK;
        }
        // a miss, or a hit that would fault: walk, so the fault is reported exactly as the tables say
        for (int attempt = 0; ; attempt++) {
            final long entry = pasids.lookup(t.pasid);
            if (entry < 0) {
                return TranslationFault.TRANSLATION_ERROR; // unbound PASID: a translation error, not a page fault
            }
            final long q0 = pasids.qword0(entry);
            final long q2 = pasids.qword2(entry);
            final long stage2Root = q0 & PasidTableLayout.ADDRESS_MASK;
            t.walks++;
            final int pgtt = PasidTable.pgtt(q0);
            final int status = switch (pgtt) {
                case PasidTableLayout.PGTT_FIRST_LEVEL -> walker.walk(t, PasidTable.firstLevelRoot(q2),
                    PasidTable.levels(q2), PasidTable.supervisorRequests(q2), va, access, -1);
                case PasidTableLayout.PGTT_NESTED -> walker.walk(t, PasidTable.firstLevelRoot(q2),
                    PasidTable.levels(q2), PasidTable.supervisorRequests(q2), va, access, stage2Root);
                case PasidTableLayout.PGTT_SECOND_LEVEL -> secondLevelOnly(t, stage2Root, va, access);
                case PasidTableLayout.PGTT_PASS_THROUGH ->
                    PassThroughIommu.translatePhysical(t, va, 1, memory.size()) == OK ? passThrough(t) : TranslationFault.TRANSLATION_ERROR;
                default -> TranslationFault.TRANSLATION_ERROR;
            };
            if (status == OK) {
                if (pgtt == PasidTableLayout.PGTT_FIRST_LEVEL && t.pageShift == 12 && coalesce(t, va, write)) {
                    return OK;
                }
                final long hostPage = t.hostAddress - (va & ((1L << t.pageShift) - 1));
                iotlb.insert(t.pasid, va, t.pageShift, hostPage, t.leafWritable, t.leafUser, write);
                return OK;
            }
            if (status != PageTableWalker.STAGE2_FAULT) {
                return status;
            }
            if (attempt == MAX_STAGE2_RESOLUTIONS || !resolveStage2(t, stage2Root)) {
                return TranslationFault.TRANSLATION_ERROR; // the host could not back it: never the guest's page fault
            }
        }
    }

    /**
     * Caches the walked 4 KiB page's whole group as one coalesced entry if its leaves allow it (see
     * {@link PageTableWalker#coalescible}); for a write, only once every leaf of the group is dirty — until then the
     * page's own dirty entry serves its writes. The result then spans the group ({@code t.pageShift} 16), so a run
     * goes on from the group's end.
     */
    private boolean coalesce(Translation t, long va, boolean write) {
        final long group = walker.coalescible(t, va);
        if (group < 0 || (write && !t.groupDirty)) {
            return false;
        }
        iotlb.insertCoalesced(t.pasid, va, group, t.leafWritable, t.leafUser, t.groupDirty);
        t.pageShift = Iotlb.COALESCED_SHIFT;
        return true;
    }

    private int secondLevelOnly(Translation t, long stage2Root, long gpa, int access) {
        final int s = walker.stage2(t, stage2Root, gpa, access);
        if (s == OK) {
            t.hostAddress = t.stage2Host;
            t.pageShift = t.stage2Shift;
            t.leafWritable = access == Translation.WRITE;
            t.leafUser = true;
        }
        return s;
    }

    private static int passThrough(Translation t) {
        t.pageShift = 12;
        t.leafWritable = true;
        t.leafUser = true;
        return OK;
    }

    /** The host backs a stage-2 miss; this engine holds no translation meanwhile (the handler may remap). */
    private boolean resolveStage2(Translation t, long stage2Root) {
        final SecondLevelTables s2 = secondLevels.get(stage2Root);
        if (s2 == null) {
            return false;
        }
        iotlb.leave(t.iotlbSlot);
        t.translationsDropped = true;
        t.stage2Resolutions++;
        try {
            return s2.resolve(t.stage2FaultAddress, t.stage2FaultWrite);
        } finally {
            iotlb.enter(t.iotlbSlot);
        }
    }

    private boolean supervisorAllowed(int pasid) {
        final long entry = pasids.lookup(pasid);
        return entry >= 0 && PasidTable.supervisorRequests(pasids.qword2(entry));
    }
}
