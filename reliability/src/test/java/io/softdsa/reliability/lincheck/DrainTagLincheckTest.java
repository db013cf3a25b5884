package io.softdsa.reliability.lincheck;

import io.softdsa.engine.DrainTag;
import io.softdsa.engine.DescriptorRing;
import kotlin.reflect.KFunction;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine drain tag (issue 11 item 18c): Drain WQ / Disable / Abort return once the ring's head has passed the
 * drain's end position and no engine is {@code executingBefore} it. The protocol lives in the production
 * {@link DrainTag} (Engine.doWork calls its {@code claim}, {@code running}, {@code completed} and {@code idle}; Device's
 * awaitCompleted its {@code executingBefore}), and this proof runs a twin of that very bytecode, driving the twin of
 * the production {@code DescriptorRing}. The planted-bug variant is generated from the same bytecode with its
 * ordering step {@code TAG_BEFORE_CLAIM} off (the tag stored after the claiming CAS), and the checker must catch it.
 */
class DrainTagLincheckTest {
    private static final int SIZE = 2;
    private static final int WQ = 3;

    /** The twin's methods without the ring in their signature (the twin's ring type is the twin's own). */
    public interface TagAccess {
        void running(int pasid);

        void completed();

        void idle();

        void advance(int wqIndex, long position);

        int claimed();

        boolean executingBefore(int wqIndex, long end, int pasid);
    }

    /** One engine: a twin of the production DrainTag, and Engine.doWork's calls of it around the ring. */
    static final class EngineSteps {
        private final TagAccess tag;
        private final Method claim;
        private final Method claimRun;
        private final MemorySegment fetch = MemorySegment.ofArray(new long[16]);

