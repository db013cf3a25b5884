package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Issue 15 item 3: what a guest does that its device ignores or rejects is counted (QEMU's LOG_GUEST_ERROR), never
 * silently dropped; a driver that does everything right causes none. And a host SWERR report never waits for the
 * device lock on the engine thread that reports it.
 */
class GuestErrorsTest {
    private MdevFixture f;
    private GuestDomain g;
    private VirtualDsa dev;
    private Regs r;

    @BeforeEach
    void up() {
        f = new MdevFixture();
        g = f.guest("vm");
        dev = f.vdev(VdevType.SHARED_WQ, g);
        r = new Regs(dev).pci(false);
    }

    @AfterEach
    void down() {
        f.close();
    }

    @Test
    void aDriverThatFollowsTheRulesCausesNoGuestError() {
        try (MdevFixture f2 = new MdevFixture()) {
            final GuestDomain g2 = f2.guest("vm");
            final VirtualDsa d2 = f2.vdev(VdevType.SHARED_WQ, g2);
            final GuestDriver driver = f2.driver(d2, g2);
            driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0)));
            final GuestProcess app = driver.newProcess("app");
            final long s = app.allocate(8192);
            final long rc = app.allocate(4096);
            final CompletionRecord cr = app.completionRecord(rc).arm();
            assertEquals(PortalResult.ACCEPTED,
                driver.submitUser(0, MdevFixture.memmove(driver.descriptor(), s, s + 4096, 64, rc), app, false));
            assertEquals(0x01, MdevFixture.await(cr));
            assertEquals(0, d2.guestErrors(), () -> "guest error on a clean bring-up: " + d2.lastGuestError());
        }
    }

    @Test
    void everyIgnoredOrRejectedAccessIsCounted() {
        final long gencap = r.r(0x10, 8);
        expectOne(() -> r.w(0x10, 8, ~gencap), "write to GENCAP (read-only)");
        assertEquals(gencap, r.r(0x10, 8), "and ignored");
        expectOne(() -> r.w(0xA3, 1, 0x7E), "reserved CMD bits 30:25 set"); // a byte write issues no command
        assertEquals(0L, r.r(0xA0, 4) & 0x7E00_0000L, "and ignored");
        expectOne(() -> dev.mmioRead(0, 0x10000, 4), "BAR0 read beyond the BAR");
        expectOne(() -> dev.mmioWrite(0, -8, 8, 1), "BAR0 write before the BAR");
        expectOne(() -> dev.mmioWrite(2, 0, 8, 1), "narrow store to a portal");
        expectOne(() -> dev.mmioRead(2, 0, 8), "read of a portal");
        expectOne(() -> r.w(0x7FF8, 8, 1), "write to unimplemented space");
        final long before = dev.guestErrors();
        final int sts = r.cmd(0x1F, 0); // not a command of CMDCAP
        assertEquals(0x01, sts & 0xFF);
        assertEquals(before + 1, dev.guestErrors(), "a rejected command: " + dev.lastGuestError());
    }

    @Test
    void aLockedWqcfgWriteAndAPortalStoreTheDeviceIgnoresAreCounted() {
        r.pci(true).sharedWq(0, 16).group(0, 1, 1, 0);
        assertEquals(0, r.err(0x1, 0), "Enable Device");
        assertEquals(0, r.err(0x6, 0), "Enable WQ 0");
        final long size = r.r(0x500, 4);
        expectOne(() -> r.w(0x500, 4, size + 1), "WQCFG of an enabled WQ");
        assertEquals(size, r.r(0x500, 4), "and ignored");
        final MemorySegment noop = Arena.ofAuto().allocate(64, 64);
        new Descriptor(noop, 0).opcode(0);
        final long[] result = new long[1];
        expectOne(() -> result[0] = dev.portalWrite(0, noop, 0, PortalInstruction.MOVDIR64B, -1).ordinal(),
            "MOVDIR64B to a shared WQ's portal");
        assertEquals(PortalResult.POSTED.ordinal(), result[0]);
        expectOne(() -> dev.portalWrite(0x40_0000, noop, 0, PortalInstruction.ENQCMD, 1), "store beyond the portals");
    }

    @Test
    void aHostSoftwareErrorIsReportedWithoutWaitingForTheDeviceLock() throws Exception {
        final VirtualDsa ded = f.vdev(VdevType.DEDICATED_WQ, f.guest("vm2"));
        final Regs rd = new Regs(ded).pci(false).dedicatedWq(0, 16).group(0, 1, 1, 0);
        assertEquals(0, rd.err(0x1, 0));
        assertEquals(0, rd.err(0x6, 0));
        final GuestDriver kernel = f.track(new GuestDriver(ded, ded.guest()));
        final long buf = kernel.allocateDma(8192);
        final long rec = kernel.allocateDma(4096);
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        // the device lock is busy (a guest's MMIO, command or migration step would hold it)
        final Thread holder = new Thread(() -> {
            synchronized (ded.lock()) {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        holder.start();
        held.await();
        try {
            // no completion record: the engine reports it in SWERR (unsupported opcode 0x3F)
            final Descriptor bad = kernel.descriptor().opcode(0x3F).source(buf).destination(buf).transferSize(64);
            assertEquals(PortalResult.POSTED, ded.portalWrite(0, bad.segment(), 0, PortalInstruction.MOVDIR64B, -1));
            // the same engine then runs the next descriptor: with the report blocked on the lock it never would
            final CompletionRecord cr = kernel.completionRecord(rec).arm();
            final Descriptor ok = MdevFixture.memmove(kernel.descriptor(), buf, buf + 4096, 64, rec);
            assertEquals(PortalResult.POSTED, ded.portalWrite(0, ok.segment(), 0, PortalInstruction.MOVDIR64B, -1));
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (cr.status() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(0x01, cr.status(), "the engine completed the next descriptor while the device lock was held");
        } finally {
            release.countDown();
            holder.join();
        }
        MdevFixture.eventually(() -> (rd.r(0xC0, 8) & 1) != 0, "the SWERR entry, once the lock is free");
        assertEquals(0x10, (rd.r(0xC0, 8) >>> 8) & 0xFF, "unsupported opcode");
        assertEquals(1, ded.swerrHistory().size());
    }

    private void expectOne(Runnable access, String what) {
        final long before = dev.guestErrors();
        access.run();
        assertEquals(before + 1, dev.guestErrors(), what);
        assertNotNull(dev.lastGuestError());
    }

}
