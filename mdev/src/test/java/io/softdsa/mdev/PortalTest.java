package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.iommu.PageRequest;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BAR2 at the fact sheet's offsets: WQ i at i x 0x4000, unlimited portal +0, limited portal +0x1000. The WQ's one
 * engine is held on a page request the test answers late, so the queue fills deterministically.
 */
class PortalTest {
    private static void awaitSize(List<?> list, int n) {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (list.size() < n) {
            assertTrue(System.nanoTime() < deadline, "page request not raised");
            LockSupport.parkNanos(10_000);
        }
    }

    @Test
    void limitedPortalRetriesAtTheThresholdUnlimitedAtTheSize() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final VirtualDsa dev = f.vdev(VdevType.SHARED_WQ, g);
            final GuestDriver driver = f.driver(dev, g);
            driver.bringUp(true, DeviceSetup.oneGroup(1,
                new WqSetup(0, false, 8, 4, 10, true, true, 0, false, 21, 5, 0)));
            final List<PageRequest> held = new CopyOnWriteArrayList<>();
            g.iommu().pageRequestHandler(held::add);                    // the test answers, later
            final GuestProcess app = driver.newProcess("app");
            final long src = app.allocate(4096);
            final long dst = app.allocateOnDemand(4096);
            final long recs = app.allocate(4096);
            final List<CompletionRecord> records = new ArrayList<>();
            final Descriptor blocker = MdevFixture.memmove(driver.descriptor(), src, dst, 4096, recs)
                .addFlags(DescriptorFlags.BLOCK_ON_FAULT);
            records.add(app.completionRecord(recs).arm());
            assertEquals(PortalResult.ACCEPTED,
                dev.portalWrite(0x1000, blocker.segment(), 0, PortalInstruction.ENQCMD, app.pasid()));
            awaitSize(held, 1);                                          // the engine waits on it

            int n = 1;
            final Descriptor noop = driver.descriptor();
            PortalResult r;
            int accepted = 0;
            while (true) {
                final long rec = recs + 32L * n;
                noop.clear().opcode(Opcode.NOOP).flags(0x0C).completionAddress(rec);
                records.add(app.completionRecord(rec).arm());
                r = dev.portalWrite(0x1000 + 64 * n, noop.segment(), 0, PortalInstruction.ENQCMD, app.pasid());
                if (r != PortalResult.ACCEPTED) {
                    records.remove(records.size() - 1);
                    break;
                }
                accepted++;
                n++;
            }
            assertEquals(PortalResult.RETRY, r);
            assertEquals(4, accepted, "limited portal: retry at the threshold (4)");
            assertEquals(4L, dev.mmioRead(0, 0x518, 4) & 0xFFFF, "WQCFG occupancy");
            assertEquals(PortalResult.RETRY,
                dev.portalWrite(0x3000, noop.segment(), 0, PortalInstruction.ENQCMD, app.pasid()), "limited (IMS)");
            while (true) {
                final long rec = recs + 32L * n;
                noop.clear().opcode(Opcode.NOOP).flags(0x0C).completionAddress(rec);
                records.add(app.completionRecord(rec).arm());
                r = dev.portalWrite(n % 2 == 0 ? 0x0000 : 0x2000, noop.segment(), 0, PortalInstruction.ENQCMD,
                    app.pasid());
                if (r != PortalResult.ACCEPTED) {
                    records.remove(records.size() - 1);
                    break;
                }
                accepted++;
                n++;
            }
            assertEquals(8, accepted, "unlimited portal: retry at the WQ size (8)");
            assertEquals(PortalResult.UNCLAIMED,
                dev.portalWrite(0x4000, noop.segment(), 0, PortalInstruction.ENQCMD, app.pasid()), "no WQ 1");

            // answer the page request: everything completes
            final PageRequest pr = held.get(0);
            assertEquals(app.pasid(), pr.pasid());
            assertEquals(PageRequest.RESPONSE_SUCCESS, app.resolve(pr));
            assertTrue(g.iommu().pageResponse(pr.pasid(), pr.groupIndex(), PageRequest.RESPONSE_SUCCESS));
            assertEquals(false, g.iommu().pageResponse(pr.pasid(), pr.groupIndex(), PageRequest.RESPONSE_SUCCESS),
                "a second response to the same group is ignored");
            for (CompletionRecord cr : records) {
                assertEquals(0x01, MdevFixture.await(cr));
            }
            assertEquals(9, records.size());
            assertEquals(0L, dev.mmioRead(0, 0x518, 4) & 0xFFFF);
        }
    }

    @Test
    void aFullDedicatedWqDropsIntoTheGuestsSwerr() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final VirtualDsa dev = f.vdev(VdevType.DEDICATED_WQ, g);
            final GuestDriver driver = f.driver(dev, g);
            driver.probe(true);
            final GuestProcess app = driver.newProcess("app");
            driver.configure(DeviceSetup.oneGroup(1, WqSetup.dedicatedPasid(0, 2, 0, app.pasid())
                .withBlockOnFault(true)));
            final List<PageRequest> held = new CopyOnWriteArrayList<>();
            g.iommu().pageRequestHandler(held::add);
            final long src = app.allocate(4096);
            final long dst = app.allocateOnDemand(4096);
            final long recs = app.allocate(4096);
            final CompletionRecord first = app.completionRecord(recs).arm();
            final Descriptor d = MdevFixture.memmove(driver.descriptor(), src, dst, 4096, recs)
                .addFlags(DescriptorFlags.BLOCK_ON_FAULT);
            assertEquals(PortalResult.POSTED, driver.submitUser(0, d, app, true));
            awaitSize(held, 1);
            final Descriptor noop = driver.descriptor().opcode(Opcode.NOOP).flags(0x0C).completionAddress(recs + 32)
                .pasid(7); // ignored by a dedicated WQ, reported as written
            for (int i = 0; i < 3; i++) {
                assertEquals(PortalResult.POSTED,
                    dev.portalWrite(0x40 * i, noop.segment(), 0, PortalInstruction.MOVDIR64B, -1));
            }
            // size 2: the third was dropped, reported as 0x30 for guest WQ 0 with the descriptor's PASID; the driver's
            // misc-interrupt handler consumed it
            assertTrue(driver.awaitInterrupts(0, 1, MdevFixture.TIMEOUT));
            driver.quiesce();
            assertEquals(1, driver.swerrReports().size());
            assertEquals(0L, dev.mmioRead(0, 0xC0, 8), "cleared by the driver (write 1 to valid)");
            final long w0 = driver.swerrReports().get(0)[0];
            assertEquals(1L, w0 & 1);
            assertEquals(0x30, (w0 >>> 8) & 0xFF);
            assertEquals(0, (w0 >>> 16) & 0xFF);
            assertEquals(7, (int) ((w0 >>> 40) & 0xFFFFF));
            assertEquals(Opcode.NOOP, (int) ((w0 >>> 32) & 0xFF));
            final PageRequest pr = held.get(0);
            app.resolve(pr);
            g.iommu().pageResponse(pr.pasid(), pr.groupIndex(), PageRequest.RESPONSE_SUCCESS);
            assertEquals(0x01, MdevFixture.await(first));
        }
    }
}
