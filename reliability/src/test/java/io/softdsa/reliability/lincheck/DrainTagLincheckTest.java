package io.softdsa.reliability.lincheck;

import kotlin.reflect.KFunction;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine drain tag (issue 11 item 18c): Drain WQ / Disable / Abort return once the ring's head has passed the
 * drain's end position and no engine is {@code executingBefore} it. The engine publishes its (WQ, position) tag
 * before the claiming CAS and clears it (release) after the descriptor completed, so a drainer that sees head past
 * {@code p} (acquire) and no engine executing before {@code p} knows every position below {@code p} completed.
 * <p>
 * The ring is the twin of the production {@code DescriptorRing}. The engine side is {@code Engine.doWork}'s tag
 * protocol and the drainer {@code Device.awaitCompleted}'s check, mirrored step for step here: {@code Engine} cannot be
 * twinned on its own (it needs a device's executor and WQs), so its planted variant — the tag stored after the claim
 * instead of before — is a flag of this mirror, not of Engine's bytecode (see the report for the hook Engine would
 * need).
 */
class DrainTagLincheckTest {
    private static final long IDLE = -1;
    private static final int SIZE = 2;

    /** Engine.doWork's steps around the ring, for one WQ. */
    static final class EngineMirror {
        private final boolean tagBeforeClaim;
        private volatile long inFlight = IDLE;
        private final MemorySegment fetch = MemorySegment.ofArray(new long[8]);

        EngineMirror(boolean tagBeforeClaim) {
            this.tagBeforeClaim = tagBeforeClaim;
        }

        void doWork(RingAccess ring, AtomicIntegerArray completed) {
            long position;
            while ((position = ring.peek()) >= 0) {
                if (tagBeforeClaim) {
                    inFlight = position; // Engine: IN_FLIGHT.setOpaque(tag) before ring.claim
                }
                if (ring.claim(position, fetch, 0)) {
                    if (!tagBeforeClaim) {
                        inFlight = position; // the planted bug: a drainer may see head past it and no tag
                    }
                    completed.set((int) position, 1); // execute: the completion record
                    inFlight = IDLE; // Engine: IN_FLIGHT.setRelease(IDLE) after the completion
                    return;
                }
            }
            inFlight = IDLE;
        }

        /** Engine.executingBefore for the one WQ. */
        boolean executingBefore(long end) {
            final long t = inFlight;
            return t != IDLE && t < end;
        }
    }

    public abstract static class DrainScenario {
        private final RingAccess ring = Rings.engineTwin(SIZE);
        private final EngineMirror[] engines;
        private final AtomicIntegerArray completed = new AtomicIntegerArray(16);

        DrainScenario(boolean tagBeforeClaim) {
            engines = new EngineMirror[] {new EngineMirror(tagBeforeClaim), new EngineMirror(tagBeforeClaim)};
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
            super(true);
        }
    }

    public static final class EngineTagAfterClaim extends DrainScenario {
        public EngineTagAfterClaim() {
            super(false);
        }
    }

    /** A drain never returns early: its answer is "wait" or "all complete", never 0. */
    public static final class Spec {
        public void submit() {
        }

        public void engine(int k) {
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
