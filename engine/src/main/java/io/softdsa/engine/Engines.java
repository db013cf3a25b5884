package io.softdsa.engine;

import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The engines of one device, owned on the engine side: which engines exist (a device reconfiguration replaces them
 * all), who drives them (a runner thread each, or the embedder), the waits that Drain, WQ disable and Abort make for
 * descriptors still executing, and the engines' shared statistics. The device model wires it; WQs wait through it
 * ({@link CompletionWaits}) without knowing the device.
 * <p>
 * Replacing and starting happen under the device's configuration lock; the waits and the statistics read the engine
 * array through one volatile load, so they see either the old set or the new one whole.
 */
public final class Engines implements CompletionWaits {
    private volatile Engine[] engines = new Engine[0];
    private final List<AgentRunner> runners = new ArrayList<>();
    private final EngineErrors errors;

    public Engines(EngineErrors errors) {
        this.errors = errors;
    }

    /**
     * The device was reconfigured: {@code replacement} are its engines now. Each learns its peers (Drain consults
     * them) and shares page-request waits with them: at most all but one may wait on page requests at once, so a
     * tenant that answers slowly never holds them all. The engines replaced are retired (each gives its IOTLB slot
     * back); none may be running.
     */
    public void replace(Engine[] replacement) {
        if (!runners.isEmpty()) {
            throw new IllegalStateException("engines replaced while their threads run (disable the device first)");
        }
        final Engine[] all = replacement.clone();
        final AtomicInteger pageWaits = new AtomicInteger(Math.max(1, all.length - 1));
        for (Engine e : all) {
            e.peers(all);
            e.pageWaitPermits(pageWaits);
        }
        final Engine[] retired = engines;
        engines = all; // volatile: waits and statistics see the whole new set
        for (Engine e : retired) {
            e.close();
        }
    }

    /** Starts a runner thread per engine (from then on {@link Engine#invoke()} refuses). */
    public void startThreads(Supplier<IdleStrategy> idleStrategy, ThreadFactory threads) {
        for (Engine e : engines) {
            e.attachRunner();
            final AgentRunner runner = new AgentRunner(idleStrategy.get(), errors::engineThreadError, null, e);
            AgentRunner.startOnThread(runner, threads);
            runners.add(runner);
        }
    }

    /** Stops the runner threads (each has ended when this returns); invokers may drive the engines again. */
    public void stopThreads() {
        for (AgentRunner r : runners) {
            r.close();
        }
        runners.clear();
        for (Engine e : engines) {
            e.detachRunner();
        }
    }

    /**
     * Waits until {@code wq}'s ring has dispatched every position below {@code end} and no engine still executes one
     * of them (of {@code pasid} only, if it is not negative). Without runner threads the waiting thread drives the
     * engines itself.
     */
    @Override
    public void awaitCompleted(WorkSource wq, long end, int pasid) {
        long idleNanos = 1_000;
        while (true) {
            final Engine[] all = engines;
            if (wq.ring().headPosition() >= end && !anyExecutingBefore(all, wq.index(), end, pasid)) {
                return;
            }
            if (runners.isEmpty()) {
                for (Engine e : all) {
                    e.invoke();
                }
            } else {
                LockSupport.parkNanos(idleNanos);
                idleNanos = Math.min(idleNanos * 2, 1_000_000);
            }
        }
    }

    private static boolean anyExecutingBefore(Engine[] all, int wqIndex, long end, int pasid) {
        for (Engine e : all) {
            if (e.executingBefore(wqIndex, end, pasid)) {
                return true;
            }
        }
        return false;
    }

    /** Drives every engine once on the caller's thread; returns the work done. */
    public int invokeAll() {
        int work = 0;
        for (Engine e : engines) {
            work += e.invoke();
        }
        return work;
    }

    /** Descriptors completed by all engines. */
    public long completed() {
        long total = 0;
        for (Engine e : engines) {
            total += e.completed();
        }
        return total;
    }

    /** The engines, in configuration order. */
    public List<Engine> list() {
        return List.of(engines);
    }

    /** Retires every engine (the device is closing; no engine runs). */
    public void close() {
        for (Engine e : engines) {
            e.close();
        }
    }
}
