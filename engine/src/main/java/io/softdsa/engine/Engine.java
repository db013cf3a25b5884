package io.softdsa.engine;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.descriptor.Pasid;
import io.softdsa.iommu.Translation;
import io.softdsa.telemetry.DescriptorCompletedEvent;
import io.softdsa.telemetry.EngineCounters;
import io.softdsa.telemetry.WqCounters;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One DSA engine as an Agrona {@link Agent}: each {@link #doWork()} claims a run of descriptors from the
 * highest-priority non-empty WQ of its group (one, when other engines share the group or when an invoker steps it)
 * and runs them to completion. Runs on its own thread under an
 * {@link org.agrona.concurrent.AgentRunner}, or is driven by the embedder through {@link #invoke()} — never both: a
 * runner thread and invokers exclude each other through {@link #driver}.
 * <p>
 * Nothing thrown while a descriptor runs escapes a duty cycle: the descriptor completes (as a hardware error if need
 * be), the throwable is counted and logged in {@link EngineErrors}, and the engine thread goes on (Agrona's runner
 * would let an {@link Error} end it).
 * <p>
 * The engine publishes which (WQ, position) it is executing so Drain and Disable can tell when every earlier
 * descriptor has completed: its {@link DrainTag} (the protocol is there, under a model checker).
 * <p>
 * Telemetry: with a counters file, each descriptor is counted (engine and WQ) before its drain tag is cleared, so a
 * drain that returns sees its counts; with a JFR recording of {@code io.softdsa.DescriptorCompleted}, its event is
 * committed after that, once the descriptor is wholly done. Neither allocates or reads a clock while it is off.
 */
public final class Engine implements Agent {
    /** No descriptor in flight. */
    public static final long IDLE = DrainTag.IDLE;
    private static final VarHandle COMPLETED;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            COMPLETED = lookup.findVarHandle(Engine.class, "completed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int id;
    private final String roleName;
    private volatile WorkSource[] wqs;
    private final DescriptorExecutor executor;
    private final MemorySegment fetchBuffer;
    /** Who drives this engine: nobody, an invoker (for the length of one call), or a runner thread. */
    private final AtomicInteger driver = new AtomicInteger(FREE);
    private static final int FREE = 0;
    private static final int INVOKER = 1;
    private static final int RUNNER = 2;
    private Engine[] peers = new Engine[0];
    private final Arena arena;
    private final EngineCounters counters;
    /** The device's name, as JFR events carry it. */
    private final String deviceName;
    /**
     * When the current busy period began, or up to when it has been counted (0: idle). The clock is read when a busy
     * period begins, at the idle duty cycle that ends it, and every {@link #BUSY_CLOCK_EVERY} descriptors in between
     * — not for every descriptor: a clock read costs about as much as a no-op descriptor's whole completion.
     */
    private long busySince;
    /** Descriptors until this busy period's time is counted so far. */
    private int untilBusyClock;
    /** Descriptors between two counts of a long busy period's time, so a reader sees it grow. */
    private static final int BUSY_CLOCK_EVERY = 256;
    /** Dispatches until this engine samples its WQ's occupancy again. */
    private int sinceOccupancySample;
    /** IOTLB hits and misses of this engine's translation already added to its counters. */
    private long hitsCounted;
    private long missesCounted;
    /** An engine samples its WQ's occupancy (a read of the producers' tail) once per this many dispatches. */
    private static final int OCCUPANCY_SAMPLE_EVERY = 32;
    private static final int NOT_RUN = -1;

    private final DrainTag drainTag = new DrainTag();
    /** Descriptors one claim may take ({@link #serve}); written before the volatile {@code wqs} it is read after. */
    private int claimRun = 1;
    /**
     * Whether a runner thread drives this engine (set by {@link #attachRunner} before that thread starts, cleared by
     * {@link #detachRunner} after it ended; an invoker reads it after its CAS of the driver, which orders both).
     */
    private boolean threaded;
    /** Whether an invoked duty cycle takes a claim run as a runner thread's does (Threading.INVOKER_RUNS). */
    private final boolean invokedRuns;
    /** What {@link #invoke} drives a duty cycle through: Agrona's, with the error handler and counter a runner has. */
    private final AgentInvoker invoker;
    @SuppressWarnings("unused") // accessed through COMPLETED; single writer
    private volatile long completed;

    /**
     * @param wqs   the group's WQs, highest priority first
     * @param arena what the engine's buffers were allocated from, closed with the engine
     */
    public Engine(int id, String roleName, WorkSource[] wqs, DescriptorExecutor executor, Arena arena) {
        this(id, roleName, wqs, executor, arena, EngineCounters.DISABLED, "");
    }

    /**
     * @param counters   this engine's counters in the device's counters file ({@link EngineCounters#DISABLED}: none)
     * @param deviceName the device's name for JFR events
     */
    public Engine(int id, String roleName, WorkSource[] wqs, DescriptorExecutor executor, Arena arena,
                  EngineCounters counters, String deviceName) {
        this(id, roleName, wqs, executor, arena, counters, deviceName, false);
    }

    /**
     * @param invokedRuns whether each {@link #invoke()} takes a run of published descriptors with one claim, as a
     *                    runner thread's duty cycle does, rather than one descriptor
     */
    public Engine(int id, String roleName, WorkSource[] wqs, DescriptorExecutor executor, Arena arena,
                  EngineCounters counters, String deviceName, boolean invokedRuns) {
        this.invokedRuns = invokedRuns;
        this.arena = arena;
        this.counters = counters;
        this.deviceName = deviceName;
        this.id = id;
        this.roleName = roleName;
        this.wqs = wqs.clone();
        this.executor = executor;
        this.fetchBuffer = executor.fetchBuffer();
        executor.context().earlierWork(this::awaitEarlier);
        final EngineErrors errors = executor.errors();
        this.invoker = new AgentInvoker(errors::engineThreadError, errors.engineThreadErrorCounter(), this);
        invoker.start(); // onStart is Agent's no-op: nothing of this engine runs before its constructor returns
    }

    /** Replaces the WQs this engine serves (highest priority first): its group's WQs were reconfigured. */
    public void serve(WorkSource[] groupWqs) {
        serve(groupWqs, false);
    }

    /**
     * Replaces the WQs this engine serves (highest priority first), and says whether other engines serve them too.
     * An engine alone in its group takes runs of up to {@link DescriptorExecutor#CLAIM_RUN} published descriptors
     * with one claim; one that shares its WQs takes one at a time, so that a few large descriptors in flight spread
     * over the group's engines instead of queueing behind one of them.
     */
    public void serve(WorkSource[] groupWqs, boolean shared) {
        this.claimRun = shared ? 1 : DescriptorExecutor.CLAIM_RUN;
        this.wqs = groupWqs.clone(); // the volatile store after claimRun's: doWork reads wqs first
    }

    /** The other engines of the device, consulted by Drain. */
    public void peers(Engine[] engines) {
        this.peers = engines.clone();
    }

    public int id() {
        return id;
    }

    @Override
    public String roleName() {
        return roleName;
    }

    @Override
    public int doWork() {
        final WorkSource[] serving = wqs; // one volatile read: a reconfiguration takes effect at the next duty cycle
        // an invoked duty cycle runs one descriptor, as its callers step it, unless it was built to run as a thread's
        final int max = threaded || invokedRuns ? claimRun : 1;
        for (WorkSource wq : serving) {
            // a shared WQ's run keeps to one PASID (bytes 0-3, bits 19:0): the PASID this engine reports as running
            // then covers the rest of its run, so Abort PASID waits while any of them is unstarted
            final long first = drainTag.claimRun(wq.ring(), wq.index(), fetchBuffer, max,
                wq.isDedicated() ? 0 : Pasid.MASK);
            if (first < 0) {
                continue;
            }
            final int n = drainTag.claimed();
            currentWq = wq.index();
            executor.select(0);
            executor.defer(n > 1 && executor.mayDefer(wq));
            int completedHere = 0;
            try {
                for (int i = 0; i < n; i++) {
                    final long position = first + i;
                    executor.select(i);
                    if (i > 0 && executor.mustCompleteBefore(wq)) {
                        // it may wait long: the earlier ones' records first, and the tag moves up to it (straight
                        // from the run's first position, never through idle: the records before it are written)
                        executor.complete(wq);
                        drainTag.advance(wq.index(), position);
                    }
                    currentPosition = position;
                    drainTag.running(wq.pasidOf(executor.descriptor()));
                    if (run(wq, position)) {
                        completedHere++;
                    }
                }
            } finally {
                try {
                    executor.complete(wq); // the run's held-back records and interrupts, in order; never throws
                } finally {
                    executor.defer(false);
                    // the tag stayed at or below every descriptor whose record was held back: idle only now
                    drainTag.completed();
                    COMPLETED.setOpaque(this, (long) COMPLETED.getOpaque(this) + completedHere);
                }
            }
            return n;
        }
        drainTag.idle();
        if (busySince != 0) { // the busy period ended with the last descriptor
            counters.busy(System.nanoTime() - busySince);
            busySince = 0;
        }
        return 0;
    }

    /**
     * Runs the claimed descriptor at {@code position} of {@code wq} and accounts for it; returns whether it ran (not
     * discarded by an abort). Its record may be held back until the run's end ({@link DescriptorExecutor#defer}).
     */
    private boolean run(WorkSource wq, long position) {
        final boolean counting = counters.enabled();
        final boolean event = DescriptorCompletedEvent.enabled();
        final long submitted = event ? wq.ring().enqueueStamp(position) : 0; // 0: not timed when submitted
        final long dispatched = event ? System.nanoTime() : 0;
        if (counting && busySince == 0) {
            busySince = event ? dispatched : System.nanoTime(); // a busy period begins
            untilBusyClock = BUSY_CLOCK_EVERY;
        }
        final DescriptorCompletedEvent completedEvent = event ? DescriptorCompletedEvent.dispatched() : null;
        int status = NOT_RUN;
        long ended = 0;
        try {
            // an abort's SWERR entry for this one comes after the earlier ones' held-back completions; with no
            // abort in progress (the common case) one check of its two volatiles is all
            final boolean covered = wq.abortCovers(position, executor.descriptor());
            if (covered) {
                executor.complete(wq);
            }
            if (!covered || !wq.discardForAbort(position, executor.descriptor())) {
                status = executor.execute(wq); // never throws, and leaves no translation held
            }
        } catch (Throwable t) {
            executor.errors().engineThreadError(t);
        } finally {
            if (event) {
                ended = System.nanoTime();
            }
            if (counting) {
                try {
                    count(wq, position, status);
                } catch (Throwable t) {
                    executor.errors().engineThreadError(t); // the run goes on: a drain waits on its tag
                }
            }
        }
        if (completedEvent != null && status != NOT_RUN) { // a discarded descriptor did not complete: no event
            commit(completedEvent, wq, status, submitted, dispatched, ended);
        }
        return status != NOT_RUN; // one an abort discarded did not complete (its SWERR entry says so)
    }

    /**
     * Counts one descriptor: the engine's executed count, its IOTLB hits and misses since the last one and, every
     * {@link #BUSY_CLOCK_EVERY} descriptors, the busy time so far (single writer: release adds); the WQ's completion
     * by status class (atomic adds: the group's engines share it); and, at the engine's first dispatch and then once
     * every {@link #OCCUPANCY_SAMPLE_EVERY}, the WQ's occupancy — a read of the tail the producers write, too costly
     * to make for every descriptor (a full WQ is recorded exactly by the submitter that finds it full).
     */
    private void count(WorkSource wq, long position, int status) {
        if (--untilBusyClock == 0) {
            final long now = System.nanoTime();
            counters.busy(now - busySince);
            busySince = now;
            untilBusyClock = BUSY_CLOCK_EVERY;
        }
        if (status == NOT_RUN) {
            return; // discarded by Abort PASID: counted as a SWERR entry
        }
        counters.executed();
        final Translation t = executor.context().dma.translation();
        counters.iotlb(t.iotlbHits - hitsCounted, t.walks - missesCounted);
        hitsCounted = t.iotlbHits;
        missesCounted = t.walks;
        final WqCounters c = wq.counters();
        if (Status.isSuccess(status)) {
            c.completedSuccess();
        } else if (Status.isPageFault(status)) {
            c.completedPageFault();
        } else {
            c.completedWithError();
        }
        if (sinceOccupancySample-- == 0) { // the first dispatch, then one in OCCUPANCY_SAMPLE_EVERY
            sinceOccupancySample = OCCUPANCY_SAMPLE_EVERY - 1;
            // those in the WQ now: tail - head, at most the WQ size (admission keeps it within the limit). Not
            // counted from this engine's position: a run's own descriptors have left the WQ, and an Abort WQ may
            // have moved head past them all while the WQ refilled
            c.occupancy(wq.ring().occupancy());
        }
    }

    private void commit(DescriptorCompletedEvent e, WorkSource wq, int status, long submitted, long dispatched,
                        long ended) {
        try {
            final Descriptor d = executor.descriptor();
            e.completed(deviceName, wq.eventName(), id, Opcode.name(d.opcode()), d.transferSize(), Status.name(status),
                status, executor.lastPasid(), submitted == 0 ? Long.MIN_VALUE : dispatched - submitted,
                ended - dispatched);
        } catch (Throwable t) {
            executor.errors().engineThreadError(t); // a recording problem never stops the engine
        }
    }

    private int currentWq;
    private long currentPosition;

    /**
     * Runs one duty cycle on the caller's thread (embedder-driven engines). Safe against concurrent callers: one runs
     * the engine at a time, a loser returns 0.
     *
     * @throws IllegalStateException if a runner thread drives this engine (the device runs a thread per engine)
     */
    public int invoke() {
        if (!driver.compareAndSet(FREE, INVOKER)) {
            if (driver.get() == RUNNER) {
                throw new IllegalStateException(roleName + " is driven by its own thread (Threading.THREAD_PER_ENGINE);"
                    + " invoke() is for devices built with Threading.INVOKER or INVOKER_RUNS");
            }
            return 0;
        }
        try {
            return invoker.invoke(); // anything doWork let escape is counted and logged, as under a runner thread
        } finally {
            driver.set(FREE); // volatile: the next driver sees everything this duty cycle did
        }
    }

    /** A runner thread is about to drive this engine: waits out an invoker still inside its call. */
    public void attachRunner() {
        while (!driver.compareAndSet(FREE, RUNNER)) {
            if (driver.get() == RUNNER) {
                throw new IllegalStateException(roleName + " already has a runner thread");
            }
            LockSupport.parkNanos(1_000);
        }
        threaded = true;
    }

    /** The runner thread has ended (its {@code AgentRunner} is closed): invokers may drive the engine again. */
    public void detachRunner() {
        threaded = false;
        driver.compareAndSet(RUNNER, FREE);
    }

    /** Page-request waits this engine shares with the others of its device (see {@code Dma.pageWaitPermits}). */
    public void pageWaitPermits(java.util.concurrent.atomic.AtomicInteger permits) {
        executor.context().dma.pageWaitPermits(permits);
    }

    /** The engine is retired (its device was reconfigured or closed): the IOMMU frees what it kept for it. */
    public void close() {
        executor.context().dma.close();
        if (arena.scope().isAlive()) { // closing twice (reconfigured, then closed) is harmless
            arena.close();
        }
    }

    /** What went wrong in this engine's device (shared by its engines). */
    public EngineErrors errors() {
        return executor.errors();
    }

    /** Whether this engine is executing a descriptor of {@code wqIndex} at a position below {@code end}. */
    public boolean executingBefore(int wqIndex, long end) {
        return executingBefore(wqIndex, end, -1);
    }

    /**
     * Like {@link #executingBefore(int, long)}, for descriptors of {@code pasid} only (Abort PASID; a negative
     * {@code pasid} means any): a descriptor known to run for another PASID does not count. Tag, PASID, tag again, all
     * acquire: an unchanged tag means the PASID read is this descriptor's (written after its claim) or
     * {@code NO_PASID} (not yet known: it counts).
     */
    public boolean executingBefore(int wqIndex, long end, int pasid) {
        return drainTag.executingBefore(wqIndex, end, pasid);
    }

    /** Descriptors this engine has completed. */
    public long completed() {
        return (long) COMPLETED.getOpaque(this);
    }

    /** Drain: wait until no other engine is still executing an earlier descriptor of the current WQ. */
    private void awaitEarlier() {
        for (Engine e : peers) {
            if (e == this) {
                continue;
            }
            while (e.executingBefore(currentWq, currentPosition)) {
                Thread.onSpinWait();
            }
        }
    }
}