        EngineSteps(Class<?> tagTwin) {
            try {
                this.tag = (TagAccess) tagTwin.getConstructor().newInstance();
                this.claim = tagTwin.getMethod("claim", RING_TWIN, int.class, MemorySegment.class);
                this.claimRun = tagTwin.getMethod("claimRun", RING_TWIN, int.class, MemorySegment.class, int.class,
                    long.class);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Engine.doWork for one WQ: claim (tagged), "execute" (the completion), completed; or idle. */
        void doWork(RingAccess ring, AtomicIntegerArray completed) {
            final long position;
            try {
                position = (long) claim.invoke(tag, ring, WQ, fetch);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (position < 0) {
                tag.idle();
                return;
            }
            tag.running(7);
            completed.set((int) position, 1); // execute: the completion record
            tag.completed();
        }

        /**
         * Engine.doWork on a WQ it serves alone: a run of up to two claimed at once, each "executed" (its completion
         * written) in order, the tag advanced from one to the next and idle after the last. The engine advances at
         * most this often: it holds a run's completions back and advances only after writing them early (before a
         * descriptor that may block), so this is the tag's busiest use.
         */
        void doWorkRun(RingAccess ring, AtomicIntegerArray completed) {
            final long first;
            try {
                first = (long) claimRun.invoke(tag, ring, WQ, fetch, 2, 0L);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (first < 0) {
                tag.idle();
                return;
            }
            final int n = tag.claimed();
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    tag.advance(WQ, first + i);
                }
                tag.running(7);
                completed.set((int) (first + i), 1);
            }
            tag.completed();
        }

        boolean executingBefore(long end) {
            return tag.executingBefore(WQ, end, -1);
        }
    }

    private static final Class<?> RING_TWIN = OffHeapTwin.define(DescriptorRing.class, RingAccess.class);

    /** The twin of the production DrainTag, calling the ring's twin. */
    static Class<?> productionTwin() {
        final java.util.Map<Class<?>, Class<?>[]> both = new java.util.LinkedHashMap<>();
        both.put(DescriptorRing.class, new Class<?>[] {RingAccess.class});
        both.put(DrainTag.class, new Class<?>[] {TagAccess.class});
        return OffHeapTwin.define(both).get(DrainTag.class);
    }

    public abstract static class DrainScenario {
        private final RingAccess ring;
        private final EngineSteps[] engines;
        private final AtomicIntegerArray completed = new AtomicIntegerArray(16);

        DrainScenario(Class<?> tagTwin) {
            try {
                ring = (RingAccess) RING_TWIN.getConstructor(int.class).newInstance(SIZE);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            engines = new EngineSteps[] {new EngineSteps(tagTwin), new EngineSteps(tagTwin)};
            ring.open();
            LincheckRuns.INSTANCES.incrementAndGet();
        }

        @Operation
        public void submit() {
            ring.offer(Rings.descriptor(1), 0, SIZE, -1);
        }

        @Operation
        public void engine(int k) {
            engines[k].doWork(ring, completed);
        }

        @Operation
        public void engineRun(int k) {
            engines[k].doWorkRun(ring, completed);
        }

        /**
         * Device.awaitCompleted(wq, tail) without driving engines: 1 if every position below the end had completed
         * when it returned, 0 if it returned early (1 too if it would still wait: only the check matters).
         */
        @Operation
        public int drain() {
            final long end = ring.tailPosition();
            if (ring.headPosition() < end || engines[0].executingBefore(end) || engines[1].executingBefore(end)) {
                return 1; // Device would wait here (and drive or park): never an early return
            }
            for (int p = 0; p < end; p++) {
                if (completed.get(p) == 0) {
                    return 0;
                }
            }
            return 1;
        }
    }

    public static final class EngineTagBeforeClaim extends DrainScenario {
        public EngineTagBeforeClaim() {
            super(productionTwin());
        }
    }

    public static final class EngineTagAfterClaim extends DrainScenario {
        public EngineTagAfterClaim() {
            super(OffHeapTwin.plantedWith(DrainTag.class, "TAG_BEFORE_CLAIM", DescriptorRing.class, TagAccess.class));
        }
    }

    /** The planted variant for runs: {@code ADVANCE_WITHOUT_IDLE} off, the tag idle between a run's descriptors. */
    public static final class EngineRunTagThroughIdle extends DrainScenario {
        public EngineRunTagThroughIdle() {
            super(OffHeapTwin.plantedWith(DrainTag.class, "ADVANCE_WITHOUT_IDLE", DescriptorRing.class,
                TagAccess.class));
        }
    }

    /** A drain never returns early: its answer is "wait" or "all complete", never 0. */
    public static final class Spec {
        public void submit() {
        }

        public void engine(int k) {
        }

        public void engineRun(int k) {
        }

        public int drain() {
            return 1;
        }
    }

    private static ModelCheckingOptions options(int invocations) {
        final KFunction<?> submit = Scenarios.operation(DrainScenario.class, "submit");
        final KFunction<?> engine = Scenarios.operation(DrainScenario.class, "engine", int.class);
        final KFunction<?> drain = Scenarios.operation(DrainScenario.class, "drain");
        return new ModelCheckingOptions().iterations(0).invocationsPerIteration(invocations)
            .addCustomScenario(Scenarios.scenario(List.of(Scenarios.call(submit)),
                List.of(List.of(Scenarios.call(engine, 0)), List.of(Scenarios.call(drain)))))
            .addCustomScenario(Scenarios.scenario(List.of(Scenarios.call(submit), Scenarios.call(submit)),
                List.of(List.of(Scenarios.call(engine, 0)), List.of(Scenarios.call(engine, 1)),
                    List.of(Scenarios.call(drain), Scenarios.call(drain)))))
            .sequentialSpecification(Spec.class);
    }

    /**
     * Two descriptors queued, one engine takes both as a run while a drain checks: head passes both at the claim, so
     * between the run's descriptors only the tag (moved straight from the first to the second) keeps the drain
     * waiting; the second drain runs after another submit, so it may also see the run idle before that one's claim.
     */
    private static ModelCheckingOptions runOptions(int invocations) {
        final KFunction<?> submit = Scenarios.operation(DrainScenario.class, "submit");
        final KFunction<?> engineRun = Scenarios.operation(DrainScenario.class, "engineRun", int.class);
        final KFunction<?> engine = Scenarios.operation(DrainScenario.class, "engine", int.class);
        final KFunction<?> drain = Scenarios.operation(DrainScenario.class, "drain");
        return new ModelCheckingOptions().iterations(0).invocationsPerIteration(invocations)
            .addCustomScenario(Scenarios.scenario(List.of(Scenarios.call(submit), Scenarios.call(submit)),
                List.of(List.of(Scenarios.call(engineRun, 0)), List.of(Scenarios.call(drain), Scenarios.call(drain)))))
            .addCustomScenario(Scenarios.scenario(List.of(Scenarios.call(submit), Scenarios.call(submit)),
                List.of(List.of(Scenarios.call(engineRun, 0)), List.of(Scenarios.call(engine, 1)),
                    List.of(Scenarios.call(submit), Scenarios.call(drain)))))
            .sequentialSpecification(Spec.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aDrainNeverReturnsBetweenTheDescriptorsOfARun() {
        runOptions(LincheckRuns.INVOCATIONS * 5).check(EngineTagBeforeClaim.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void modelCheckingCatchesARunWhoseTagGoesIdleBetweenItsDescriptors() {
        final AssertionError failure = assertThrows(AssertionError.class,
            () -> runOptions(5_000).check(EngineRunTagThroughIdle.class));
        LincheckReport.print("drain tag idle inside a run", failure);
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
        assertTrue(failure.getMessage().contains("drain(): 0"), failure.getMessage());
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aDrainThatSeesHeadPastItsEndAndNoTagKnowsAllCompleted() {
        options(LincheckRuns.INVOCATIONS * 5).check(EngineTagBeforeClaim.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void modelCheckingCatchesATagStoredAfterTheClaim() {
        final AssertionError failure = assertThrows(AssertionError.class,
            () -> options(5_000).check(EngineTagAfterClaim.class));
        LincheckReport.print("drain tag stored after the claim", failure);
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
        assertTrue(failure.getMessage().contains("drain(): 0"), failure.getMessage());
    }
}
