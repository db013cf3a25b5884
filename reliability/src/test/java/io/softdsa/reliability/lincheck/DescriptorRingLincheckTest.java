package io.softdsa.reliability.lincheck;

import io.softdsa.engine.DescriptorRing;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import kotlin.reflect.KFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared-WQ portal ring ({@code DescriptorRing}, the storage behind ENQCMD) against its sequential meaning: a
 * bounded FIFO of descriptors that answers retry only when it holds {@code limit} of them (the WQ size on the
 * unlimited portal, the threshold on the limited one) and nothing while disabled. Producers (ENQCMD) and engines
 * (dispatch) run concurrently; Lincheck checks every result against some sequential order, so a torn descriptor, a
 * slot lost or dispatched twice, or a spurious retry is a failure.
 */
class DescriptorRingLincheckTest {
    static final int SIZE = 2;
    static final int THRESHOLD = 1;

    /** What Lincheck drives: ENQCMD on both portals, an engine's dispatch, WQ disable (close) and enable (open). */
    @Param(name = "id", gen = IntGen.class, conf = "1:3")
    public abstract static class RingScenario {
        private final RingAccess ring;
        private final int size;
        private final int threshold;

        RingScenario(RingAccess ring, int size, int threshold) {
            this.ring = ring;
            this.size = size;
            this.threshold = threshold;
            ring.open(); // a ring starts closed, like a disabled WQ
            LincheckRuns.INSTANCES.incrementAndGet();
        }

        @Operation
        public int enqcmd(@Param(name = "id") int id) {
            return ring.offer(Rings.descriptor(id), 0, size, -1);
        }

        @Operation
        public int enqcmdLimited(@Param(name = "id") int id) {
            return ring.offer(Rings.descriptor(id), 0, threshold, -1);
        }

        @Operation
        public int dispatch() {
            return Rings.dispatch(ring);
        }

        /** Not an {@code @Operation}: the random scenarios' Spec has no meaning for it (see RunSpec). */
        public int dispatchRun() {
            return Rings.dispatchRun(ring);
        }

        /** A run that keeps to one id, as an engine's keeps to one PASID (see RunSpec). */
        public int dispatchRunOfOneId() {
            return Rings.dispatchRun(ring, Rings.ID_BITS);
        }

        @Operation
        public long disable() {
            return ring.close();
        }

        @Operation
        public void enable() {
            ring.open();
        }
    }

    /** The engine's ring, twinned so the model checker sees each of its off-heap accesses. */
    public static final class EngineRingTwin extends RingScenario {
        public EngineRingTwin() {
            super(Rings.engineTwin(SIZE), SIZE, THRESHOLD);
        }
    }

    /** The engine's ring as shipped, for Lincheck's stress mode (real threads). */
    public static final class EngineRing extends RingScenario {
        public EngineRing() {
            super(Rings.engine(SIZE), SIZE, THRESHOLD);
        }
    }

    /** The deliberately broken ring that publishes a slot before copying its bytes. */
    public static final class PublishBeforeCopyTwin extends RingScenario {
        public PublishBeforeCopyTwin() {
            super(Rings.publishBeforeCopyTwin(SIZE), SIZE, THRESHOLD);
        }
    }

    /** The sequential meaning: a bounded FIFO, retry at the limit, closed while disabled. */
    public static final class Spec {
        private final ArrayDeque<Integer> queue = new ArrayDeque<>();
        private boolean closed;
        private long accepted;

        public int enqcmd(int id) {
            return offer(id, SIZE);
        }

        public int enqcmdLimited(int id) {
            return offer(id, THRESHOLD);
        }

        private int offer(int id, int limit) {
            if (closed) {
                return 2;
            }
            if (queue.size() >= limit) {
                return 1;
            }
            queue.add(id);
            accepted++;
            return 0;
        }

        public int dispatch() {
            final Integer id = queue.poll();
            return id == null ? Rings.EMPTY : id;
        }

        public long disable() {
            closed = true;
            return accepted;
        }

        public void enable() {
            closed = false;
        }
    }

