package io.softdsa.iommu;

import io.softdsa.completion.DeliveryThread;
import io.softdsa.telemetry.PageRequestEvent;

import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The device's page request interface: turns a block-on-fault fault into a {@link PageRequest} for the
 * {@link PageRequestHandler} of the PASID's {@link Owner}, and parks the faulting engine until the page group
 * response arrives or the owner's timeout — counted from the moment the request is raised — runs out (treated as
 * Response Failure; a response after that is ignored).
 * <p>
 * The handler never runs on an engine: the engine fills a pre-allocated request slot of the owner, offers it to the
 * owner's bounded queue and wakes the owner's delivery thread, which builds the {@link PageRequest} and calls the
 * handler. One owner's handler that blocks, throws or never answers delays only that owner's requests (each still
 * ends at its deadline); a full queue (the owner has that many requests unanswered) answers at once with Response
 * Failure. While it waits the engine holds no translation, so IOTLB invalidations made by the handler do not wait
 * for it.
 * <p>
 * PASIDs reach the {@linkplain #defaultOwner() default owner} (whose handler is {@link #handler}) unless
 * {@linkplain #route routed} to an owner of their own ({@link #owner}).
 */
public final class PageRequestService implements PageFaultHandler, AutoCloseable {
    /** Timeout of a new owner. */
    public static final long DEFAULT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Requests an owner may have outstanding (raised and not yet answered or timed out and delivered). */
    public static final int QUEUE_CAPACITY = 64;
    /** After a timeout, an owner's raises fail at once for this many timeouts unless it answers meanwhile. */
    public static final int SILENCE_FACTOR = 8;

    private static final int PASID_LEAF_BITS = 6;
    private static final int PASID_LEAF = 1 << PASID_LEAF_BITS;
    private static final int PASID_LIMIT = 1 << 20;

    private final ScalableModeIommu iommu;
    private final ThreadFactory threads;
    private final AtomicInteger groupIndex = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final Owner defaultOwner;
    /** Where retired PASIDs route: no handler, so every request fails at once. */
    private final Owner refused = new Owner("refused (PASID being freed)");
    private final List<Owner> owners = new ArrayList<>();
    /** PASID -> owner, two levels (PASID[19:6], PASID[5:0]) as the PASID directory; leaves made on routing. */
    private final AtomicReferenceArray<AtomicReferenceArray<Owner>> routes =
        new AtomicReferenceArray<>(PASID_LIMIT >>> PASID_LEAF_BITS);

    PageRequestService(ScalableModeIommu iommu) {
        this.iommu = iommu;
        this.threads = Thread::new;
        this.defaultOwner = new Owner("default");
        owners.add(defaultOwner);
    }

    /** The handler of the default owner (PASIDs without an owner of their own); null refuses their requests. */
    public void handler(PageRequestHandler h) {
        defaultOwner.handler(h);
    }

    /** The default owner's timeout, from the raise of a request. */
    public void timeout(long nanos) {
        defaultOwner.timeout(nanos);
    }

    public Owner defaultOwner() {
        return defaultOwner;
    }

    /** A new owner with its own delivery thread, queue and timeout ({@link #DEFAULT_TIMEOUT_NANOS}). */
    public synchronized Owner owner(String name, PageRequestHandler handler) {
        final Owner o = new Owner(name);
        o.handler(handler);
        owners.add(o);
        return o;
    }

    /** Page requests of {@code pasid} go to {@code owner} ({@code null}: back to the default owner). */
    public synchronized void route(int pasid, Owner owner) {
        if (pasid < 0 || pasid >= PASID_LIMIT) {
            throw new IllegalArgumentException("PASID " + pasid + " outside 20 bits");
        }
        AtomicReferenceArray<Owner> leaf = routes.get(pasid >>> PASID_LEAF_BITS);
        if (leaf == null) {
            if (owner == null) {
                return;
            }
            leaf = new AtomicReferenceArray<>(PASID_LEAF);
            routes.setRelease(pasid >>> PASID_LEAF_BITS, leaf); // pairs with ownerOf's getAcquire
        }
        leaf.setRelease(pasid & (PASID_LEAF - 1), owner);
    }

    /**
     * {@code pasid} is being freed: its page requests are refused from now on (Response Failure at once, whoever
     * owned it), and every request of it still waiting is answered Response Failure now — so the engines that wait
     * on them complete their descriptors and an Abort / Drain PASID that follows never waits out a timeout. Undone
     * by {@link #route} once the PASID is handed out again.
     */
    public synchronized void refuse(int pasid) {
        route(pasid, refused);
        defaultOwner.cancel(pasid);
        for (Owner o : owners) {
            o.cancel(pasid);
        }
    }

    /** The owner {@code pasid}'s requests go to. Lock-free, allocation-free. */
    public Owner ownerOf(int pasid) {
        if (pasid >= 0 && pasid < PASID_LIMIT) {
            final AtomicReferenceArray<Owner> leaf = routes.getAcquire(pasid >>> PASID_LEAF_BITS);
            if (leaf != null) {
                final Owner o = leaf.getAcquire(pasid & (PASID_LEAF - 1));
                if (o != null) {
                    return o;
                }
            }
        }
        return defaultOwner;
    }

    /** Page requests raised so far. */
    public int requests() {
        return requests.get();
    }

    /** Requests that ended at their deadline, over every owner. */
    public synchronized long timeouts() {
        long n = 0;
        for (Owner o : owners) {
            n += o.timeouts.get();
        }
        return n;
    }

    /** Stops every owner's delivery thread; later requests are refused (Response Failure at once). */
    @Override
    public void close() {
        final List<Owner> all;
        synchronized (this) {
            all = List.copyOf(owners);
        }
        for (Owner o : all) {
            o.close();
        }
    }

    @Override
    public int resolve(Translation t, long address, int access) {
        final PageRequestEvent event = PageRequestEvent.raised(); // null while no JFR recording takes it
        if (!t.pasidEnabled) {
            return answered(event, t, address, access, null, "no handler", TranslationFault.PAGE_REQUEST_FAILED);
        }
        final Owner owner = ownerOf(t.pasid);
        if (owner.handler == null || owner.closed) {
            return answered(event, t, address, access, owner, "no handler", TranslationFault.PAGE_REQUEST_FAILED);
        }
        iommu.quiesce(t);
        t.translationsDropped = true;
        requests.incrementAndGet();
        final long now = System.nanoTime();
        if (owner.unresponsive(now)) {
            owner.failedFast.incrementAndGet(); // its handler is stuck or it does not answer: no engine waits on it
            return answered(event, t, address, access, owner, "failed fast", TranslationFault.PAGE_REQUEST_FAILED);
        }
        final long deadline = now + owner.timeoutNanos; // the timeout runs from the raise
        final Slot slot = owner.free.poll();
        if (slot == null) {
            owner.refused.incrementAndGet(); // the owner has QUEUE_CAPACITY requests unanswered: fail this one now
            return answered(event, t, address, access, owner, "refused", TranslationFault.PAGE_REQUEST_FAILED);
        }
        final boolean write = access == Translation.WRITE;
        final long seq = slot.arm(t.pasid, address & ~0xFFFL, write, t.priv, groupIndex.getAndIncrement() & 0x1FF,
            deadline, Thread.currentThread());
        if (!owner.queue.offer(slot)) { // cannot happen while slots and queue have the same capacity
            slot.expire(seq);
            slot.unref(owner);
            slot.unref(owner);
            owner.refused.incrementAndGet();
            return answered(event, t, address, access, owner, "refused", TranslationFault.PAGE_REQUEST_FAILED);
        }
        owner.wake();
        final int code = awaitResponse(owner, slot, seq, deadline);
        slot.unref(owner);
        if (code == PageRequest.RESPONSE_SUCCESS) {
            return answered(event, t, address, access, owner, "success", Iommu.OK);
        }
        return answered(event, t, address, access, owner,
            System.nanoTime() - deadline >= 0 ? "timeout" : "failure", TranslationFault.PAGE_REQUEST_FAILED);
    }

    /** Commits the JFR event of a request (if one is recorded) and returns {@code status}. */
    private static int answered(PageRequestEvent event, Translation t, long address, int access, Owner owner,
                                String response, int status) {
        if (event != null) {
            event.answered(t.pasid, address & ~0xFFFL, access == Translation.WRITE, t.priv,
                owner == null ? "-" : owner.name, response);
        }
        return status;
    }

    private static int awaitResponse(Owner owner, Slot slot, long seq, long deadline) {
        int spins = 0;
        while (true) {
            final int code = slot.response(seq);
            if (code != Slot.PENDING) {
                return code;
            }
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                if (slot.expire(seq)) {
                    owner.timeouts.incrementAndGet();
                    // volatile: later raises see it (unresponsive) and fail at once for a while
                    owner.silentUntil = Math.max(1, System.nanoTime() + SILENCE_FACTOR * owner.timeoutNanos);
                    return PageRequest.RESPONSE_FAILURE;
                }
                continue; // answered just now
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else if (spins < 200) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(Math.min(left, 1_000_000L)); // the responder unparks us
            }
        }
    }

    /**
     * Whoever a set of PASIDs belongs to (a process, a guest): its handler, its delivery thread, its bounded queue
     * of requests and its timeout.
     */
    public final class Owner implements AutoCloseable {
        private final String name;
        private final ManyToOneConcurrentArrayQueue<Slot> queue = new ManyToOneConcurrentArrayQueue<>(QUEUE_CAPACITY);
        private final ManyToManyConcurrentArrayQueue<Slot> free =
            new ManyToManyConcurrentArrayQueue<>(QUEUE_CAPACITY);
        private final AtomicLong timeouts = new AtomicLong();
        private final AtomicLong refused = new AtomicLong();
        private final AtomicLong ignored = new AtomicLong();
        private final AtomicLong failures = new AtomicLong();
        private final AtomicLong delivered = new AtomicLong();
        private final AtomicLong failedFast = new AtomicLong();
        /** Until when (nanoTime) raises fail at once: a request timed out and no response has come since (0: none). */
        private volatile long silentUntil;
        /** When the delivery thread entered the handler it is still in (0: not in a handler). */
        private volatile long inHandlerSince;
        private volatile PageRequestHandler handler;
        private volatile long timeoutNanos = DEFAULT_TIMEOUT_NANOS;
        private volatile DeliveryThread thread;
        private volatile boolean closed;
        private volatile Throwable lastFailure;

        private final Slot[] slots = new Slot[QUEUE_CAPACITY];

        private Owner(String name) {
            this.name = name;
            for (int i = 0; i < QUEUE_CAPACITY; i++) {
                slots[i] = new Slot();
                free.offer(slots[i]);
            }
        }

        /** Answers Response Failure to every request of {@code pasid} still waiting. */
        private void cancel(int pasid) {
            for (Slot s : slots) {
                s.cancel(pasid);
            }
        }

        public String name() {
            return name;
        }

        /** Sets the handler (started on this owner's delivery thread); null refuses this owner's requests. */
        public synchronized Owner handler(PageRequestHandler h) {
            if (h != null && thread == null && !closed) {
                thread = new DeliveryThread("softdsa-page-requests-" + name, threads, this::deliver);
            }
            this.handler = h; // volatile store after the thread's: an engine that sees the handler sees the thread
            return this;
        }

        /** How long an engine waits for a response, from the raise of the request (Response Failure after). */
        public Owner timeout(long nanos) {
            if (nanos <= 0) {
                throw new IllegalArgumentException("page request timeout must be positive: " + nanos);
            }
            this.timeoutNanos = nanos;
            return this;
        }

        public long timeoutNanos() {
            return timeoutNanos;
        }

        /** Requests that ended at their deadline. */
        public long timeouts() {
            return timeouts.get();
        }

        /** Requests failed at once because this owner had {@link #QUEUE_CAPACITY} unanswered. */
        public long refused() {
            return refused.get();
        }

        /** Responses that came after the request's deadline (or twice) and were ignored. */
        public long ignoredResponses() {
            return ignored.get();
        }

        /** Throwables the handler threw (each request then answered Response Failure). */
        public long handlerFailures() {
            return failures.get();
        }

        public Throwable lastHandlerFailure() {
            return lastFailure;
        }

        /** Requests handed to the handler. */
        public long delivered() {
            return delivered.get();
        }

        /** Requests failed at once because this owner's handler was stuck or it had stopped answering. */
        public long failedFast() {
            return failedFast.get();
        }

        /**
         * Whether a new request of this owner would only wait out its timeout: its handler has been inside one call
         * for longer than the timeout, or a request timed out unanswered less than {@link #SILENCE_FACTOR} timeouts
         * ago and nothing was answered since. So a tenant whose page-request handler blocks costs the shared engines
         * one timeout, and one that never answers at most one timeout in every {@code SILENCE_FACTOR + 1}: the
         * engines it would hold serve the other tenants meanwhile.
         */
        private boolean unresponsive(long now) {
            final long since = inHandlerSince;
            if (since != 0 && now - since > timeoutNanos) {
                return true;
            }
            final long until = silentUntil;
            return until != 0 && now - until < 0;
        }

        private void wake() {
            final DeliveryThread t = thread;
            if (t != null) {
                t.signal();
            }
        }

        private int deliver() {
            int n = 0;
            Slot slot;
            while ((slot = queue.poll()) != null) {
                n++;
                final long seq = slot.sequence();
                final PageRequestHandler h = handler;
                if (slot.response(seq) != Slot.PENDING || System.nanoTime() - slot.deadline >= 0 || h == null) {
                    slot.expire(seq); // timed out (or no handler any more) before its turn: the handler never sees it
                    slot.unref(this);
                    continue;
                }
                final PageRequest request = new PageRequest(slot.pasid, slot.page, !slot.write, slot.write, slot.priv,
                    true, slot.group);
                final Responder responder = new Responder(this, slot, seq);
                delivered.incrementAndGet();
                inHandlerSince = Math.max(1, System.nanoTime()); // volatile: raising engines read it (unresponsive)
                try {
                    h.onPageRequest(request, responder);
                } catch (Throwable t) { // contained: this request fails, the next one is still delivered
                    failures.incrementAndGet();
                    lastFailure = t;
                    responder.respond(PageRequest.RESPONSE_FAILURE);
                } finally {
                    inHandlerSince = 0;
                }
                slot.unref(this);
            }
            return n;
        }

        /** Stops this owner's delivery thread; its later requests are refused. */
        @Override
        public void close() {
            final DeliveryThread t;
            synchronized (this) {
                closed = true;
                t = thread;
            }
            if (t != null) {
                t.close();
            }
            Slot slot;
            while ((slot = queue.poll()) != null) { // nobody will deliver these: fail them now
                slot.expire(slot.sequence());
                slot.unref(this);
            }
        }

        @Override
        public String toString() {
            return "page-request owner " + name;
        }
    }

    /** The responder handed to a handler: answers its one request, if still waiting. */
    private static final class Responder implements PageRequestHandler.PageResponder {
        private final Owner owner;
        private final Slot slot;
        private final long seq;

        Responder(Owner owner, Slot slot, long seq) {
            this.owner = owner;
            this.slot = slot;
            this.seq = seq;
        }

        @Override
        public void respond(int code) {
            if (!slot.respond(seq, code)) {
                owner.ignored.incrementAndGet(); // after the deadline, or a second answer: ignored
            }
            owner.silentUntil = 0; // it answers again (even if late): its requests are waited for again
        }
    }

    /**
     * One request in flight, reused: its state word is {@code sequence << 32 | phase}, so a responder of an earlier
     * use (its sequence) can never answer a later one. Held by the engine and by the queue (two references); the last
     * to let go puts it back on the owner's free list.
     */
    private static final class Slot {
        static final int PENDING = -1;
        private static final long PHASE_PENDING = 0x1_0000L;
        private static final long PHASE_EXPIRED = 0x2_0000L;
        private static final java.lang.invoke.VarHandle STATE;

        static {
            try {
                STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Slot.class, "state", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused") // through STATE
        private volatile long state;
        private final AtomicInteger refs = new AtomicInteger();
        private long sequence;
        // written by the engine before the queue offer (a release), read by the delivery thread after its poll
        int pasid;
        long page;
        boolean write;
        boolean priv;
        int group;
        long deadline;
        Thread waiter;

        long arm(int pasid, long page, boolean write, boolean priv, int group, long deadline, Thread waiter) {
            this.pasid = pasid;
            this.page = page;
            this.write = write;
            this.priv = priv;
            this.group = group;
            this.deadline = deadline;
            this.waiter = waiter;
            refs.set(2);
            final long seq = ++sequence & 0xFFFF_FFFFL;
            STATE.setRelease(this, (seq << 32) | PHASE_PENDING); // the fields above come with it
            return seq;
        }

        long sequence() {
            return ((long) STATE.getAcquire(this)) >>> 32;
        }

        /** Fails this slot's request if it is pending and of {@code pasid}. */
        void cancel(int pasid) {
            final long s = (long) STATE.getAcquire(this); // pairs with arm's release: the fields are this use's
            final int p = this.pasid;
            if ((s & PHASE_PENDING) != 0 && p == pasid && (long) STATE.getAcquire(this) == s) {
                respond(s >>> 32, PageRequest.RESPONSE_FAILURE); // a CAS on this very use: never a later one
            }
        }

        /** The response code, or {@link #PENDING}; expired reads as Response Failure. */
        int response(long seq) {
            final long s = (long) STATE.getAcquire(this);
            if ((s >>> 32) != seq) {
                return PageRequest.RESPONSE_FAILURE;
            }
            if ((s & PHASE_PENDING) != 0) {
                return PENDING;
            }
            if ((s & PHASE_EXPIRED) != 0) {
                return PageRequest.RESPONSE_FAILURE;
            }
            return (int) (s & 0xFFFF);
        }

        /** Answers use {@code seq} if it is still pending; false if it had ended (timed out, answered, reused). */
        boolean respond(long seq, int code) {
            final int c = code == PageRequest.RESPONSE_SUCCESS || code == PageRequest.RESPONSE_INVALID_REQUEST
                ? code : PageRequest.RESPONSE_FAILURE;
            final boolean won = STATE.compareAndSet(this, (seq << 32) | PHASE_PENDING, (seq << 32) | c);
            if (won) {
                LockSupport.unpark(waiter);
            }
            return won;
        }

        /** Ends use {@code seq} without a response (deadline passed); false if it was answered first. */
        boolean expire(long seq) {
            return STATE.compareAndSet(this, (seq << 32) | PHASE_PENDING, (seq << 32) | PHASE_EXPIRED);
        }

        void unref(Owner owner) {
            if (refs.decrementAndGet() == 0) {
                waiter = null;
                owner.free.offer(this);
            }
        }
    }
}
