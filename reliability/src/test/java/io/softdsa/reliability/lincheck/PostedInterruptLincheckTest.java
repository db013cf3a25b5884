package io.softdsa.reliability.lincheck;

import io.softdsa.completion.PostedInterruptDescriptor;
import io.softdsa.completion.PostedInterruptDescriptorLayout;
import kotlin.reflect.KFunction;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The posted-interrupt protocol (fact sheet section 12) of {@code PostedInterruptDescriptor}, twinned so the model
 * checker sees each of its off-heap accesses: senders OR a PIR bit then set ON if it was clear; the receiver clears
 * ON, then takes the PIR words. The property: once everyone is quiet, no PIR bit is left without an outstanding
 * notification (ON) — else that vector would never be delivered. The scenario starts with a notification outstanding
 * (a vector posted, the receiver woken), so a sender that posts meanwhile relies on that receiver.
 * <p>
 * The planted bug drives the same twinned flyweight through its own public steps in the wrong order (take the PIR
 * words, then clear ON): a vector posted between the two is lost.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PostedInterruptLincheckTest {
    public abstract static class PidScenario {
        final PostedInterruptAccess pid;

        PidScenario() {
            final MemorySegment m = Arena.ofAuto().allocate(PostedInterruptDescriptorLayout.LENGTH,
                PostedInterruptDescriptorLayout.LENGTH);
            try {
                pid = (PostedInterruptAccess) OffHeapTwin.define(PostedInterruptDescriptor.class,
                    PostedInterruptAccess.class).getConstructor(MemorySegment.class, long.class).newInstance(m, 0L);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            pid.post(1); // a notification is outstanding: the receiver is on its way
            LincheckRuns.INSTANCES.incrementAndGet();
        }

        /** An engine posts vector 0. */
        @Operation
        public void post() {
            pid.post(0);
        }

        /** The receiver's pass; returns the vectors it took as a bit mask. */
        @Operation(nonParallelGroup = "receiver")
        public abstract int receive();

        /** Quiescent check (run after the parallel part only): a PIR bit without ON would never be delivered. */
        @Operation(nonParallelGroup = "receiver")
        public boolean lost() {
            return pid.anyPending() && !pid.outstandingNotification();
        }
    }

    /** The shipped receiver step: {@code drain} (clear ON, then take). */
    public static final class ShippedReceiver extends PidScenario {
        @Override
        public int receive() {
            final int[] mask = {0};
            pid.drain(v -> mask[0] |= 1 << v);
            return mask[0];
        }
    }

    /** DELIBERATELY BROKEN: the same descriptor, the receiver's two steps swapped (take, then clear ON). */
    public static final class TakeBeforeClear extends PidScenario {
        @Override
        public int receive() {
            int mask = 0;
            for (int w = 0; w < PostedInterruptDescriptorLayout.PIR_WORDS; w++) {
                final long bits = pid.takeWord(w);
                if (w == 0) {
                    mask = (int) bits;
                }
            }
            pid.clearOutstanding(); // BUG: a post between the take and here saw ON set and did not notify
            return mask;
        }
    }

    /** The sequential meaning: PIR and ON as one state; every pass takes everything. */
    public static final class Spec {
        private int pir = 0b10;
        private boolean on = true;

        public void post() {
            pir |= 1;
            on = true;
        }

        public int receive() {
            on = false;
            final int taken = pir;
            pir = 0;
            return taken;
        }

        public boolean lost() {
            return pir != 0 && !on;
        }
    }

    private static ModelCheckingOptions senderAgainstReceiver() {
        final KFunction<?> post = Scenarios.operation(PidScenario.class, "post");
        final KFunction<?> receive = Scenarios.operation(PidScenario.class, "receive");
        final KFunction<?> lost = Scenarios.operation(PidScenario.class, "lost");
        return new ModelCheckingOptions().iterations(0).invocationsPerIteration(500)
            .addCustomScenario(Scenarios.scenario(List.of(),
                List.of(List.of(Scenarios.call(post)), List.of(Scenarios.call(receive))), List.of(Scenarios.call(lost))))
            .addCustomScenario(Scenarios.scenario(List.of(),
                List.of(List.of(Scenarios.call(post), Scenarios.call(post)),
                    List.of(Scenarios.call(receive), Scenarios.call(receive))), List.of(Scenarios.call(lost))))
            .sequentialSpecification(Spec.class);
    }

    @Test
    void modelCheckingLosesNoPostedVectorWithTheShippedReceiver() {
        senderAgainstReceiver().check(ShippedReceiver.class);
    }

    @Test
    void modelCheckingFindsTheReceiverThatTakesBeforeClearingOn() {
        final AssertionError failure = assertThrows(AssertionError.class,
            () -> senderAgainstReceiver().check(TakeBeforeClear.class));
        LincheckReport.print("posted-interrupt receiver that takes PIR before clearing ON", failure);
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
        assertTrue(failure.getMessage().contains("lost(): true"), failure.getMessage());
    }
}