    /*
     * Shape of the random scenarios: 3 threads x 2 operations, 1 before and 2 after. An earlier engine ring answered a
     * spurious retry when a slot's dispatch of one lap ago had not freed it yet although the WQ held fewer than `limit`
     * descriptors (see spuriousRetryWhileAnEngineStillCopiesAnOlderSlot); with SIZE 2 (four slots) that takes three
     * dispatches and five submissions at once, which this shape cannot hold, so these runs check everything else.
     */

    @AfterAll
    static void figures() {
        System.out.println("[lincheck] scenario instances run so far (one per invocation): "
            + LincheckRuns.INSTANCES.get() + " (" + LincheckRuns.ITERATIONS + " scenarios x "
            + LincheckRuns.INVOCATIONS + " invocations per check)");
    }

    @Test
    void modelCheckingFindsTheEngineRingLinearizable() {
        LincheckRuns.bounded(new ModelCheckingOptions()).threads(3).actorsPerThread(2).actorsBefore(1)
            .actorsAfter(2).sequentialSpecification(Spec.class).check(EngineRingTwin.class);
    }

    @Test
    void stressFindsTheEngineRingLinearizableOnRealThreads() {
        LincheckRuns.bounded(new StressOptions()).threads(3).actorsPerThread(2).actorsBefore(1).actorsAfter(2)
            .sequentialSpecification(Spec.class).check(EngineRing.class);
    }

    /** WQ size 1: two slots, so a slot comes back to producers after one other dispatch. */
    public static final class SizeOneEngineRingTwin extends RingScenario {
        public SizeOneEngineRingTwin() {
            super(Rings.engineTwin(1), 1, 1);
        }
    }

    /** The sequential meaning of a WQ of size 1. */
    public static final class SizeOneSpec {
        private final ArrayDeque<Integer> queue = new ArrayDeque<>();
        private boolean closed;
        private long accepted;

        public int enqcmd(int id) {
            return offer(id);
        }

        public int enqcmdLimited(int id) {
            return offer(id);
        }

        private int offer(int id) {
            if (closed) {
                return 2;
            }
            if (!queue.isEmpty()) {
                return 1;
            }
            queue.add(id);
            accepted++;
            return 0;
        }

        public int dispatch() {
            final Integer id = queue.poll();
            return id == null ? Rings.EMPTY : id;
        }

        public long disable() {
            closed = true;
            return accepted;
        }

        public void enable() {
            closed = false;
        }
    }

    /**
     * Regression for a bug this test found in the engine: {@code DescriptorRing.offer} answered FULL when the slot at
     * tail still carried the sequence of its previous lap — an engine had claimed that position (head CAS) and not
     * yet copied it out and freed it — although the WQ's occupancy was below the limit (engine 1 claims position 0 and
     * is descheduled; a producer submits position 1, engine 2 dispatches it; the next ENQCMD was refused on an empty
     * WQ, and on a dedicated WQ a MOVDIR64B was dropped as "WQ full"). The ring now copies first and takes and frees
     * a slot in one CAS of head, so this interleaving must pass.
     */
    @Test
    void spuriousRetryWhileAnEngineStillCopiesAnOlderSlot() {
        final KFunction<?> enqcmd = Scenarios.operation(RingScenario.class, "enqcmd", int.class);
        final KFunction<?> dispatch = Scenarios.operation(RingScenario.class, "dispatch");
        new ModelCheckingOptions().iterations(0).invocationsPerIteration(5_000)
            .addCustomScenario(Scenarios.scenario(
                List.of(Scenarios.call(enqcmd, 2)),
                List.of(List.of(Scenarios.call(dispatch)),
                    List.of(Scenarios.call(enqcmd, 2)),
                    List.of(Scenarios.call(dispatch), Scenarios.call(enqcmd, 3)))))
            .sequentialSpecification(SizeOneSpec.class).check(SizeOneEngineRingTwin.class);
    }

    /** WQ size 4 for the runs: three descriptors never fill it (see aRunTakesThePublishedPrefixAtHeadInOrder). */
    public static final class RunRingTwin extends RingScenario {
        public RunRingTwin() {
            super(Rings.engineTwin(RUN_SIZE), RUN_SIZE, RUN_SIZE);
        }
    }

