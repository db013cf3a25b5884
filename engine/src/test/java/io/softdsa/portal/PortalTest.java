package io.softdsa.portal;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.engine.DescriptorRing;
import io.softdsa.testing.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ENQCMD and MOVDIR64B semantics with engines held still, so every answer is deterministic. */
class PortalTest {

    private static Fixture wq(WqMode mode, int size, int threshold) {
        final WqConfig.Builder b = WqConfig.builder(0).mode(mode).size(size).group(0);
        if (mode == WqMode.SHARED) {
            b.threshold(threshold);
        }
        return Fixture.invoker(DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0)).wq(b.build()).build());
    }

    private static Descriptor noop(Fixture f, CompletionRecord cr) {
        return f.client.descriptor().opcode(Opcode.NOOP).completionAddress(cr.address()).flags(0x0C);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 16, 100})
    void sharedWqRetriesExactlyWhenFull(int size) {
        try (Fixture f = wq(WqMode.SHARED, size, size)) {
            final Portal p = f.device.wq(0).portal();
            final List<CompletionRecord> records = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                final CompletionRecord cr = f.client.completionRecord();
                records.add(cr);
                assertTrue(p.enqcmd(noop(f, cr)), "accepted while occupancy " + i + " < " + size);
            }
            final CompletionRecord extra = f.client.completionRecord();
            assertFalse(p.enqcmd(noop(f, extra)), "retry at occupancy == size");
            assertEquals(size, f.device.wq(0).occupancy());
            assertEquals(1, f.device.invokeEngines(), "one engine step dispatches one descriptor");
            assertTrue(p.enqcmd(noop(f, extra)), "room again after one dispatch");
            f.drive();
            for (CompletionRecord cr : records) {
                assertEquals(0x01, cr.status());
            }
            assertEquals(0x01, extra.status());
        }
    }

    @Test
    void limitedPortalHonoursThresholdUnlimitedDoesNot() {
        try (Fixture f = wq(WqMode.SHARED, 8, 3)) {
            final Portal limited = f.device.wq(0).limitedPortal();
            final Portal unlimited = f.device.wq(0).unlimitedPortal();
            final CompletionRecord cr = f.client.completionRecord();
            for (int i = 0; i < 3; i++) {
                assertTrue(limited.enqcmd(noop(f, cr)));
            }
            assertFalse(limited.enqcmd(noop(f, cr)), "limited portal: retry at occupancy >= threshold 3");
            for (int i = 3; i < 8; i++) {
                assertTrue(unlimited.enqcmd(noop(f, cr)), "unlimited portal ignores the threshold");
            }
            assertFalse(unlimited.enqcmd(noop(f, cr)), "but not the size");
            f.drive();
            assertEquals(8, f.device.completedDescriptors());
        }
    }

    @Test
    void disabledSharedWqAnswersRetry() {
        try (Fixture f = wq(WqMode.SHARED, 4, 4)) {
            f.device.wq(0).disable();
            final CompletionRecord cr = f.client.completionRecord();
            assertFalse(f.device.wq(0).portal().enqcmd(noop(f, cr)));
            f.drive();
            assertEquals(0, cr.rawStatus());
            assertFalse(f.device.swerr().valid(), "nothing dropped on a shared WQ");
        }
    }

    @Test
    void dedicatedWqOverflowIsDroppedIntoSwerrAndNothingElseIsLost() {
        try (Fixture f = wq(WqMode.DEDICATED, 4, 0)) {
            final Portal p = f.device.wq(0).portal();
            final List<CompletionRecord> records = new ArrayList<>();
            final List<Descriptor> descriptors = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                final CompletionRecord cr = f.client.completionRecord();
                records.add(cr);
                final Descriptor d = noop(f, cr).pasid(100 + i);
                descriptors.add(d);
                p.movdir64b(d);
            }
            f.drive();
            for (int i = 0; i < 4; i++) {
                assertEquals(0x01, records.get(i).status(), "descriptor " + i + " completed");
            }
            for (int i = 4; i < 6; i++) {
                assertEquals(0, records.get(i).rawStatus(), "dropped descriptor " + i + " never ran");
            }
            final List<SwerrEntry> errors = f.device.swerr().history();
            assertEquals(2, errors.size());
            for (int i = 0; i < 2; i++) {
                final SwerrEntry e = errors.get(i);
                assertEquals(0x30, e.errorCode(), "dropped: WQ full");
                assertEquals(0, e.wqIndex());
                assertEquals(0x00, e.opcode());
                assertEquals(104 + i, e.pasid());
                assertArrayEquals(Fixture.bytes(descriptors.get(4 + i).segment()), e.descriptor());
            }
            assertTrue(f.device.swerr().valid());
            assertTrue(f.device.swerr().overflow(), "second error while valid sets overflow");
            assertEquals(0x30, f.device.swerr().errorCode(), "the first error stays latched");
            // SWERR word 0: valid, overflow, desc valid, wq valid, code 0x30, PASID 104 at bits 59:40
            assertEquals(0x1L | 0x2 | 0x4 | 0x8 | (0x30L << 8) | (104L << 40), f.device.swerr().word(0));
            assertEquals(4, f.device.completedDescriptors());
        }
    }

    @Test
    void disabledDedicatedWqDropsWithCode31() {
        try (Fixture f = wq(WqMode.DEDICATED, 4, 0)) {
            f.device.wq(0).disable();
            final CompletionRecord cr = f.client.completionRecord();
            f.device.wq(0).portal().movdir64b(noop(f, cr));
            assertEquals(0x31, f.device.swerr().history().getFirst().errorCode());
        }
    }

    @Test
    void wrongInstructionForTheWqModeIsRefusedAtTheApi() {
        try (Fixture f = wq(WqMode.DEDICATED, 4, 0)) {
            final CompletionRecord cr = f.client.completionRecord();
            assertThrows(IllegalStateException.class, () -> f.device.wq(0).portal().enqcmd(noop(f, cr)));
        }
        try (Fixture f = wq(WqMode.SHARED, 4, 4)) {
            final CompletionRecord cr = f.client.completionRecord();
            assertThrows(IllegalStateException.class, () -> f.device.wq(0).portal().movdir64b(noop(f, cr)));
        }
    }

    @Test
    void ringAdmitsAtMostItsLimitAndRecyclesSlotsForManyLaps() {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            final DescriptorRing ring = new DescriptorRing(5);
            ring.open();
            final java.lang.foreign.MemorySegment in = arena.allocate(64);
            final java.lang.foreign.MemorySegment out = arena.allocate(64);
            long expectedNext = 0;
            long written = 0;
            for (int lap = 0; lap < 1000; lap++) {
                int accepted = 0;
                while (true) {
                    in.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, written);
                    if (ring.offer(in, 0, 5, -1) != DescriptorRing.ACCEPTED) {
                        break;
                    }
                    written++;
                    accepted++;
                }
                assertEquals(5 - (lap == 0 ? 0 : 2), accepted, "admits up to the limit");
                for (int k = 0; k < 3; k++) {
                    final long pos = ring.peek();
                    assertTrue(ring.claim(pos, out, 0));
                    assertEquals(expectedNext++, out.get(java.lang.foreign.ValueLayout.JAVA_LONG, 8), "FIFO");
                }
            }
        }
    }
}
