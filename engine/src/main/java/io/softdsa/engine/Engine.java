package io.softdsa.engine;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.WorkQueue;
import io.softdsa.iommu.Translation;
import io.softdsa.portal.DescriptorRing;
import io.softdsa.telemetry.DescriptorCompletedEvent;
import io.softdsa.telemetry.EngineCounters;
import io.softdsa.telemetry.WqCounters;
import org.agrona.concurrent.Agent;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One DSA engine as an Agrona {@link Agent}: each {@link #doWork()} dispatches at most one descriptor from the
 * highest-priority non-empty WQ of its group and runs it to completion. Runs on its own thread under an
 * {@link org.agrona.concurrent.AgentRunner}, or is driven by the embedder through {@link #invoke()} — never both: a
 * runner thread and invokers exclude each other through {@link #driver}.
 * <p>
 * Nothing thrown while a descriptor runs escapes a duty cycle: the descriptor completes (as a hardware error if need
 * be), the throwable is counted and logged in {@link EngineErrors}, and the engine thread goes on (Agrona's runner
 * would let an {@link Error} end it).
 * <p>
 * The engine publishes which (WQ, position) it is executing so Drain and Disable can tell when every earlier
 * descriptor has completed: the tag is stored before the claiming CAS on the ring head (whose release orders it), and
 * cleared with a release store after the completion record and interrupt.
 * <p>
 * Telemetry: with a counters file, each descriptor is counted (engine and WQ) before that release, so a drain that
 * returns sees its counts; with a JFR recording of {@code io.softdsa.DescriptorCompleted}, its event is committed
 * after it, once the descriptor is wholly done. Neither allocates or reads a clock while it is off.
 */
public final class Engine implements Agent {
    /** No descriptor in flight. */
    public static final long IDLE = -1L;
    private static final int POSITION_BITS = 48;
    private static final VarHandle IN_FLIGHT;
    private static final VarHandle COMPLETED;
    private static final VarHandle RUNNING_PASID;
    private static final int NO_PASID = -1;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            IN_FLIGHT = lookup.findVarHandle(Engine.class, "inFlight", long.class);
            COMPLETED = lookup.findVarHandle(Engine.class, "completed", long.class);
            RUNNING_PASID = lookup.findVarHandle(Engine.class, "runningPasid", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int id;
    private final String roleName;
    private volatile WorkQueue[] wqs;
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
     * When the previous descriptor ended, if no idle duty cycle came since (else 0): back-to-back descriptors share
     * one clock read, the end of one being the start of the next's busy time.
     */
    private long busyUntil;
    /** Dispatches since this engine last sampled its WQ's occupancy. */
    private int sinceOccupancySample;
    /** IOTLB hits and misses of this engine's translation already added to its counters. */
    private long hitsCounted;
    private long missesCounted;
    /** An engine samples its WQ's occupancy (a read of the producers' tail) once per this many dispatches. */
    private static final int OCCUPANCY_SAMPLE_EVERY = 32;
    private static final int NOT_RUN = -1;

    @SuppressWarnings("unused") // accessed through IN_FLIGHT
    private volatile long inFlight = IDLE;
    @SuppressWarnings("unused") // accessed through COMPLETED; single writer
    private volatile long completed;
    @SuppressWarnings("unused") // accessed through RUNNING_PASID; single writer
    private volatile int runningPasid = NO_PASID;

    /**
     * @param wqs   the group's WQs, highest priority first
     * @param arena what the engine's buffers were allocated from, closed with the engine
     */
    public Engine(int id, String roleName, WorkQueue[] wqs, DescriptorExecutor executor, Arena arena) {
        this(id, roleName, wqs, executor, arena, EngineCounters.DISABLED, "");
    }

    /**
     * @param counters   this engine's counters in the device's counters file ({@link EngineCounters#DISABLED}: none)
     * @param deviceName the device's name for JFR events
     */
    public Engine(int id, String roleName, WorkQueue[] wqs, DescriptorExecutor executor, Arena arena,
                  EngineCounters counters, String deviceName) {
        this.arena = arena;
        this.counters = counters;
        this.deviceName = deviceName;
        this.id = id;
        this.roleName = roleName;
        this.wqs = wqs.clone();
        this.executor = executor;
        this.fetchBuffer = executor.descriptor().segment();
        executor.context().earlierWork = this::awaitEarlier;
    }

    /** Replaces the WQs this engine serves (highest priority first): its group's WQs were reconfigured. */
    public void serve(WorkQueue[] groupWqs) {
        this.wqs = groupWqs.clone();
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
        for (WorkQueue wq : wqs) { // one volatile read: a reconfiguration takes effect at the next duty cycle
            final DescriptorRing ring = wq.ring();
            long position;
            while ((position = ring.peek()) >= 0) {
                // the submission time can only be read between peek and a successful claim (see enqueueStamp)
                final boolean event = DescriptorCompletedEvent.enabled();
                final long submitted = event ? ring.enqueueStamp(position) : 0;
                // the claim CAS below is a release, so a drainer that sees head past `position` (acquire) sees this
                // tag too; the tag is itself a release so that a drainer that sees it also sees the previous
                // descriptor's NO_PASID (executingBefore never pairs this tag with an older PASID)
                IN_FLIGHT.setRelease(this, tag(wq.index(), position));
                if (ring.claim(position, fetchBuffer, 0)) {
                    currentWq = wq.index();
                    currentPosition = position;
                    // which PASID it runs for (release, after the claim): Abort PASID waits only for its own
                    RUNNING_PASID.setRelease(this, wq.isDedicated() ? wq.pasid() : executor.descriptor().pasid());
                    run(wq, ring, position, event, submitted);
                    return 1;
                }
            }
        }
        IN_FLIGHT.setOpaque(this, IDLE);
        busyUntil = 0; // idle: the next descriptor's busy time starts at its own dispatch
        return 0;
    }

    /** Runs the claimed descriptor at {@code position} of {@code wq} and accounts for it. */
    private void run(WorkQueue wq, DescriptorRing ring, long position, boolean event, long submitted) {
        final boolean counting = counters.enabled();
        final long dispatched = event || (counting && busyUntil == 0) ? System.nanoTime() : 0;
        final DescriptorCompletedEvent completedEvent = event ? DescriptorCompletedEvent.dispatched() : null;
        int status = NOT_RUN;
        long ended = 0;
        try {
            if (!wq.discardForPasidAbort(position, executor.descriptor())) {
                status = executor.execute(wq); // never throws, and leaves no translation held
            }
        } catch (Throwable t) {
            executor.errors().engineThreadError(t);
        } finally {
            if (counting || event) {
                ended = System.nanoTime();
            }
            if (counting) {
                try {
                    count(wq, ring, position, status, busyUntil != 0 ? busyUntil : dispatched, ended);
                } catch (Throwable t) {
                    executor.errors().engineThreadError(t); // never skip the release below: a drain waits on it
                }
            }
            RUNNING_PASID.setOpaque(this, NO_PASID); // ordered before the next tag by its release
            IN_FLIGHT.setRelease(this, IDLE); // completion visible: pairs with drainers' acquire
            COMPLETED.setOpaque(this, (long) COMPLETED.getOpaque(this) + 1);
        }
        if (completedEvent != null && status != NOT_RUN) { // a discarded descriptor did not complete: no event
            commit(completedEvent, wq, status, submitted, dispatched, ended);
        }
    }

    /**
     * Counts one descriptor: the engine's executed count and busy time, its IOTLB hits and misses since the last one
     * (single writer: release adds), the WQ's completion by status class (atomic adds: the group's engines share it)
     * and, at its first dispatch and then once every {@link #OCCUPANCY_SAMPLE_EVERY}, the WQ's occupancy — a read of
     * the tail the producers write, too costly to make for every descriptor (a full WQ is recorded exactly by the
     * submitter that finds it full).
     */
    private void count(WorkQueue wq, DescriptorRing ring, long position, int status, long start, long end) {
        busyUntil = end;
        if (status == NOT_RUN) {
            return; // discarded by Abort PASID: counted as a SWERR entry
        }
        counters.executed(end - start);
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
            // those still queued behind this one: at most the WQ size (head is past `position` now, and admission
            // keeps tail - head within the limit), where counting this one too could exceed it by the slot it freed
            c.occupancy(ring.tailPosition() - position - 1);
        }
    }

    private void commit(DescriptorCompletedEvent e, WorkQueue wq, int status, long submitted, long dispatched,
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
                    + " invoke() is for devices built with Threading.INVOKER");
            }
            return 0;
        }
        try {
            return doWork();
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
    }

    /** The runner thread has ended (its {@code AgentRunner} is closed): invokers may drive the engine again. */
    public void detachRunner() {
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
        final long t = (long) IN_FLIGHT.getAcquire(this);
        if (t == IDLE || (int) (t >>> POSITION_BITS) != wqIndex || (t & ((1L << POSITION_BITS) - 1)) >= end) {
            return false;
        }
        if (pasid < 0) {
            return true;
        }
        final int p = (int) RUNNING_PASID.getAcquire(this);
        return p == NO_PASID || p == pasid || (long) IN_FLIGHT.getAcquire(this) != t;
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

    private static long tag(int wqIndex, long position) {
        return ((long) wqIndex << POSITION_BITS) | position;
    }
}
