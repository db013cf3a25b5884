package io.softdsa.mdev.translation;

import io.softdsa.descriptor.Pasid;
import io.softdsa.iommu.PageRequest;
import io.softdsa.iommu.PageRequestHandler.PageResponder;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.host.PasidBusyException;
import io.softdsa.mdev.host.PasidOwner;
import io.softdsa.mdev.host.SubmissionGate;
import io.softdsa.memory.Page;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A guest's IOMMU as the host emulates it for shared virtual addressing in the guest (fact sheet section 13, nested
 * translation). The guest's own PASID space — numbers chosen by and meaningful to the guest only — is translated to
 * host PASIDs here: one table serves both the IOMMU (bindings, invalidations, page requests) and the CPU's PASID
 * translation of ENQCMD/ENQCMDS in the guest ({@link #hostPasid}).
 * <ul>
 * <li>{@link #allocatePasid} / {@link #freePasid}: a guest PASID and the host PASID behind it.</li>
 * <li>{@link #bindGuestPageTable}: the guest's first-level tables (in guest memory) become stage 1 of a nested
 *     translation whose stage 2 is the guest's memory mapping; {@link #unbindGuestPageTable} undoes it.</li>
 * <li>{@link #invalidate} and friends: the guest's IOTLB invalidations, forwarded to the device's IOTLB for the host
 *     PASID (never touching another guest's entries).</li>
 * <li>Page requests raised for a host PASID of this guest come back with the guest PASID
 *     ({@link GuestPageRequestHandler}); the guest's {@link #pageResponse} goes to the waiting engine.</li>
 * </ul>
 * Requests from a device with PASID disabled use the guest's <em>default domain</em>, a host PASID bound to stage 2
 * only (guest-physical addresses), allocated when the IOMMU is created.
 */
public final class VirtualIommu implements PasidOwner, AutoCloseable {
    /** Guest PASIDs this emulation hands out: 1 .. MAX_GUEST_PASID (0 is the guest's "no PASID"). */
    public static final int DEFAULT_MAX_GUEST_PASIDS = 1024;

    private final HostDsa host;
    private final GuestMemory memory;
    private final int maxGuestPasid;
    private final AtomicIntegerArray hostOf; // guest PASID -> host PASID (0 = free)
    private final boolean[] bound;
    /** The stage-1 binding of each bound guest PASID (root, levels, supervisor), for a migration stream. */
    private final long[] boundRoot;
    private final int[] boundFlags;
    private final ConcurrentHashMap<Integer, Integer> guestOf = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, PageResponder> pending = new ConcurrentHashMap<>();
    private final int defaultHostPasid;
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong responses = new AtomicLong();
    private final AtomicLong ignoredResponses = new AtomicLong();
    private volatile GuestPageRequestHandler handler;
    /** Portal stores in flight that translated a guest PASID: freePasid waits them out before the host aborts it. */
    private final SubmissionGate submissions = new SubmissionGate();
    private volatile boolean closed;

    public VirtualIommu(HostDsa host, GuestMemory memory) {
        this(host, memory, DEFAULT_MAX_GUEST_PASIDS);
    }

    public VirtualIommu(HostDsa host, GuestMemory memory, int maxGuestPasids) {
        if (maxGuestPasids < 1 || maxGuestPasids > Pasid.MAX) {
            throw new IllegalArgumentException("guest PASIDs 1..2^20-1: " + maxGuestPasids);
        }
        this.host = host;
        this.memory = memory;
        this.maxGuestPasid = maxGuestPasids;
        this.hostOf = new AtomicIntegerArray(maxGuestPasids + 1);
        this.bound = new boolean[maxGuestPasids + 1];
        this.boundRoot = new long[maxGuestPasids + 1];
        this.boundFlags = new int[maxGuestPasids + 1];
        this.defaultHostPasid = host.allocatePasid();
        host.iommu().bindSecondLevel(defaultHostPasid, memory.stage2());
        host.pasidOwner(defaultHostPasid, this);
    }

    public GuestMemory memory() {
        return memory;
    }

    /** The host PASID of the guest's default (stage-2 only) DMA domain. */
    public int defaultHostPasid() {
        return defaultHostPasid;
    }

    /**
     * Allocates the lowest free guest PASID and a host PASID behind it.
     *
     * @throws IllegalStateException when the guest's PASID space or the host's is exhausted
     */
    public synchronized int allocatePasid() {
        checkOpen();
        for (int g = 1; g <= maxGuestPasid; g++) {
            if (hostOf.get(g) == 0) {
                final int h = host.allocatePasid();
                hostOf.set(g, h);
                guestOf.put(h, g);
                host.pasidOwner(h, this);
                return g;
            }
        }
        throw new IllegalStateException("guest PASID space exhausted (" + maxGuestPasid + " in use)");
    }

    /**
     * Frees guest PASID {@code gpasid}: unbinds it and returns its host PASID, which the host keeps in quarantine
     * until no WQ can run it (Abort PASID on every shared WQ). A PASID still programmed in an enabled dedicated WQ is
     * not freed: the guest gets the error an IOMMU driver gives an unbind while the device may still use the PASID
     * ({@link PasidBusyException}, EBUSY) and must disable the WQ first.
     *
     * @throws PasidBusyException if a dedicated WQ is enabled with this PASID (nothing is changed)
     */
    public void freePasid(int gpasid) {
        final int h;
        synchronized (this) {
            h = requireAllocated(gpasid);
            host.retirePasid(h, true); // may refuse; from here no WQ can be programmed with h
            hostOf.set(gpasid, 0); // volatile: portal stores translating from now on get no host PASID
            bound[gpasid] = false;
            guestOf.remove(h);
            failPending(gpasid);
        }
        // every ENQCMD that translated to h before the store above has reached its WQ, where the host's Abort PASID
        // finds it; none reaches a WQ after
        submissions.awaitSubmitters();
        host.freePasid(h);
    }

    /**
     * Starts a portal store that will use {@link #hostPasid} translations; pass the result to
     * {@link #endSubmission} once the descriptor is in the WQ (or refused). Lock-free, allocation-free.
     */
    public int beginSubmission() {
        return submissions.enter();
    }

    public void endSubmission(int token) {
        submissions.exit(token);
    }

    /**
     * Binds the guest page table at guest-physical {@code rootGpa} to {@code gpasid}: from now on the device
     * translates that PASID's addresses through it, nested inside the guest's stage 2.
     */
    public synchronized void bindGuestPageTable(int gpasid, long rootGpa, int levels, boolean supervisorRequests) {
        final int h = requireAllocated(gpasid);
        if ((rootGpa & Page.OFFSET_MASK) != 0 || !memory.physical().contains(rootGpa, Page.SIZE)) {
            throw new IllegalArgumentException("guest page-table root outside guest memory: 0x"
                + Long.toHexString(rootGpa));
        }
        if (host.iommu().pasidTable().lookup(h) >= 0) {
            // a new table for a bound PASID: clear present, invalidate (waits out walkers), write, publish — never
            // a rewrite of the present entry in place
            host.iommu().unbindPasid(h);
        }
        host.iommu().bindNested(h, rootGpa, levels, supervisorRequests, memory.stage2());
        bound[gpasid] = true;
        boundRoot[gpasid] = rootGpa;
        boundFlags[gpasid] = levels << 1 | (supervisorRequests ? 1 : 0);
    }

    /** A guest PASID's stage-1 binding as a migration stream carries it. */
    public record Binding(int guestPasid, long stage1Root, int levels, boolean supervisorRequests) {
    }

    /** Every bound guest PASID with its stage-1 root (guest-physical), lowest first. */
    public synchronized List<Binding> bindings() {
        final List<Binding> out = new ArrayList<>();
        for (int g = 1; g <= maxGuestPasid; g++) {
            if (bound[g]) {
                out.add(new Binding(g, boundRoot[g], boundFlags[g] >>> 1, (boundFlags[g] & 1) != 0));
            }
        }
        return out;
    }

    /**
     * Migration: gives guest PASID {@code b.guestPasid()} a host PASID of this (destination) host and binds its stage-1
     * tables, so the guest's PASIDs mean the same as on the source. Idempotent for a PASID already restored with the
     * same binding (a guest with several devices brings every binding once per device stream).
     *
     * @throws IllegalStateException if the guest PASID is in use with another binding
     */
    public synchronized void restore(Binding b) {
        checkOpen();
        final int g = b.guestPasid();
        if (g <= 0 || g > maxGuestPasid) {
            throw new IllegalArgumentException("guest PASID " + g + " beyond this guest's " + maxGuestPasid);
        }
        if (hostOf.get(g) != 0) {
            if (bound[g] && boundRoot[g] == b.stage1Root() && boundFlags[g] == (b.levels() << 1
                | (b.supervisorRequests() ? 1 : 0))) {
                return;
            }
            throw new IllegalStateException("guest PASID " + g + " is already in use on this host");
        }
        final int h = host.allocatePasid();
        hostOf.set(g, h);
        guestOf.put(h, g);
        host.pasidOwner(h, this);
        try {
            bindGuestPageTable(g, b.stage1Root(), b.levels(), b.supervisorRequests());
        } catch (RuntimeException e) {
            hostOf.set(g, 0);
            guestOf.remove(h);
            host.freePasid(h);
            throw e;
        }
    }

    /**
     * Migration quiesce: this guest's page requests fail from now on (Response Failure at once), and those waiting
     * fail now — a stopped guest answers none, and the device must stop without waiting out a timeout.
     */
    public void suspendPageRequests() {
        for (int h : hostPasidsInUse()) {
            host.iommu().pageRequests().refuse(h);
        }
    }

    /** Undoes {@link #suspendPageRequests}: this guest's page requests reach its handler again. */
    public void resumePageRequests() {
        for (int h : hostPasidsInUse()) {
            host.pasidOwner(h, this);
        }
    }

    private synchronized List<Integer> hostPasidsInUse() {
        return new ArrayList<>(guestOf.keySet());
    }

    public synchronized void unbindGuestPageTable(int gpasid) {
        final int h = requireAllocated(gpasid);
        host.iommu().unbindPasid(h);
        bound[gpasid] = false;
        failPending(gpasid);
    }

    public synchronized boolean isBound(int gpasid) {
        return gpasid > 0 && gpasid <= maxGuestPasid && bound[gpasid];
    }

    /** IOTLB invalidation of a range of one guest PASID. */
    public void invalidate(int gpasid, long va, long length) {
        final int h = hostPasid(gpasid);
        if (h > 0) {
            host.iommu().iotlb().invalidateRange(h, va, length);
        }
    }

    /** IOTLB invalidation of every entry of one guest PASID. */
    public void invalidatePasid(int gpasid) {
        final int h = hostPasid(gpasid);
        if (h > 0) {
            host.iommu().iotlb().invalidatePasid(h);
        }
    }

    /** The guest's "global" invalidation: every PASID of this guest (and its default domain), nobody else's. */
    public void invalidateAll() {
        final List<Integer> hs = new ArrayList<>(guestOf.keySet());
        hs.add(defaultHostPasid);
        for (int h : hs) {
            host.iommu().iotlb().invalidatePasid(h);
        }
    }

    /** The PASID translation: the host PASID behind guest PASID {@code gpasid}, or -1. Lock-free. */
    public int hostPasid(int gpasid) {
        if (gpasid <= 0 || gpasid > maxGuestPasid) {
            return -1;
        }
        final int h = hostOf.get(gpasid);
        return h == 0 ? -1 : h;
    }

    /** The guest PASID behind host PASID {@code hpasid}: 0 for the default domain, -1 if not this guest's. */
    public int guestPasid(int hpasid) {
        if (hpasid == defaultHostPasid) {
            return 0;
        }
        final Integer g = guestOf.get(hpasid);
        return g == null ? -1 : g;
    }

    // ---- page requests

    public void pageRequestHandler(GuestPageRequestHandler h) {
        this.handler = h;
    }

    /** The guest's page-request handler (null: none); a VMM carries it over to the destination's IOMMU. */
    public GuestPageRequestHandler pageRequestHandler() {
        return handler;
    }

    /**
     * How long the device waits for this guest's page response, counted from the raise of the request; after that
     * the request fails (Response Failure) and a late {@link #pageResponse} is ignored. Default
     * {@code PageRequestService.DEFAULT_TIMEOUT_NANOS}.
     */
    public void pageRequestTimeout(long nanos) {
        host.pageRequestOwner(this).timeout(nanos);
    }

    /** This guest's page-request timeout (a VMM carries it to the destination's IOMMU). */
    public long pageRequestTimeoutNanos() {
        return host.pageRequestOwner(this).timeoutNanos();
    }

    /** Page requests of this guest that ended at their deadline unanswered. */
    public long pageRequestTimeouts() {
        return host.pageRequestOwner(this).timeouts();
    }

    /** On this guest's own page-request delivery thread (see {@link HostDsa#pasidOwner}). */
    @Override
    public void pageRequest(PageRequest request, PageResponder responder) {
        final int g = guestPasid(request.pasid());
        final GuestPageRequestHandler h = handler;
        if (g <= 0 || h == null || closed) {
            // a fault in the default domain is a stage-2 matter, resolved (or refused) by the host: never the guest's
            responder.respond(PageRequest.RESPONSE_INVALID_REQUEST);
            return;
        }
        final PageRequest guestRequest = new PageRequest(g, request.pageAddress(), request.read(), request.write(),
            request.privileged(), request.lastInGroup(), request.groupIndex());
        pending.put(key(g, request.groupIndex()), responder);
        forwarded.incrementAndGet();
        try {
            h.pageRequest(guestRequest);
        } catch (Throwable e) { // the guest's handler: contained, this request fails
            final PageResponder r = pending.remove(key(g, request.groupIndex()));
            if (r != null) {
                r.respond(PageRequest.RESPONSE_FAILURE);
            }
        }
    }

    /**
     * The guest's page group response. Ignored (false) unless a request of this guest with that PASID and group index
     * is outstanding.
     */
    public boolean pageResponse(int gpasid, int groupIndex, int code) {
        final PageResponder r = pending.remove(key(gpasid, groupIndex));
        if (r == null) {
            ignoredResponses.incrementAndGet();
            return false;
        }
        responses.incrementAndGet();
        r.respond(code == PageRequest.RESPONSE_SUCCESS || code == PageRequest.RESPONSE_INVALID_REQUEST
            ? code : PageRequest.RESPONSE_FAILURE);
        return true;
    }

    /** Page requests forwarded to the guest so far. */
    public long pageRequestsForwarded() {
        return forwarded.get();
    }

    public long pageResponses() {
        return responses.get();
    }

    public long ignoredPageResponses() {
        return ignoredResponses.get();
    }

    public int outstandingPageRequests() {
        return pending.size();
    }

    private void failPending(int gpasid) {
        pending.entrySet().removeIf(e -> {
            if ((int) (e.getKey() >>> 16) == gpasid) {
                e.getValue().respond(PageRequest.RESPONSE_FAILURE);
                return true;
            }
            return false;
        });
    }

    private static long key(int gpasid, int groupIndex) {
        return ((long) gpasid << 16) | (groupIndex & 0xFFFF);
    }

    private int requireAllocated(int gpasid) {
        checkOpen();
        final int h = hostPasid(gpasid);
        if (h < 0) {
            throw new IllegalArgumentException("guest PASID " + gpasid + " is not allocated");
        }
        return h;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("virtual IOMMU closed");
        }
    }

    /**
     * Fails every outstanding page request and frees every host PASID of this guest. A PASID still programmed in a
     * dedicated WQ of one of the guest's devices stays in quarantine until that device disables the WQ.
     */
    @Override
    public void close() {
        final List<Integer> hosts = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            pending.values().forEach(r -> r.respond(PageRequest.RESPONSE_FAILURE));
            pending.clear();
            for (int g = 1; g <= maxGuestPasid; g++) {
                if (hostOf.get(g) != 0) {
                    hosts.add(hostOf.get(g));
                    hostOf.set(g, 0);
                }
            }
            guestOf.clear();
        }
        submissions.awaitSubmitters();
        for (int h : hosts) {
            host.freePasid(h);
        }
        host.freePasid(defaultHostPasid);
        host.forgetPageRequestOwner(this); // its page-request delivery thread
    }

    @Override
    public String toString() {
        return "guest-iommu@" + Integer.toHexString(System.identityHashCode(this));
    }
}
