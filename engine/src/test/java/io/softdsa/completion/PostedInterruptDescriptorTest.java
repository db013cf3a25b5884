package io.softdsa.completion;

import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fact sheet section 12, posted interrupts: the PID's bits at their literal offsets, posting, notification, drain. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PostedInterruptDescriptorTest {
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Bit {@code bit} of the 512-bit descriptor at {@code address}, read byte-wise (the fact sheet's numbering). */
    private static boolean bit(MemorySegment m, long address, int bit) {
        return (m.get(ValueLayout.JAVA_BYTE, address + bit / 8) & (1 << (bit % 8))) != 0;
    }

    @Test
    void layoutOfTheFactSheet() {
        try (HostMemory memory = HostMemory.allocate(1L << 20)) {
            final long a = memory.frames().allocateFrame() + 64;
            final MemorySegment m = memory.segment();
            m.asSlice(a - 64, 192).fill((byte) 0x5A);
            final PostedInterruptDescriptor pid = new PostedInterruptDescriptor(m, a).init(0xF2, 0x1234_5678);
            // NV = bits 279:272 = byte 34; NDST = bits 319:288 = bytes 36..39; all else zero
            assertEquals((byte) 0xF2, m.get(ValueLayout.JAVA_BYTE, a + 34));
            assertEquals(0x1234_5678, m.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), a + 36));
            for (int b = 0; b < 512; b++) {
                if (!(b >= 272 && b <= 279) && !(b >= 288 && b <= 319)) {
                    assertFalse(bit(m, a, b), "bit " + b);
                }
            }
            assertTrue(pid.post(200), "first post: ON was 0, notify");
            assertTrue(bit(m, a, 200), "PIR[200] = bit 200");
            assertTrue(bit(m, a, 256), "ON = bit 256");
            assertFalse(pid.post(3), "ON already set: no second notification");
            assertTrue(bit(m, a, 3));
            assertEquals(0xF2, pid.notificationVector());
            assertEquals(0x1234_5678, pid.destination());
            assertEquals(1L << 3, m.get(LE64, a));
            assertEquals(1L << (200 - 192), m.get(LE64, a + 24));
            final List<Integer> got = new ArrayList<>();
            assertEquals(2, pid.drain(got::add));
            assertEquals(List.of(3, 200), got);
            assertFalse(bit(m, a, 256), "receiver cleared ON");
            for (int b = 0; b < 256; b++) {
                assertFalse(bit(m, a, b), "PIR taken and cleared: bit " + b);
            }
            assertEquals((byte) 0xF2, m.get(ValueLayout.JAVA_BYTE, a + 34), "NV kept");
            assertEquals((byte) 0x5A, m.get(ValueLayout.JAVA_BYTE, a + 64), "nothing written past the 64 bytes");
            assertEquals((byte) 0x5A, m.get(ValueLayout.JAVA_BYTE, a - 1), "nothing written before them");
            assertThrows(IllegalArgumentException.class, () -> new PostedInterruptDescriptor(m, a + 8));
        }
    }

    @Test
    void suppressedNotificationsAreSentWhenSnClears() {
        try (HostMemory memory = HostMemory.allocate(1L << 20)) {
            final long a = memory.frames().allocateFrame();
            final PostedInterruptDescriptor pid = new PostedInterruptDescriptor(memory.segment(), a).init(0xF2, 1);
            pid.suppress(true);
            assertTrue(bit(memory.segment(), a, 257), "SN = bit 257");
            assertFalse(pid.post(9), "SN: no notification");
            assertFalse(bit(memory.segment(), a, 256));
            assertTrue(pid.suppress(false), "pending bits: notify now");
            assertTrue(pid.outstandingNotification());
            assertFalse(pid.suppress(false), "ON outstanding: no second one");
            final List<Integer> got = new ArrayList<>();
            pid.drain(got::add);
            assertEquals(List.of(9), got);
        }
    }

    @Test
    void everyPostIsHandledAtLeastOnceAfterItWithManySenders() throws Exception {
        try (HostMemory memory = HostMemory.allocate(1L << 20)) {
            final long a = memory.frames().allocateFrame();
            final PostedInterruptDescriptor pid = new PostedInterruptDescriptor(memory.segment(), a).init(0xF2, 1);
            final int senders = 3;
            final int rounds = 20_000;
            final AtomicIntegerArray posted = new AtomicIntegerArray(senders);   // last round each sender posted
            final AtomicIntegerArray handled = new AtomicIntegerArray(senders);  // last round seen at a delivery
            final AtomicReference<String> lost = new AtomicReference<>();
            final ConcurrentHashMap<String, Boolean> threads = new ConcurrentHashMap<>();
            try (PostedInterruptReceiver receiver = new PostedInterruptReceiver("pid-test", pid, Thread::new, v -> {
                threads.put(Thread.currentThread().getName(), true);
                handled.set(v, posted.get(v)); // the round posted before this delivery is now handled
            })) {
                final Thread[] ts = new Thread[senders];
                for (int s = 0; s < senders; s++) {
                    final int vector = s;
                    ts[s] = new Thread(() -> {
                        for (int r = 1; r <= rounds; r++) {
                            posted.set(vector, r);
                            receiver.post(vector);
                            // wait until a delivery after this post saw it (bounded): a lost post never is
                            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                            while (handled.get(vector) < r) {
                                if (System.nanoTime() - deadline > 0) {
                                    lost.compareAndSet(null, "vector " + vector + " round " + r);
                                    return;
                                }
                                Thread.onSpinWait();
                            }
                        }
                    });
                    ts[s].start();
                }
                for (Thread t : ts) {
                    t.join();
                }
                assertEquals(null, lost.get(), "a posted vector was never delivered");
                assertEquals(java.util.Set.of("pid-test"), threads.keySet(), "only the receiver's thread delivers");
                assertTrue(receiver.notifications() <= (long) senders * rounds);
                assertEquals(0, receiver.failures());
            }
        }
    }
}