    static final int RUN_SIZE = 4;

    /** A bounded FIFO of size 4, whose runs take what is queued at head, two at most. */
    public static final class RunSpec {
        private final ArrayDeque<Integer> queue = new ArrayDeque<>();

        public int enqcmd(int id) {
            if (queue.size() >= RUN_SIZE) {
                return 1;
            }
            queue.add(id);
            return 0;
        }

        public int dispatch() {
            final Integer id = queue.poll();
            return id == null ? Rings.EMPTY : id;
        }

        public int dispatchRun() {
            final Integer first = queue.poll();
            if (first == null) {
                return Rings.EMPTY;
            }
            final Integer second = queue.poll();
            return second == null ? first : 10 * first + second;
        }

        public int dispatchRunOfOneId() {
            final Integer first = queue.poll();
            if (first == null) {
                return Rings.EMPTY;
            }
            if (!first.equals(queue.peek())) {
                return first;
            }
            return 10 * first + queue.poll();
        }
    }

    /**
     * A run (an engine alone in its group takes up to four published descriptors with one CAS of head) against
     * producers and a single-descriptor consumer: a run takes the published prefix at head, copied before the CAS
     * that frees it, in order, each exactly once. It is linearized at the read that ended it (a sequence not yet
     * published, or the run's maximum): a producer publishing after that read only adds behind it, and any other
     * consumer's take makes the CAS fail. That holds only where nothing else orders an accepted descriptor before
     * the run: an ENQCMD refused as full would (its retry proves an earlier one accepted that may still be
     * unpublished, and a run rightly ends before an unpublished descriptor), so the WQ here is large enough that no
     * submission is refused.
     */
    @Test
    void aRunTakesThePublishedPrefixAtHeadInOrder() {
        final KFunction<?> enqcmd = Scenarios.operation(RingScenario.class, "enqcmd", int.class);
        final KFunction<?> dispatch = Scenarios.operation(RingScenario.class, "dispatch");
        final KFunction<?> dispatchRun = Scenarios.operation(RingScenario.class, "dispatchRun");
        new ModelCheckingOptions().iterations(0).invocationsPerIteration(5_000)
            .addCustomScenario(Scenarios.scenario(
                List.of(Scenarios.call(enqcmd, 1)),
                List.of(List.of(Scenarios.call(dispatchRun), Scenarios.call(dispatchRun)),
                    List.of(Scenarios.call(enqcmd, 2), Scenarios.call(enqcmd, 3)),
                    List.of(Scenarios.call(dispatch)))))
            .addCustomScenario(Scenarios.scenario(
                List.of(Scenarios.call(enqcmd, 1), Scenarios.call(enqcmd, 2)),
                List.of(List.of(Scenarios.call(dispatchRun)),
                    List.of(Scenarios.call(dispatch), Scenarios.call(enqcmd, 3)),
                    List.of(Scenarios.call(dispatchRun)))))
            .sequentialSpecification(RunSpec.class).check(RunRingTwin.class);
    }

    /** The planted variant whose runs ignore the key ({@code RUN_KEEPS_KEY} off). */
    public static final class RunIgnoresKeyTwin extends RingScenario {
        public RunIgnoresKeyTwin() {
            super(Rings.runIgnoresKeyTwin(RUN_SIZE), RUN_SIZE, RUN_SIZE);
        }
    }

    /**
     * A run keeps to descriptors that agree with its first in the bits the engine names (a shared WQ's PASID field;
     * here the test descriptor's id): it ends before another id's descriptor, which starts the next run, whatever the
     * producers and the other consumer do meanwhile.
     */
    @Test
    void aRunEndsBeforeADescriptorOfAnotherKey() {
        runsOfOneKey().check(RunRingTwin.class);
    }

    @Test
    void modelCheckingFindsTheRunThatIgnoresItsKey() {
        final AssertionError failure = assertThrows(AssertionError.class,
            () -> runsOfOneKey().check(RunIgnoresKeyTwin.class));
        LincheckReport.print("run that ignores its key", failure);
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
        assertTrue(failure.getMessage().contains("dispatchRunOfOneId(): 12"), failure.getMessage());
    }

