package io.softdsa.engine;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;
import io.softdsa.portal.Portal;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several producers ENQCMD into one shared WQ served by two engine threads. */
class ConcurrentSubmissionTest {
    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 4000;
    private static final int SIZE = 192;

    /**
     * Two engines in the group take one descriptor per claim; one engine alone takes runs of up to
     * {@link DescriptorExecutor#CLAIM_RUN} with one CAS of head: either way, exactly once, bytes intact.
     */
    @ParameterizedTest(name = "{0} engine(s)")
    @ValueSource(ints = {1, 2})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyAcceptedDescriptorCompletesExactlyOnceWithTheRightBytes(int engines) throws Exception {
        final DeviceConfig cfg = DeviceConfig.builder("dsa0")
            .group(engines == 1 ? GroupConfig.of(0, 0) : GroupConfig.of(0, 0, 1))
            .wq(WqConfig.builder(0).shared().size(16).group(0).build()).build();
        try (HostMemory memory = HostMemory.allocate(64L << 20);
             Device dsa = Device.create(memory, cfg, DeviceOptions.defaults())) {
            dsa.enableAll();
            final Portal portal = dsa.wq(0).portal();
            final int total = PRODUCERS * PER_PRODUCER;
            final HostBuffer src = memory.allocateBuffer((long) total * SIZE);
            final HostBuffer dst = memory.allocateBuffer((long) total * SIZE);
            final HostBuffer records = memory.allocateBuffer((long) total * 32);
            for (long i = 0; i < (long) total * SIZE; i++) {
                src.segment().set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + (i >>> 8)));
            }
            final AtomicLong retries = new AtomicLong();
            final AtomicInteger accepted = new AtomicInteger();
            final CyclicBarrier start = new CyclicBarrier(PRODUCERS);
            final List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                final int producer = p;
                threads.add(Thread.ofPlatform().start(() -> {
                    try (Arena arena = Arena.ofConfined()) {
                        final Descriptor d = Descriptor.allocate(arena);
                        start.await();
                        for (int i = 0; i < PER_PRODUCER; i++) {
                            final long n = (long) producer * PER_PRODUCER + i;
                            d.clear().opcode(Opcode.MEMMOVE).flags(0x0C)
                                .completionAddress(records.address() + 32 * n)
                                .source(src.address() + n * SIZE).destination(dst.address() + n * SIZE)
                                .transferSize(SIZE);
                            while (!portal.enqcmd(d)) {
                                retries.incrementAndGet();
                                Thread.onSpinWait();
                            }
                            accepted.incrementAndGet();
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(total, accepted.get());
            final BackoffIdleStrategy idle = new BackoffIdleStrategy();
            for (int n = 0; n < total; n++) {
                final CompletionRecord cr = new CompletionRecord(memory.segment(), records.address() + 32L * n);
                assertEquals(0x01, cr.await(idle, TimeUnit.SECONDS.toNanos(30)), "descriptor " + n);
            }
            dsa.wq(0).drain();
            assertEquals(total, dsa.completedDescriptors(), "every completion counted once: no duplicates");
            assertEquals(-1, MemorySegment.mismatch(src.segment(), 0, (long) total * SIZE,
                dst.segment(), 0, (long) total * SIZE), "every byte moved");
            assertEquals(0, dsa.internalErrors());
            assertTrue(retries.get() >= 0);
        }
    }

    /**
     * Producers race against engines that are held still: the WQ must accept exactly its size, then answer retry to
     * everyone, round after round — a retry is always a full queue and a full queue always retries.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void racingProducersGetRetryOnlyWhenTheQueueIsFull() throws Exception {
        final int wqSize = 24;
        final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0, 1))
            .wq(WqConfig.builder(0).shared().size(wqSize).group(0).build()).build();
        try (HostMemory memory = HostMemory.allocate(16L << 20);
             Device dsa = Device.create(memory, cfg, DeviceOptions.defaults().threading(Threading.INVOKER))) {
            dsa.enableAll();
            final Portal portal = dsa.wq(0).portal();
            for (int round = 0; round < 200; round++) {
                final AtomicInteger accepted = new AtomicInteger();
                final CyclicBarrier start = new CyclicBarrier(PRODUCERS);
                final List<Thread> threads = new ArrayList<>();
                for (int p = 0; p < PRODUCERS; p++) {
                    threads.add(Thread.ofPlatform().start(() -> {
                        try (Arena arena = Arena.ofConfined()) {
                            final Descriptor d = Descriptor.allocate(arena).opcode(Opcode.NOOP);
                            start.await();
                            // each producer keeps submitting until it is told retry
                            while (portal.enqcmd(d)) {
                                accepted.incrementAndGet();
                            }
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }));
                }
                for (Thread t : threads) {
                    t.join();
                }
                assertEquals(wqSize, accepted.get(), "round " + round + ": accepted exactly the WQ size");
                assertEquals(wqSize, dsa.wq(0).occupancy());
                while (dsa.invokeEngines() > 0) {
                    // dispatch everything
                }
                assertEquals(0, dsa.wq(0).occupancy());
            }
            assertEquals(200L * wqSize, dsa.completedDescriptors());
        }
    }
}
