package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.translation.VirtualIommu;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Item 4: guest PASIDs (allocation, free, bind, unbind), nested translation, DMA dirty logging of guest memory. */
class GuestPasidTest {
    @Test
    void allocationFreeBindAndUnbind() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final VirtualIommu iommu = g.iommu();
            final int p1 = iommu.allocatePasid();
            final int p2 = iommu.allocatePasid();
            assertEquals(1, p1);
            assertEquals(2, p2);
            final Set<Integer> host = new HashSet<>(Set.of(iommu.hostPasid(p1), iommu.hostPasid(p2),
                iommu.defaultHostPasid()));
            assertEquals(3, host.size(), "distinct host PASIDs");
            assertEquals(p1, iommu.guestPasid(iommu.hostPasid(p1)));
            assertEquals(0, iommu.guestPasid(iommu.defaultHostPasid()));
            final int h1 = iommu.hostPasid(p1);
            iommu.freePasid(p1);
            assertEquals(-1, iommu.hostPasid(p1));
            assertEquals(-1, f.host.iommu().pasidTable().lookup(h1));
            assertEquals(1, iommu.allocatePasid(), "the lowest free guest PASID again");
            assertThrows(IllegalArgumentException.class, () -> iommu.bindGuestPageTable(77, 0x1000, 4, false));
            assertThrows(IllegalArgumentException.class, () -> iommu.bindGuestPageTable(p2, 1L << 40, 4, false));
            iommu.bindGuestPageTable(p2, 0x1000, 4, false);
            assertTrue(iommu.isBound(p2));
            assertTrue(f.host.iommu().pasidTable().lookup(iommu.hostPasid(p2)) >= 0);
            iommu.unbindGuestPageTable(p2);
            assertFalse(iommu.isBound(p2));
            assertEquals(-1, f.host.iommu().pasidTable().lookup(iommu.hostPasid(p2)));
        }
    }

    @Test
    void unboundAndFreedPasidsThroughTheDevice() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final VirtualDsa dev = f.vdev(VdevType.SHARED_WQ, g);
            final GuestDriver driver = f.driver(dev, g);
            driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0)));
            final GuestProcess app = driver.newProcess("app");
            final long src = app.allocate(4096);
            final long dst = app.allocate(4096);
            final long rec = app.allocate(4096);
            final byte[] data = MdevFixture.random(4096, 1);
            app.write(src, data);
            final CompletionRecord cr = app.completionRecord(rec).arm();
            final Descriptor d = MdevFixture.memmove(driver.descriptor(), src, dst, 4096, rec);
            assertEquals(PortalResult.ACCEPTED, driver.submitUser(0, d, app, false));
            assertEquals(0x01, MdevFixture.await(cr));
            assertArrayEquals(data, app.read(dst, 4096));
            // the guest unbinds the tables: the PASID still translates (ENQCMD is accepted) but the device has no
            // address space for it: a translation error, reported in SWERR since the record is unreachable too
            g.iommu().unbindGuestPageTable(app.pasid());
            assertEquals(PortalResult.ACCEPTED, driver.submitUser(0, d, app, false));
            assertTrue(driver.awaitInterrupts(0, 1, MdevFixture.TIMEOUT));
            driver.quiesce();
            final long w0 = driver.swerrReports().get(0)[0];
            assertEquals(0x1A, (w0 >>> 8) & 0xFF, "completion record page fault (unbound PASID)");
            // freed: the CPU has no translation any more, ENQCMD raises #GP
            g.iommu().freePasid(app.pasid());
            assertEquals(PortalResult.GP_FAULT,
                dev.portalWrite(0x1000, d.segment(), 0, PortalInstruction.ENQCMD, app.pasid()));
        }
    }

    @Test
    void guestPageTablesLiveInGuestMemoryAndTranslateNested() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final VirtualDsa dev = f.vdev(VdevType.SHARED_WQ, g);
            final GuestDriver driver = f.driver(dev, g);
            driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0)));
            final GuestProcess app = driver.newProcess("app");
            final long src = app.allocate(3 * 4096);
            final long dst = app.allocate(3 * 4096);
            final long rec = app.allocate(4096);
            // the tables' root and the data are guest-physical addresses inside guest RAM
            final long root = app.pageTables().root();
            assertTrue(root > 0 && root < g.memory().size());
            final long gpa = app.pageTables().physicalAddress(src);
            assertTrue(gpa > 0 && gpa < g.memory().size());
            assertEquals(g.memory().hostAddress(gpa), app.pageTables().hostAddress(src));
            assertNotEquals(gpa, app.pageTables().hostAddress(src), "guest-physical is not host-physical");
            final byte[] data = MdevFixture.random(3 * 4096, 4);
            app.write(src + 100, java.util.Arrays.copyOf(data, 3 * 4096 - 200));
            final CompletionRecord cr = app.completionRecord(rec).arm();
            driver.submitUser(0, MdevFixture.memmove(driver.descriptor(), src + 100, dst + 50, 3 * 4096 - 200, rec),
                app, false);
            assertEquals(0x01, MdevFixture.await(cr));
            assertArrayEquals(app.read(src + 100, 3 * 4096 - 200), app.read(dst + 50, 3 * 4096 - 200));
            // the device set accessed and dirty in the guest's own leaf entries
            assertTrue((app.pageTables().leafEntry(dst) & 0x40) != 0, "dirty");
            assertTrue((app.pageTables().leafEntry(src) & 0x20) != 0, "accessed");
        }
    }

    @Test
    void dmaWritesToGuestMemoryAreDirtyLogged() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final VirtualDsa dev = f.vdev(VdevType.DEDICATED_WQ, g);
            final GuestDriver driver = f.driver(dev, g);
            driver.bringUp(false, DeviceSetup.oneGroup(1, WqSetup.dedicatedKernel(0, 16, 0)));
            final long src = driver.allocateDma(8192);
            final long rec = driver.allocateDma(4096);
            g.memory().stage2().startDirtyLogging();
            final long dst = 8L << 20;
            final CompletionRecord cr = driver.completionRecord(rec).arm();
            driver.submitKernel(0, MdevFixture.memmove(driver.descriptor(), src, dst, 8192, rec), true);
            assertEquals(0x01, MdevFixture.await(cr));
            final long[] bitmap = g.memory().stage2().reportAndClearDirty(0, 16L << 20, 21);
            // 2 MiB granularity: the destination's page (4) and the completion record's page are dirty
            assertTrue((bitmap[0] & (1L << 4)) != 0);
            assertTrue((bitmap[0] & (1L << (rec >>> 21))) != 0);
            assertEquals(0, bitmap[0] & (1L << 6), "nothing else written");
            assertEquals(0L, g.memory().stage2().reportAndClearDirty(0, 16L << 20, 21)[0] & (1L << 4),
                "report-and-clear cleared it");
        }
    }
}
