package io.softdsa.bench;

import io.softdsa.bench.support.BatchList;
import io.softdsa.bench.support.DataOp;
import io.softdsa.bench.support.NoopStream;
import io.softdsa.bench.support.OpBuffers;
import io.softdsa.bench.support.Pipeline;
import io.softdsa.bench.support.RingRelay;
import io.softdsa.bench.support.Slot;
import io.softdsa.bench.support.Testbed;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Threading;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loops QuickRun and JMH time allocate nothing on the submitting thread (the test's thread). A few warm-up
 * rounds first, then a generous bound of well under one byte per operation, so a stray JIT event cannot fail it
 * but a per-operation allocation (boxing, a slice, a lambda) would.
 */
class MeasuredLoopsAllocateNothingTest {
    private static final int OPS = 20_000;
    private static final int ROUNDS = 5;

    private static HostMemory memory;

    @BeforeAll
    static void allocate() {
        memory = HostMemory.allocate(16L << 20);
    }

    @AfterAll
    static void free() {
        memory.close();
    }

    @Test
    void pipelineRoundTripAndBaseline() {
        try (OpBuffers buffers = OpBuffers.allocate(memory, 4096);
             Testbed testbed = Testbed.open(memory, WqMode.SHARED, 1)) {
            final Pipeline pipeline = new Pipeline(testbed, Pipeline.DEFAULT_WINDOW,
                d -> DataOp.COPY_CRC.describe(d, buffers)).start();
            assertAllocationFree("Pipeline.run", () -> pipeline.run(OPS));
            pipeline.drain();
            final Slot slot = new Slot(testbed, d -> DataOp.MEMMOVE.describe(d, buffers));
            assertAllocationFree("Slot.execute", () -> {
                for (int i = 0; i < OPS / 10; i++) {
                    slot.execute();
                }
            });
            assertAllocationFree("DataOp.baseline", () -> DataOp.CRC.baseline(buffers, OPS));
        }
    }

    @Test
    void portalsAndRings() {
        for (WqMode mode : WqMode.values()) {
            try (Testbed testbed = Testbed.open(memory, mode, 1)) {
                final NoopStream stream = new NoopStream(testbed);
                assertAllocationFree("NoopStream.submit " + mode, () -> stream.submit(OPS));
                stream.drain();
                final Slot noop = new Slot(testbed, d -> d.opcode(Opcode.NOOP));
                assertAllocationFree("noop Slot.execute " + mode, noop::execute);
            }
        }
        for (RingRelay.Kind kind : RingRelay.Kind.values()) {
            try (RingRelay relay = RingRelay.start(kind)) {
                assertAllocationFree("RingRelay.send " + kind, () -> relay.send(OPS));
            }
        }
    }

    /** The engine itself, run on this thread (INVOKER): a batch of 32 reads its list ahead and runs every descriptor. */
    @Test
    void anEngineRunningBatches() {
        try (OpBuffers buffers = OpBuffers.allocate(memory, 4096);
             Testbed testbed = Testbed.open(memory, WqMode.SHARED, 1, Threading.INVOKER)) {
            final Slot batch = new Slot(testbed, BatchList.write(testbed, DataOp.MEMMOVE, buffers, 32).describer());
            assertAllocationFree("engine, Batch of 32", () -> {
                for (int i = 0; i < OPS / 32; i++) {
                    batch.arm();
                    batch.submit();
                    while (testbed.device().invokeEngines() > 0) {
                        Thread.onSpinWait();
                    }
                    batch.check(batch.await());
                }
            });
        }
    }

    private static void assertAllocationFree(String what, Runnable loop) {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocated = 0;
        for (int round = 0; round < ROUNDS; round++) {
            final long before = threads.getCurrentThreadAllocatedBytes();
            loop.run();
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
        }
        final long last = allocated;
        assertTrue(last < OPS / 4, () -> what + " allocated " + last + " bytes in its last round of " + OPS + " ops");
    }
}
