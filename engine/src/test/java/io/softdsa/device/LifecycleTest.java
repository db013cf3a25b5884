package io.softdsa.device;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;
import io.softdsa.testing.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Enable, disable, drain and abort as the hardware commands do, with no accepted descriptor left unaccounted. */
class LifecycleTest {

    @Test
    void abortDiscardsQueuedDescriptorsAndReportsEachOne() {
        try (Fixture f = Fixture.sharedWq()) {
            final List<CompletionRecord> records = new ArrayList<>();
            final List<byte[]> submitted = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                final CompletionRecord cr = f.client.completionRecord();
                records.add(cr);
                final Descriptor d = f.client.descriptor().opcode(Opcode.NOOP).completionAddress(cr.address())
                    .flags(0x0C).pasid(i);
                submitted.add(Fixture.bytes(d.segment()));
                assertTrue(f.client.trySubmit(d));
            }
            assertEquals(1, f.device.invokeEngines(), "the first one runs before the abort");
            final AbortReport report = f.device.wq(0).abort();
            assertEquals(9, report.count());
            for (int i = 0; i < 9; i++) {
                assertArrayEquals(submitted.get(i + 1), report.descriptors().get(i), "reported in order");
            }
            assertEquals(0x01, records.getFirst().status());
            for (int i = 1; i < 10; i++) {
                assertEquals(0, records.get(i).rawStatus(), "aborted descriptors get no record");
            }
            final List<SwerrEntry> errors = f.device.swerr().history();
            assertEquals(9, errors.size());
            errors.forEach(e -> assertEquals(0xFF, e.errorCode()));
            // the WQ stays enabled
            assertTrue(f.device.wq(0).isEnabled());
            final CompletionRecord after = f.client.completionRecord();
            assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.NOOP), after));
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void disableDrainsEverythingAcceptedThenRefuses() {
        final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0, 1))
            .wq(WqConfig.builder(0).shared().size(64).group(0).build()).build();
        try (HostMemory memory = HostMemory.allocate(64L << 20);
             Device dsa = Device.create(memory, cfg)) {
            dsa.enableAll();
            final io.softdsa.client.DsaClient client = io.softdsa.client.DsaClient.open(dsa, 0);
            final HostBuffer src = client.allocate(1 << 20);
            final HostBuffer dst = client.allocate(1 << 20);
            Fixture.fillRandom(src.segment(), 1);
            final List<CompletionRecord> records = new ArrayList<>();
            final Descriptor d = client.descriptor();
            int submitted = 0;
            for (int i = 0; i < 64; i++) {
                final CompletionRecord cr = client.completionRecord();
                records.add(cr);
                d.clear().opcode(Opcode.MEMMOVE).flags(0x0C).completionAddress(cr.address())
                    .source(src.address() + i * 16384L).destination(dst.address() + i * 16384L).transferSize(16384);
                if (!client.trySubmit(d)) {
                    break;
                }
                submitted++;
            }
            assertTrue(submitted > 0);
            dsa.wq(0).disable();
            for (int i = 0; i < submitted; i++) {
                assertEquals(0x01, records.get(i).rawStatus(), "accepted descriptor " + i + " completed by disable");
            }
            assertEquals(submitted, dsa.completedDescriptors());
            assertEquals(-1, java.lang.foreign.MemorySegment.mismatch(src.segment(), 0, submitted * 16384L,
                dst.segment(), 0, submitted * 16384L));
            assertFalse(dsa.wq(0).isEnabled());
            assertFalse(client.trySubmit(d), "disabled shared WQ answers retry");
            dsa.wq(0).enable();
            final CompletionRecord again = client.completionRecord();
            assertEquals(0x01, client.execute(d, again, new org.agrona.concurrent.BackoffIdleStrategy()));
            client.close();
        }
    }

    @Test
    void deviceCanBeDisabledReconfiguredAndEnabledAgain() {
        try (Fixture f = Fixture.sharedWq()) {
            f.device.disable();
            assertEquals(DeviceState.DISABLED, f.device.state());
            assertThrows(IllegalStateException.class, () -> f.device.wq(0).enable(), "device not enabled");
            f.device.configure(DeviceConfig.singleWq(WqMode.DEDICATED, 8, 2));
            f.device.enableAll();
            assertTrue(f.device.wq(0).isDedicated());
            final CompletionRecord cr = f.client.completionRecord();
            final Descriptor d = f.client.descriptor().opcode(Opcode.NOOP).completionAddress(cr.address()).flags(0x0C);
            f.device.wq(0).portal().movdir64b(d);
            f.drive();
            assertEquals(0x01, cr.status());
        }
    }

    @Test
    void aWqIsReconfiguredWhileDisabledWithTheDeviceEnabled() {
        try (Fixture f = Fixture.sharedWq()) {
            final WorkQueue wq = f.device.wq(0);
            assertThrows(IllegalStateException.class, () -> f.device.configureWq(
                WqConfig.builder(0).dedicated().size(4).group(0).build()), "WQ enabled");
            wq.disable();
            f.device.configureWq(WqConfig.builder(0).dedicated().size(4).group(0).build());
            wq.enable();
            assertTrue(wq.isDedicated());
            final CompletionRecord cr = f.client.completionRecord();
            for (int i = 0; i < 5; i++) {
                wq.portal().movdir64b(f.client.descriptor().opcode(Opcode.NOOP).completionAddress(cr.address())
                    .flags(0x0C));
            }
            assertEquals(0x30, f.device.swerr().history().getFirst().errorCode(), "the new size 4 is enforced");
            f.drive();
            assertEquals(0x01, cr.status());
            // a second WQ configured on the fly is served by the group's engine
            f.device.configureWq(WqConfig.builder(3).shared().size(8).group(0).priority(15).build());
            f.device.wq(3).enable();
            final CompletionRecord cr3 = f.client.completionRecord();
            assertTrue(f.device.wq(3).portal().enqcmd(f.client.descriptor().opcode(Opcode.NOOP)
                .completionAddress(cr3.address()).flags(0x0C)));
            f.drive();
            assertEquals(0x01, cr3.status());
            // the device's total WQ size still bounds everything
            f.device.wq(3).disable();
            assertThrows(io.softdsa.device.config.ConfigException.class, () -> f.device.configureWq(
                WqConfig.builder(3).shared().size(125).group(0).build()));
        }
    }

    @Test
    void configurationIsReadOnlyWhileEnabled() {
        try (Fixture f = Fixture.sharedWq()) {
            assertThrows(IllegalStateException.class,
                () -> f.device.configure(DeviceConfig.singleWq(WqMode.SHARED, 8, 1)));
        }
    }

    @Test
    void abortPasidDiscardsOnlyThatPasidsQueuedDescriptors() {
        abortPasidDiscardsOnly(7, 8);
    }

    /** PASID bit 19 set: the abort filter packed it into a negative word once, and then filtered nothing. */
    @Test
    void abortPasidCoversTheUpperHalfOfThePasidSpace() {
        abortPasidDiscardsOnly(0x8_0007, 0xF_FFFF);
    }

    private static void abortPasidDiscardsOnly(int pasid, int other) {
        try (Fixture f = Fixture.sharedWq()) {
            final List<CompletionRecord> records = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                final CompletionRecord cr = f.client.completionRecord();
                records.add(cr);
                assertTrue(f.client.trySubmit(f.client.descriptor().opcode(Opcode.NOOP)
                    .pasid(i % 3 == 0 ? pasid : other).completionAddress(cr.address()).flags(0x0C)));
            }
            final AbortReport report = f.device.wq(0).abortPasid(pasid);
            assertEquals(4, report.count(), "descriptors 0, 3, 6, 9 carried PASID " + pasid);
            for (int i = 0; i < 12; i++) {
                assertEquals(i % 3 == 0 ? 0 : 0x01, records.get(i).rawStatus(), "descriptor " + i);
            }
            assertEquals(4, f.device.swerr().history().stream()
                .filter(e -> e.errorCode() == 0xFF && e.pasid() == pasid).count());
            // the filter is gone: the PASID runs again
            final CompletionRecord after = f.client.completionRecord();
            assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.NOOP).pasid(pasid), after));
        }
    }

    @Test
    void disableAbortingReportsWhatWasQueued() {
        try (Fixture f = Fixture.sharedWq()) {
            for (int i = 0; i < 5; i++) {
                f.client.trySubmit(f.client.descriptor().opcode(Opcode.NOOP));
            }
            final List<AbortReport> reports = f.device.disableAborting();
            assertEquals(1, reports.size());
            assertEquals(5, reports.getFirst().count());
            assertEquals(DeviceState.DISABLED, f.device.state());
        }
    }

    @Test
    void completionInterruptArrivesAfterTheRecordWithItsHandle() {
        try (Fixture f = Fixture.sharedWq()) {
            final CompletionRecord cr = f.client.completionRecord();
            final AtomicInteger seenHandle = new AtomicInteger(-1);
            final AtomicInteger statusAtInterrupt = new AtomicInteger(-1);
            f.device.interrupts().handler(3, handle -> {
                statusAtInterrupt.set(cr.status()); // before the handle: the test waits on the handle
                seenHandle.set(handle);
            });
            assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.NOOP).flags(0x10).interruptHandle(3), cr));
            // delivered on the host's interrupt-delivery thread, not the engine's: wait for it (bounded)
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (seenHandle.get() < 0 && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            assertEquals(3, seenHandle.get());
            assertEquals(0x01, statusAtInterrupt.get(), "record visible when the interrupt is delivered");
            assertEquals(1, f.device.interrupts().count(3));
            assertEquals(0, f.device.interrupts().count(2));
            // no RCI: no interrupt
            assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.NOOP).interruptHandle(3), cr));
            assertEquals(1, f.device.interrupts().count(3));
        }
    }

    @Test
    void wqCanBeFoundByDevNameOrName() {
        try (Fixture f = Fixture.sharedWq()) {
            assertTrue(f.device.wq("wq0.0").isPresent());
            assertTrue(f.device.wq("wq0.5").isPresent(), "every WQ of the device exists");
            assertFalse(f.device.wq("wq0.8").isPresent());
            assertFalse(f.device.wq(5).config().size() > 0, "unconfigured");
            assertThrows(IllegalArgumentException.class, () -> f.device.wq(8));
            assertThrows(IllegalStateException.class, () -> f.device.wq(5).enable(), "size 0 cannot be enabled");
        }
    }
}
