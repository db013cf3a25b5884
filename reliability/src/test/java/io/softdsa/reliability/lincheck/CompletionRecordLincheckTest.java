package io.softdsa.reliability.lincheck;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.CompletionWriter;
import io.softdsa.completion.OpResult;
import io.softdsa.reliability.lincheck.broken.StatusFirstCompletionWriter;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The completion record protocol: the engine writes every field, then the status byte (release); a client that polls
 * the status (acquire) and sees it non-zero sees every other field of that record. The sequential meaning: a poll
 * answers "pending" before the completion and the whole record after it, never a record with some fields missing.
 * Twins of the engine's {@code CompletionWriter} and of the client's {@code CompletionRecord}.
 */
class CompletionRecordLincheckTest {
    static final int PENDING = 0;
    static final int WHOLE = 1;
    static final int TORN = -1;

    private static final long ADDRESS = 64;
    /** Page fault on a write: status 0x03 with bit 7. */
    private static final int STATUS = 0x03;
    private static final int RAW_STATUS = 0x83;

    public abstract static class RecordScenario {
        private final MemorySegment memory = Arena.ofAuto().allocate(4096, 4096);
        private final OpResult result = new OpResult();
        private final MethodHandle writer;
        private final RecordAccess record;

        RecordScenario(Class<?> writerClass) {
            result.result = 1;
            result.faultInfo = 0x5;
            result.bytesCompleted = 0x1234;
            result.faultAddress = 0xABCD_E000L;
            result.faultWrite = true;
            result.field16 = 0x1111_2222_3333_4444L;
            result.field24 = 0x5555_6666_7777_8888L;
            try {
                writer = MethodHandles.publicLookup().findStatic(OffHeapTwin.define(writerClass), "write",
                    MethodType.methodType(void.class, MemorySegment.class, long.class, int.class, OpResult.class));
                record = (RecordAccess) OffHeapTwin.define(CompletionRecord.class, RecordAccess.class)
                    .getConstructor(MemorySegment.class, long.class).newInstance(memory, ADDRESS);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            LincheckRuns.INSTANCES.incrementAndGet();
        }

        /** The engine completes the descriptor (one engine writes a record: a non-parallel group). */
        @Operation(nonParallelGroup = "engine")
        public boolean complete() throws Throwable {
            writer.invokeExact(memory, ADDRESS, STATUS, result); // host-physical: the address is the host's
            return true;
        }

        /** The client polls: pending, or the whole record. */
        @Operation
        public int poll() {
            if (record.rawStatus() == 0) {
                return PENDING;
            }
            final boolean whole = record.rawStatus() == RAW_STATUS && record.result() == 1
                && record.faultInfo() == 0x5 && record.bytesCompleted() == 0x1234
                && record.faultAddress() == 0xABCD_E000L && record.u64(16) == 0x1111_2222_3333_4444L
                && record.u64(24) == 0x5555_6666_7777_8888L;
            return whole ? WHOLE : TORN;
        }
    }

    public static final class EngineWriterTwin extends RecordScenario {
        public EngineWriterTwin() {
            super(CompletionWriter.class);
        }
    }

    public static final class StatusFirstWriterTwin extends RecordScenario {
        public StatusFirstWriterTwin() {
            super(StatusFirstCompletionWriter.class);
        }
    }

    public static final class Spec {
        private boolean done;

        public boolean complete() {
            done = true;
            return true;
        }

        public int poll() {
            return done ? WHOLE : PENDING;
        }
    }

    @AfterAll
    static void figures() {
        System.out.println("[lincheck] scenario instances run so far (one per invocation): "
            + LincheckRuns.INSTANCES.get() + " (" + LincheckRuns.ITERATIONS + " scenarios x "
            + LincheckRuns.INVOCATIONS + " invocations per check)");
    }

    @Test
    void modelCheckingFindsEveryPolledRecordWhole() {
        LincheckRuns.bounded(new ModelCheckingOptions()).threads(3).actorsPerThread(2).actorsBefore(0)
            .actorsAfter(1).sequentialSpecification(Spec.class).check(EngineWriterTwin.class);
    }

    @Test
    void modelCheckingFindsTheWriterThatPublishesTheStatusFirst() {
        final AssertionError failure = assertThrows(AssertionError.class, () ->
            new ModelCheckingOptions().iterations(10).invocationsPerIteration(1_000).threads(2).actorsPerThread(2)
                .actorsBefore(0).actorsAfter(0).sequentialSpecification(Spec.class)
                .check(StatusFirstWriterTwin.class));
        LincheckReport.print("status-first completion writer", failure);
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
        assertTrue(failure.getMessage().contains("poll(): -1"), failure.getMessage());
    }
}
