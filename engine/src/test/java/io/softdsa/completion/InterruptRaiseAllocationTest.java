package io.softdsa.completion;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.testing.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's side of an interrupt (check, count, pending mark or posted bit, wake-up) allocates nothing: measured
 * on the thread that drives the engine (embedder-driven), over many descriptors with completion interrupts to a
 * handler and to a posted vector.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class InterruptRaiseAllocationTest {
    private static final int RUNS = 20_000;

    @Test
    void raisingAllocatesNothingOnTheEngineThread() throws Exception {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Fixture f = Fixture.sharedWq()) {
            final AtomicLong delivered = new AtomicLong();
            f.device.interrupts().handler(3, h -> delivered.incrementAndGet());
            final long pidAddress = f.memory.frames().allocateFrame();
            final PostedInterruptDescriptor pid = new PostedInterruptDescriptor(f.memory.segment(), pidAddress)
                .init(0xF2, 7);
            final AtomicLong posted = new AtomicLong();
            try (PostedInterruptReceiver receiver = new PostedInterruptReceiver("alloc-test", pid, Thread::new,
                v -> posted.incrementAndGet())) {
                f.device.interrupts().release(4);
                f.device.interrupts().allocatePosted(4, InterruptTable.HOST, receiver, 33);
                final CompletionRecord cr = f.client.completionRecord();
                final Descriptor d = f.client.descriptor().opcode(Opcode.NOOP).completionAddress(cr.address())
                    .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD
                        | DescriptorFlags.REQUEST_COMPLETION_INTERRUPT);
                final long me = Thread.currentThread().threadId();
                long bytes = 0;
                for (int round = 0; round < 3; round++) { // the first rounds warm up (JIT), the last is measured
                    final long before = threads.getThreadAllocatedBytes(me);
                    for (int i = 0; i < RUNS; i++) {
                        d.interruptHandle(3 + (i & 1));
                        cr.arm();
                        f.client.trySubmit(d);
                        while (f.device.invokeEngines() > 0) {
                            // drive
                        }
                    }
                    bytes = threads.getThreadAllocatedBytes(me) - before;
                }
                assertEquals(0x01, cr.status());
                assertTrue(bytes < RUNS / 10, bytes + " bytes allocated over " + RUNS + " raises");
                assertEquals(3L * RUNS / 2, f.device.interrupts().count(3));
                assertEquals(3L * RUNS / 2, f.device.interrupts().count(4));
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while ((delivered.get() == 0 || posted.get() == 0) && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                assertTrue(delivered.get() > 0 && posted.get() > 0, "both targets delivered");
            }
        }
    }
}
