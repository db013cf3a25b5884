package io.softdsa.engine;

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
 * descriptor has completed: its {@link DrainTag} (the protocol is there, under a model checker).
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

    private final DrainTag drainTag = new DrainTag();
    @SuppressWarnings("unused") // accessed through COMPLETED; single writer
    private volatile long completed;

    /**
     * @param wqs   the group's WQs, highest priority first
     * @param arena what the engine's buffers were allocated from, closed with the engine
     */
    public Engine(int id, String roleName, WorkSource[] wqs, DescriptorExecutor executor, Arena arena) {
        this.arena = arena;
        this.id = id;
        this.roleName = roleName;
        this.wqs = wqs.clone();
        this.executor = executor;
        this.fetchBuffer = executor.descriptor().segment();
        executor.context().earlierWork = this::awaitEarlier;
    }

    /** Replaces the WQs this engine serves (highest priority first): its group's WQs were reconfigured. */
    public void serve(WorkSource[] groupWqs) {
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
        for (WorkSource wq : wqs) { // one volatile read: a reconfiguration takes effect at the next duty cycle
            final long position = drainTag.claim(wq.ring(), wq.index(), fetchBuffer);
            if (position < 0) {
                continue;
            }
            currentWq = wq.index();
            currentPosition = position;
            drainTag.running(wq.isDedicated() ? wq.pasid() : executor.descriptor().pasid());
            try {
                if (!wq.discardForPasidAbort(position, executor.descriptor())) {
                    executor.execute(wq); // never throws, and leaves no translation held
                }
            } catch (Throwable t) {
                executor.errors().engineThreadError(t);
            } finally {
                drainTag.completed();
                COMPLETED.setOpaque(this, (long) COMPLETED.getOpaque(this) + 1);
            }
            return 1;
        }
        drainTag.idle();
        return 0;
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