    private static ModelCheckingOptions runsOfOneKey() {
        final KFunction<?> enqcmd = Scenarios.operation(RingScenario.class, "enqcmd", int.class);
        final KFunction<?> dispatch = Scenarios.operation(RingScenario.class, "dispatch");
        final KFunction<?> runOfOneId = Scenarios.operation(RingScenario.class, "dispatchRunOfOneId");
        return new ModelCheckingOptions().iterations(0).invocationsPerIteration(5_000)
            .addCustomScenario(Scenarios.scenario(
                List.of(Scenarios.call(enqcmd, 1), Scenarios.call(enqcmd, 2)),
                List.of(List.of(Scenarios.call(runOfOneId), Scenarios.call(runOfOneId)),
                    List.of(Scenarios.call(enqcmd, 2)),
                    List.of(Scenarios.call(dispatch)))))
            .addCustomScenario(Scenarios.scenario(
                List.of(Scenarios.call(enqcmd, 3), Scenarios.call(enqcmd, 3)),
                List.of(List.of(Scenarios.call(runOfOneId)),
                    List.of(Scenarios.call(enqcmd, 1), Scenarios.call(enqcmd, 1)),
                    List.of(Scenarios.call(runOfOneId)))))
            .sequentialSpecification(RunSpec.class);
    }

    /** WQ size 1 in the planted variant whose engines copy a slot after the CAS of head that takes it. */
    public static final class SizeOneCopyAfterTakeTwin extends RingScenario {
        public SizeOneCopyAfterTakeTwin() {
            super(Rings.copyAfterTakeTwin(1), 1, 1);
        }
    }

    /**
     * A producer admits by head alone (it does not read the sequence of the slot it is about to write), which is
     * right only because head passes a position after its slot was copied. In the planted variant engine 1 takes
     * position 0 and is descheduled before copying it; a producer submits position 1, engine 2 dispatches it, and a
     * producer submits position 2 into engine 1's slot (two slots at WQ size 1), so engine 1 returns descriptor 3
     * (or a torn one) and descriptor 1 is lost. In the shipped ring head passes position 0 only after the copy.
     */
    private static ModelCheckingOptions aProducerOverwritesAnUncopiedSlot() {
        final KFunction<?> enqcmd = Scenarios.operation(RingScenario.class, "enqcmd", int.class);
        final KFunction<?> dispatch = Scenarios.operation(RingScenario.class, "dispatch");
        return new ModelCheckingOptions().iterations(0).invocationsPerIteration(5_000)
            .addCustomScenario(Scenarios.scenario(
                List.of(Scenarios.call(enqcmd, 1)),
                List.of(List.of(Scenarios.call(dispatch)),
                    List.of(Scenarios.call(enqcmd, 2), Scenarios.call(enqcmd, 3)),
                    List.of(Scenarios.call(dispatch)))))
            .sequentialSpecification(SizeOneSpec.class);
    }

    @Test
    void noProducerOverwritesASlotAnEngineHasNotCopiedYet() {
        aProducerOverwritesAnUncopiedSlot().check(SizeOneEngineRingTwin.class);
    }

    @Test
    void modelCheckingFindsTheRingThatCopiesAfterTaking() {
        final AssertionError failure = assertThrows(AssertionError.class,
            () -> aProducerOverwritesAnUncopiedSlot().check(SizeOneCopyAfterTakeTwin.class));
        LincheckReport.print("copy-after-take ring", failure);
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
    }

    @Test
    void modelCheckingFindsTheRingThatPublishesBeforeCopying() {
        final AssertionError failure = assertThrows(AssertionError.class, () ->
            new ModelCheckingOptions().iterations(10).invocationsPerIteration(1_000).threads(2).actorsPerThread(2)
                .actorsBefore(0).actorsAfter(1).sequentialSpecification(Spec.class)
                .check(PublishBeforeCopyTwin.class));
        LincheckReport.print("publish-before-copy ring", failure);
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
        assertTrue(failure.getMessage().contains("dispatch(): -1"), failure.getMessage()); // a torn descriptor
    }
}
