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
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two guests with the same guest-physical layout, the same guest-virtual addresses and the same guest PASID numbers:
 * each one's DMA, PASIDs, errors and interrupts stay its own.
 */
class TwoGuestIsolationTest {
    private static final int SIZE = 256 << 10;

    private record Vm(GuestDomain guest, VirtualDsa dev, GuestDriver driver, GuestProcess app, long src, long dst,
                      long rec) {
    }

    private static Vm vm(MdevFixture f, String name) {
        final GuestDomain g = f.guest(name);
        final VirtualDsa dev = f.vdev(VdevType.SHARED_WQ, g);
        final GuestDriver driver = f.driver(dev, g);
        driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0)));
        final GuestProcess app = driver.newProcess("app");
        return new Vm(g, dev, driver, app, app.allocate(SIZE), app.allocate(SIZE), app.allocate(4096));
    }

    private static int memmove(Vm vm, long src, long dst, int size) {
        final CompletionRecord cr = vm.app.completionRecord(vm.rec).arm();
        final Descriptor d = MdevFixture.memmove(vm.driver.descriptor(), src, dst, size, vm.rec);
        assertEquals(PortalResult.ACCEPTED, vm.driver.submitUser(0, d, vm.app, false));
        return MdevFixture.await(cr);
    }

    @Test
    void overlappingAddressesAndPasidsStayApart() throws Exception {
        try (MdevFixture f = new MdevFixture()) {
            final Vm a = vm(f, "vm-a");
            final Vm b = vm(f, "vm-b");
            // the same numbers on both sides
            assertEquals(a.app.pasid(), b.app.pasid());
            assertEquals(a.src, b.src);
            assertEquals(a.dst, b.dst);
            assertEquals(a.app.pageTables().physicalAddress(a.src), b.app.pageTables().physicalAddress(b.src));
            assertEquals(a.app.pageTables().root(), b.app.pageTables().root());
            // ... and different host PASIDs and host memory behind them
            assertNotEquals(a.guest.iommu().hostPasid(a.app.pasid()), b.guest.iommu().hostPasid(b.app.pasid()));
            assertNotEquals(a.app.pageTables().hostAddress(a.src), b.app.pageTables().hostAddress(b.src));

            final byte[] da = MdevFixture.random(SIZE, 1);
            final byte[] db = MdevFixture.random(SIZE, 2);
            a.app.write(a.src, da);
            b.app.write(b.src, db);
            for (int round = 0; round < 8; round++) {
                final CompletableFuture<Integer> fa = CompletableFuture.supplyAsync(() -> memmove(a, a.src, a.dst, SIZE));
                final CompletableFuture<Integer> fb = CompletableFuture.supplyAsync(() -> memmove(b, b.src, b.dst, SIZE));
                assertEquals(0x01, fa.get());
                assertEquals(0x01, fb.get());
            }
            assertArrayEquals(da, a.app.read(a.dst, SIZE));
            assertArrayEquals(db, b.app.read(b.dst, SIZE));
        }
    }

    @Test
    void aGuestCannotUseAnotherGuestsPasidHandleOrErrors() {
        try (MdevFixture f = new MdevFixture()) {
            final Vm a = vm(f, "vm-a");
            final Vm b = vm(f, "vm-b");
            final GuestProcess b2 = b.driver.newProcess("b2"); // guest PASID 2 exists in b only
            assertEquals(2, b2.pasid());
            final Descriptor d = MdevFixture.memmove(a.driver.descriptor(), a.src, a.dst, 64, a.rec);
            assertEquals(PortalResult.GP_FAULT,
                a.dev.portalWrite(0x1000, d.segment(), 0, PortalInstruction.ENQCMD, 2), "#GP: no translation in a");
            d.pasid(2);
            assertEquals(PortalResult.GP_FAULT, a.dev.portalWrite(0, d.segment(), 0, PortalInstruction.ENQCMDS, -1));

            // b names a's completion-interrupt handle: invalid for b (0x19), a's vector never fires
            final long aInterrupts = a.driver.interrupts(1);
            final CompletionRecord cr = b.app.completionRecord(b.rec).arm();
            final Descriptor stolen = MdevFixture.memmove(b.driver.descriptor(), b.src, b.dst, 64, b.rec)
                .addFlags(DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(a.driver.interruptHandle(0));
            assertNotEquals(a.driver.interruptHandle(0), b.driver.interruptHandle(0));
            assertEquals(PortalResult.ACCEPTED, b.driver.submitUser(0, stolen, b.app, false));
            assertEquals(0x19, MdevFixture.await(cr));
            assertEquals(aInterrupts, a.driver.interrupts(1));

            // a's error (no completion record to report it in) lands in a's SWERR only
            final Descriptor bad = a.driver.descriptor().opcode(0x3F).source(a.src).destination(a.dst).transferSize(64);
            assertEquals(PortalResult.ACCEPTED, a.driver.submitUser(0, bad, a.app, false));
            assertTrue(a.driver.awaitInterrupts(0, 1, MdevFixture.TIMEOUT), "a's misc interrupt");
            a.driver.quiesce();
            assertEquals(1, a.driver.swerrReports().size());
            final long w0 = a.driver.swerrReports().get(0)[0];
            assertEquals(0x10, (w0 >>> 8) & 0xFF);            // unsupported opcode
            assertEquals(0, (w0 >>> 16) & 0xFF);              // guest WQ 0 (host WQ 3)
            assertEquals(0x3F, (w0 >>> 32) & 0xFF);
            assertEquals(a.app.pasid(), (int) ((w0 >>> 40) & 0xFFFFF)); // the guest PASID, not the host's
            assertEquals(1, a.dev.swerrHistory().size());
            assertEquals(0, b.dev.swerrHistory().size());
            assertEquals(0L, b.dev.mmioRead(0, 0xC0, 8));
            assertEquals(0L, b.dev.mmioRead(0, 0x98, 4));
            assertEquals(0, b.driver.interrupts(0));
        }
    }
}
