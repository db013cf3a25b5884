package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Item 6: MSI-X vectors, interrupt handles, completion interrupts, per-guest SWERR and INTCAUSE. */
class InterruptsAndErrorsTest {
    private MdevFixture f;
    private GuestDomain g;
    private VirtualDsa dev;
    private Regs r;
    private final List<long[]> messages = new CopyOnWriteArrayList<>();
    private GuestDriver kernel; // only for memory helpers: the device is driven by raw register writes here
    private long src;
    private long rec;

    @BeforeEach
    void up() {
        f = new MdevFixture();
        g = f.guest("vm");
        dev = f.vdev(VdevType.DEDICATED_WQ, g);
        kernel = new GuestDriver(dev, g);
        f.track(kernel);
        dev.msiSink((v, address, data) -> messages.add(new long[] {v, address, data}));
        r = new Regs(dev).pci(false).dedicatedWq(0, 16).group(0, 1, 1, 0);
        for (int v = 0; v < 9; v++) {
            r.w(0x2000 + 16 * v, 8, 0xFEE0_0000L | (v << 12));
            r.w(0x2008 + 16 * v, 4, 0x40 + v);
            r.w(0x200C + 16 * v, 4, 0);                       // unmask
        }
        dev.configWrite(0x82, 2, 0x8000);                    // MSI-X enable
        assertEquals(0, r.err(0x1, 0));
        assertEquals(0, r.err(0x6, 0));
        src = kernel.allocateDma(8192);
        rec = kernel.allocateDma(4096);
    }

    @AfterEach
    void down() {
        f.close();
    }

    private int handle(int vector) {
        final int sts = r.cmd(0xD, vector);
        assertEquals(0, sts & 0xFF);
        return (sts >>> 8) & 0xFFFF;
    }

