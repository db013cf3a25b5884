package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.PageRequest;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Items 4 and 5: stage-1 faults go to the guest as page requests; stage-2 faults stay in the host. */
class PageRequestTest {
    private static GuestDriver sharedBof(MdevFixture f, GuestDomain g) {
        final VirtualDsa dev = f.vdev(VdevType.SHARED_WQ, g);
        final GuestDriver driver = f.driver(dev, g);
        driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0).withBlockOnFault(true)
            .withLimits(30, 5)));
        return driver;
    }

    private static int run(GuestDriver driver, GuestProcess app, Descriptor d, CompletionRecord cr) {
        cr.arm();
        assertEquals(PortalResult.ACCEPTED, driver.submitUser(0, d, app, false));
        return MdevFixture.await(cr);
    }

    @Test
    void blockOnFaultBecomesAGuestPageRequestAndTheResponseResumes() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final GuestDriver driver = sharedBof(f, g);
            final GuestProcess app = driver.newProcess("app");
            app.faultAround(1);
            final long src = app.allocate(16384);
            final long dst = app.allocateOnDemand(16384);
            final long rec = app.allocate(4096);
            final byte[] data = MdevFixture.random(16384, 5);
            app.write(src, data);
            final CompletionRecord cr = app.completionRecord(rec);
            final Descriptor d = MdevFixture.memmove(driver.descriptor(), src, dst, 16384, rec)
                .addFlags(DescriptorFlags.BLOCK_ON_FAULT);
            assertEquals(0x01, run(driver, app, d, cr));
            assertArrayEquals(data, app.read(dst, 16384));
            final List<PageRequest> requests = driver.pageRequests();
            assertEquals(4, requests.size(), "one request per 4 KiB page of the destination");
            for (int i = 0; i < 4; i++) {
                final PageRequest r = requests.get(i);
                assertEquals(app.pasid(), r.pasid(), "the guest PASID");
                assertEquals(dst + 4096L * i, r.pageAddress(), "the guest-virtual page");
                assertTrue(r.write() && !r.read());
                assertTrue(r.lastInGroup());
            }
            assertEquals(4, g.iommu().pageRequestsForwarded());
            assertEquals(4, g.iommu().pageResponses());
            assertEquals(0, g.iommu().outstandingPageRequests());
            assertEquals(4, app.pagesFaultedIn());
        }
    }

    @Test
    void withoutBlockOnFaultTheFaultIsReportedToTheGuestInItsRecord() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final GuestDriver driver = sharedBof(f, g);
            final GuestProcess app = driver.newProcess("app");
            final long src = app.allocate(8192);
            final long dst = app.allocateOnDemand(8192);
            final long rec = app.allocate(4096);
            final CompletionRecord cr = app.completionRecord(rec);
            assertEquals(0x03, run(driver, app, MdevFixture.memmove(driver.descriptor(), src, dst, 8192, rec), cr));
            assertEquals(dst, cr.faultAddress(), "the guest-virtual fault address");
            assertTrue(cr.faultWasWrite());
            assertEquals(0, cr.bytesCompleted());
            assertEquals(0, driver.pageRequests().size());
        }
    }

    @Test
    void anInvalidPageResponseFailsTheDescriptor() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final GuestDriver driver = sharedBof(f, g);
            final GuestProcess app = driver.newProcess("app");
            final long src = app.allocate(8192);
            final long nowhere = app.pageTables().reserve(8192, AddressSpace.PageSize.SIZE_4K); // no region behind
            final long rec = app.allocate(4096);
            final CompletionRecord cr = app.completionRecord(rec);
            final Descriptor d = MdevFixture.memmove(driver.descriptor(), src, nowhere, 8192, rec)
                .addFlags(DescriptorFlags.BLOCK_ON_FAULT);
            assertEquals(0x04, run(driver, app, d, cr));
            assertEquals(nowhere, cr.faultAddress());
            assertEquals(1, driver.pageRequests().size());
            assertEquals(app.pasid(), driver.pageRequests().get(0).pasid());
        }
    }

    @Test
    void pageRequestRoundTripsDuringALargeMemmove() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm", 96L << 20, false);
            final GuestDriver driver = sharedBof(f, g);
            final GuestProcess app = driver.newProcess("app");
            app.faultAround(32);
            final int size = 8 << 20;
            final long src = app.allocate(size);
            final long dst = app.allocateOnDemand(size);
            final long rec = app.allocate(4096);
            final byte[] data = MdevFixture.random(size, 11);
            app.write(src, data);
            final CompletionRecord cr = app.completionRecord(rec);
            final Descriptor d = MdevFixture.memmove(driver.descriptor(), src, dst, size, rec)
                .addFlags(DescriptorFlags.BLOCK_ON_FAULT | DescriptorFlags.REQUEST_COMPLETION_INTERRUPT)
                .interruptHandle(driver.interruptHandle(0));
            assertEquals(0x01, run(driver, app, d, cr));
            assertTrue(driver.awaitInterrupts(1, 1, MdevFixture.TIMEOUT), "completion interrupt on vector 1");
            assertArrayEquals(data, app.read(dst, size));
            final int requests = driver.pageRequests().size();
            assertEquals(size / 4096 / 32, requests, "one request per fault-around window of 32 pages");
            assertTrue(driver.pageRequests().stream().allMatch(r -> r.pasid() == app.pasid() && r.write()));
            assertEquals(requests, g.iommu().pageResponses());
            assertEquals(0, g.memory().stage2Faults(), "backed guest memory: no stage-2 fault");
        }
    }

    @Test
    void stage2FaultsAreResolvedByTheHostAndNeverShownToTheGuest() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm", 64L << 20, true);   // guest RAM backed on first touch
            final VirtualDsa dev = f.vdev(VdevType.DEDICATED_WQ, g);
            final GuestDriver driver = f.driver(dev, g);
            driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.dedicatedKernel(0, 16, 0)));
            final long src = driver.allocateDma(65536);
            final long rec = driver.allocateDma(4096);
            final byte[] data = MdevFixture.random(65536, 3);
            g.memory().write(src, data);
            final long dst = 40L << 20;                              // guest RAM nobody touched yet
            assertTrue(!g.memory().isBacked(dst));
            final long before = g.memory().stage2Faults();
            final CompletionRecord cr = driver.completionRecord(rec).arm();
            driver.submitKernel(0, MdevFixture.memmove(driver.descriptor(), src, dst, 65536, rec), true);
            assertEquals(0x01, MdevFixture.await(cr));
            assertEquals(16, g.memory().stage2Faults() - before, "the host backed 16 pages");
            assertArrayEquals(data, g.memory().read(dst, 65536));
            // beyond guest RAM: the host refuses, the descriptor ends with a translation error; still no guest PR
            cr.arm();
            driver.submitKernel(0, MdevFixture.memmove(driver.descriptor(), src, 64L << 20, 4096, rec), true);
            assertEquals(0x22, MdevFixture.await(cr));
            assertTrue(g.memory().stage2Refused() > 0);
            assertEquals(0, g.iommu().pageRequestsForwarded());
            assertEquals(0, driver.pageRequests().size());

            // nested: a guest process page whose guest-physical frame the host never backed
            final VirtualDsa sdev = f.vdev(VdevType.SHARED_WQ, g);
            final GuestDriver sdrv = f.driver(sdev, g);
            sdrv.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0).withBlockOnFault(true)));
            final GuestProcess app = sdrv.newProcess("app");
            final long va = app.pageTables().reserve(8192, AddressSpace.PageSize.SIZE_4K);
            app.pageTables().map(va, 48L << 20, 8192, AddressSpace.RW_USER); // frames at 48 MiB: untouched
            final long asrc = app.allocate(8192);
            final long arec = app.allocate(4096);
            app.write(asrc, MdevFixture.random(8192, 9));
            final long s2 = g.memory().stage2Faults();
            final CompletionRecord acr = app.completionRecord(arec).arm();
            final Descriptor d = MdevFixture.memmove(sdrv.descriptor(), asrc, va, 8192, arec)
                .addFlags(DescriptorFlags.BLOCK_ON_FAULT);
            assertEquals(PortalResult.ACCEPTED, sdrv.submitUser(0, d, app, false));
            assertEquals(0x01, MdevFixture.await(acr));
            assertEquals(2, g.memory().stage2Faults() - s2);
            assertArrayEquals(app.read(asrc, 8192), app.read(va, 8192));
            assertEquals(0, sdrv.pageRequests().size(), "a stage-2 miss is not a guest page request");
        }
    }

    @Test
    void guestIotlbInvalidationsAreForwarded() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final GuestDriver driver = sharedBof(f, g);
            final GuestProcess app = driver.newProcess("app");
            final long src = app.allocate(4096);
            final long dst = app.allocate(4096);
            final long rec = app.allocate(4096);
            final CompletionRecord cr = app.completionRecord(rec);
            assertEquals(0x01, run(driver, app, MdevFixture.memmove(driver.descriptor(), src, dst, 4096, rec), cr));
            // the guest unmaps dst: its invalidation reaches the device's IOTLB, the next access faults
            app.pageTables().unmap(dst, 4096);
            assertEquals(0x03, run(driver, app, MdevFixture.memmove(driver.descriptor(), src, dst, 4096, rec), cr));
            // a driver that forgets to invalidate keeps the stale translation until it does
            final long other = app.allocate(4096);
            assertEquals(0x01, run(driver, app, MdevFixture.memmove(driver.descriptor(), src, other, 4096, rec), cr));
            app.pageTables().invalidateOnChange(false);
            app.pageTables().unmap(other, 4096);
            assertEquals(0x01, run(driver, app, MdevFixture.memmove(driver.descriptor(), src, other, 4096, rec), cr));
            g.iommu().invalidate(app.pasid(), other, 4096);
            assertEquals(0x03, run(driver, app, MdevFixture.memmove(driver.descriptor(), src, other, 4096, rec), cr));
        }
    }
}
