package io.softdsa.portal;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.AbortReport;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.engine.DescriptorRing;
import io.softdsa.testing.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 item 8: a submission whose source cannot be read (too short, closed arena, another thread's confined
 * arena) is refused at the Java API before anything is claimed, and the WQ goes on serving everyone else; a
 * misaligned source is fine. On the base commit the ring claimed the position first and then threw while copying, so
 * the position was never published and the WQ stopped for good.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BadSubmissionTest {

    private static Fixture wq(WqMode mode) {
        final WqConfig.Builder b = WqConfig.builder(0).mode(mode).size(4).group(0);
        if (mode == WqMode.SHARED) {
            b.threshold(4);
        }
        return Fixture.invoker(DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0)).wq(b.build()).build());
    }

    /** A no-op with CRAV | RCR (flags 0x0C) towards {@code cr}. */
    private static Descriptor noop(Fixture f, CompletionRecord cr) {
        return f.client.descriptor().opcode(Opcode.NOOP).completionAddress(cr.address()).flags(0x0C);
    }

    private static void submit(Portal p, MemorySegment src, long offset) {
        if (p.isDedicated()) {
            p.movdir64b(src, offset);
        } else {
            assertTrue(p.enqcmd(src, offset), "accepted");
        }
    }

    /** After a refused submission: nothing queued, nothing in SWERR, and the next good one runs; Abort returns. */
    private static void assertWqStillServes(Fixture f) {
        assertEquals(0, f.device.wq(0).occupancy(), "the refused submission took no slot");
        assertFalse(f.device.swerr().valid(), "a refused submission is not a drop");
        final CompletionRecord cr = f.client.completionRecord();
        final Descriptor good = noop(f, cr);
        cr.arm();
        submit(f.device.wq(0).portal(), good.segment(), good.offset());
        f.drive();
        assertEquals(0x01, cr.status(), "a good descriptor after the bad one completes");
        final AbortReport r = f.device.wq(0).abort(); // the base commit spins here forever
        assertEquals(0, r.count());
        assertEquals(1, f.device.completedDescriptors());
    }

    @ParameterizedTest
    @EnumSource(WqMode.class)
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void sourceShorterThan64BytesIsRefusedBeforeClaiming(WqMode mode) {
        try (Fixture f = wq(mode)) {
            final CompletionRecord cr = f.client.completionRecord();
            final Descriptor d = noop(f, cr);
            final MemorySegment shortSource = MemorySegment.ofArray(new byte[40]);
            MemorySegment.copy(d.segment(), d.offset(), shortSource, 0, 40);
            final Portal p = f.device.wq(0).portal();
            assertThrows(IllegalArgumentException.class, () -> submit(p, shortSource, 0));
            // 64 bytes exist, but not at this offset
            final MemorySegment hundred = MemorySegment.ofArray(new byte[100]);
            assertThrows(IllegalArgumentException.class, () -> submit(p, hundred, 37));
            assertThrows(IllegalArgumentException.class, () -> submit(p, hundred, -1));
            assertWqStillServes(f);
        }
    }

    @ParameterizedTest
    @EnumSource(WqMode.class)
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void sourceOfAClosedArenaIsRefusedBeforeClaiming(WqMode mode) {
        try (Fixture f = wq(mode)) {
            final CompletionRecord cr = f.client.completionRecord();
            final Descriptor d = noop(f, cr);
            final MemorySegment dead;
            try (Arena arena = Arena.ofShared()) {
                dead = arena.allocate(64, 64);
                MemorySegment.copy(d.segment(), d.offset(), dead, 0, 64);
            }
            final Portal p = f.device.wq(0).portal();
            assertThrows(IllegalStateException.class, () -> submit(p, dead, 0));
            assertEquals(0, cr.rawStatus(), "the refused descriptor never ran");
            assertWqStillServes(f);
        }
    }

    @Test
    void sourceConfinedToAnotherThreadIsRefusedBeforeClaiming() throws Exception {
        try (Fixture f = wq(WqMode.SHARED); Arena confined = Arena.ofConfined()) {
            final CompletionRecord cr = f.client.completionRecord();
            final Descriptor d = noop(f, cr);
            final MemorySegment mine = confined.allocate(64, 64);
            MemorySegment.copy(d.segment(), d.offset(), mine, 0, 64);
            final AtomicReference<Throwable> thrown = new AtomicReference<>();
            final Thread other = new Thread(() -> {
                try {
                    f.device.wq(0).portal().enqcmd(mine, 0);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            other.start();
            other.join();
            assertInstanceOf(IllegalStateException.class, thrown.get());
            assertWqStillServes(f);
        }
    }

    /** Misalignment is no reason to refuse: the portal reads the 64 bytes wherever they are. */
    @ParameterizedTest
    @EnumSource(WqMode.class)
    void misalignedSourceIsAcceptedAndRuns(WqMode mode) {
        try (Fixture f = wq(mode)) {
            final CompletionRecord cr = f.client.completionRecord();
            final Descriptor d = noop(f, cr);
            final MemorySegment odd = MemorySegment.ofArray(new byte[64 + 3]);
            MemorySegment.copy(d.segment(), d.offset(), odd, 3, 64);
            cr.arm();
            submit(f.device.wq(0).portal(), odd, 3);
            f.drive();
            assertEquals(0x01, cr.status());
            assertEquals(0, f.device.wq(0).occupancy());
        }
    }

    /** ENQCMD's PASID substitution writes bytes 0-3 of the slot and nothing else (little-endian). */
    @Test
    void pasidSubstitutionReplacesBytesZeroToThreeOnly() {
        try (Arena arena = Arena.ofConfined()) {
            final DescriptorRing ring = new DescriptorRing(2);
            ring.open();
            final MemorySegment src = arena.allocate(64, 64);
            for (int i = 0; i < 64; i++) {
                src.set(ValueLayout.JAVA_BYTE, i, (byte) (0xA0 + i));
            }
            assertEquals(DescriptorRing.ACCEPTED, ring.offer(src, 0, 2, 0x0001_2345L));
            final MemorySegment out = arena.allocate(64, 64);
            assertTrue(ring.claim(ring.peek(), out, 0));
            final byte[] expected = new byte[64];
            for (int i = 0; i < 64; i++) {
                expected[i] = (byte) (0xA0 + i);
            }
            expected[0] = 0x45;
            expected[1] = 0x23;
            expected[2] = 0x01;
            expected[3] = 0x00;
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, out.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /**
     * A submitter racing a device's close: the portal it still holds answers as a closed WQ does (ENQCMD: retry;
     * MOVDIR64B: dropped into SWERR), not with an exception from memory freed under it. Before the ring owned its
     * memory, closing the device closed the arena the ring lived in, and this submission threw.
     */
    @ParameterizedTest
    @EnumSource(WqMode.class)
    void aPortalOfAClosedDeviceAnswersAsAClosedWq(WqMode mode) {
        final Fixture f = wq(mode);
        final Portal p = f.device.wq(0).portal();
        final MemorySegment heapNoop = MemorySegment.ofArray(new byte[64]);
        heapNoop.set(ValueLayout.JAVA_BYTE, 31, (byte) Opcode.NOOP); // byte 31: the opcode (fact sheet section 1)
        f.close();
        if (mode == WqMode.SHARED) {
            assertFalse(p.enqcmd(heapNoop, 0), "a closed shared WQ answers retry");
        } else {
            p.movdir64b(heapNoop, 0);
            assertTrue(f.device.swerr().valid(), "a closed dedicated WQ drops the posted descriptor into SWERR");
        }
    }
}