    /** A memmove with a completion interrupt on {@code handle}; returns its status. */
    private int run(int handle) {
        final CompletionRecord cr = kernel.completionRecord(rec).arm();
        final Descriptor d = MdevFixture.memmove(kernel.descriptor(), src, src + 4096, 256, rec)
            .addFlags(DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(handle);
        assertEquals(PortalResult.POSTED, dev.portalWrite(0, d.segment(), 0, PortalInstruction.MOVDIR64B, -1));
        return MdevFixture.await(cr);
    }

    private void awaitMessages(int n) {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (messages.size() < n) {
            assertTrue(System.nanoTime() < deadline, "interrupt not delivered");
            LockSupport.parkNanos(10_000);
        }
    }

    @Test
    void completionInterruptArrivesOnTheGuestsVectorWithItsMessage() {
        final int h = handle(3);
        assertEquals(0x01, run(h));
        awaitMessages(1);
        assertEquals(3, messages.get(0)[0]);
        assertEquals(0xFEE0_3000L, messages.get(0)[1]);
        assertEquals(0x43, messages.get(0)[2]);
        MdevFixture.eventually(() -> f.host.interruptHandles().count(h) == 1, "counted");
    }

    @Test
    void maskedVectorsPendInThePbaUntilUnmasked() {
        final int h = handle(2);
        r.w(0x202C, 4, 1);                                  // mask vector 2
        assertEquals(0x01, run(h));
        MdevFixture.eventually(() -> r.r(0x3000, 8) == 0x4L, "PBA bit 2");
        assertEquals(0, messages.size());
        r.w(0x202C, 4, 0);
        awaitMessages(1);
        assertEquals(2, messages.get(0)[0]);
        assertEquals(0L, r.r(0x3000, 8));
        dev.configWrite(0x82, 2, 0xC000);                   // function mask
        assertEquals(0x01, run(h));
        MdevFixture.eventually(() -> r.r(0x3000, 8) == 0x4L, "PBA bit 2 under the function mask");
        dev.configWrite(0x82, 2, 0x8000);
        awaitMessages(2);
        dev.configWrite(0x82, 2, 0x0000);                   // MSI-X disabled: nothing is sent
        assertEquals(0x01, run(h));
        MdevFixture.eventually(() -> dev.droppedInterrupts() == 1, "dropped");
        assertEquals(2, messages.size());
    }

    @Test
    void permissionTableRestrictsVectorsToAPasidOrIgnoresThem() {
        final int h = handle(1);
        r.w(0x308, 4, (5L << 12) | 0x8);                    // vector 1: PASID enable, PASID 5
        assertEquals(0x19, run(h), "the WQ's requests carry no PASID 5");
        r.w(0x308, 4, 0x8);                                 // PASID enable, PASID 0
        assertEquals(0x01, run(h));
        awaitMessages(1);
        r.w(0x308, 4, 0x4);                                 // ignore
        assertEquals(0x01, run(h));
        MdevFixture.eventually(() -> dev.ignoredInterrupts() == 1, "ignored");
        assertEquals(1, messages.size());
    }

    @Test
    void releasedAndForeignHandlesAreInvalid() {
        final int h = handle(1);
        assertEquals(0, r.err(0xE, h));
        assertEquals(0x19, run(h));
        assertEquals(0x19, run(0));                         // the host's misc entry is nobody's to use
        final int stranger = f.host.interruptHandles().allocate(new Object(), x -> { });
        assertEquals(0x19, run(stranger));
        assertEquals(0, f.host.interruptHandles().count(stranger));
    }

    @Test
    void revokedHandlesAreReportedInIntcauseAndTheDriverRequestsNewOnes() {
        try (MdevFixture f2 = new MdevFixture()) {
            final GuestDomain g2 = f2.guest("vm");
            final VirtualDsa d2 = f2.vdev(VdevType.SHARED_WQ, g2);
            final GuestDriver driver = f2.driver(d2, g2);
            driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0)));
            final int old = driver.interruptHandle(0);
            d2.revokeInterruptHandles();
            assertTrue(driver.awaitInterrupts(0, 1, MdevFixture.TIMEOUT));
            driver.quiesce();
            assertEquals(1, driver.handleRevocations());
            assertEquals(0L, d2.mmioRead(0, 0x98, 4), "the driver acknowledged INTCAUSE bit 31");
            final GuestProcess app = driver.newProcess("app");
            final long s = app.allocate(8192);
            final long rc = app.allocate(4096);
            final CompletionRecord cr = app.completionRecord(rc).arm();
            final Descriptor d = MdevFixture.memmove(driver.descriptor(), s, s + 4096, 64, rc)
                .addFlags(DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(driver.interruptHandle(0));
            assertTrue(driver.interruptHandle(0) > 0);
            driver.submitUser(0, d, app, false);
            assertEquals(0x01, MdevFixture.await(cr));
            assertTrue(driver.awaitInterrupts(1, 1, MdevFixture.TIMEOUT));
            assertTrue(old > 0);
        }
    }

    @Test
    void softwareErrorsComeBackAsThisDevicesSwerrInGuestTerms() {
        // no completion record: the error goes to SWERR (guest WQ 0, host WQ 2)
        final Descriptor bad = kernel.descriptor().opcode(0x3F).source(src).destination(src).transferSize(64);
        dev.portalWrite(0, bad.segment(), 0, PortalInstruction.MOVDIR64B, -1);
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while ((r.r(0xC0, 8) & 1) == 0) {
            assertTrue(System.nanoTime() < deadline);
        }
        final long w0 = r.r(0xC0, 8);
        assertEquals(0x1L | 0x4 | 0x8 | (0x10L << 8) | (0x3FL << 32), w0, "valid, descriptor, WQ 0, code 0x10");
        assertNotEquals(0, dev.hostWq(0));
        assertEquals(0x1L, r.r(0x98, 4));                   // INTCAUSE software error
        assertEquals(0, messages.size(), "GENCTRL bit 0 clear: no misc interrupt");
        r.w(0xC0, 8, 0x3);
        r.w(0x98, 4, 0x1);
        r.w(0x88, 4, 0x1);                                  // GENCTRL: software-error interrupt enable
        dev.portalWrite(0, bad.segment(), 0, PortalInstruction.MOVDIR64B, -1);
        awaitMessages(1);
        assertEquals(0, messages.get(0)[0], "misc vector 0");
        assertEquals(0x1L, r.r(0x98, 4));
        assertEquals(2, dev.swerrHistory().size());
        assertTrue(f.host.hostLog().isEmpty(), "the host kept nothing of the guest's errors");
    }

    @Test
    void aSliceReportsItsOwnWqIndexes() {
        final GuestDomain g2 = f.guest("vm2");
        final VirtualDsa slice = f.track(f.mdev.createSlice(g2, 5, 6, 7));
        final GuestDriver driver = f.driver(slice, g2);
        driver.bringUp(false, new DeviceSetup(List.of(WqSetup.dedicatedKernel(0, 4, 0), WqSetup.dedicatedKernel(1, 4, 0),
            WqSetup.dedicatedKernel(2, 4, 1)), new long[] {0x1, 0x2}, 0));
        final long b = driver.allocateDma(4096);
        final Descriptor bad = driver.descriptor().opcode(0x3F).source(b).destination(b).transferSize(64);
        driver.submitKernel(2, bad, true);
        assertTrue(driver.awaitInterrupts(0, 1, MdevFixture.TIMEOUT));
        driver.quiesce();
        final long w0 = driver.swerrReports().get(0)[0];
        assertEquals(2, (w0 >>> 16) & 0xFF, "guest WQ 2 (host WQ 7)");
        assertEquals(7, slice.hostWq(2));
        assertEquals(0L, slice.mmioRead(0, 0xC0, 8), "consumed: W1C by the driver");
        assertEquals(0L, r.r(0xC0, 8), "the other device's SWERR untouched");
    }
}
