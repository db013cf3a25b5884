package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.config.WqConfig;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VirtualDsa;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Item 3: the guest owns its WQs' configuration; the host applies it within the slice, or answers with CMDSTS. */
class GuestWqConfigTest {
    @Test
    void guestWqcfgBecomesTheHostWqConfiguration() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final VirtualDsa dev = f.track(f.mdev.createSlice(g, 5, 6, 7));
            final GuestDriver driver = f.driver(dev, g);
            driver.probe(true);
            final GuestProcess app = driver.newProcess("app", true);
            final WqSetup shared = new WqSetup(0, false, 12, 6, 7, true, true, 0, true, 20, 6, 0);
            final WqSetup dedicated = WqSetup.dedicatedPasid(1, 9, 1, app.pasid()).withPriority(3).withPriv(true);
            final WqSetup kernel = WqSetup.dedicatedKernel(2, 5, 1).withPriority(15);
            driver.configure(new DeviceSetup(List.of(shared, dedicated, kernel), new long[] {0x1, 0x2}, 8));

            final WqConfig h0 = f.host.device().wq(dev.hostWq(0)).config();
            assertTrue(h0.isShared());
            assertEquals(12, h0.size());
            assertEquals(6, h0.threshold());
            assertEquals(7, h0.priority());
            assertTrue(h0.blockOnFault());
            assertTrue(h0.pasidEnabled());
            assertTrue(h0.priv(), "Priv allowed on the shared WQ");
            assertEquals(1L << 20, h0.maxTransferSize());
            assertEquals(64, h0.maxBatchSize());
            assertEquals(2, h0.groupId(), "guest group 0 = host group 2 (slice engine 0)");
            assertTrue(f.host.device().wq(dev.hostWq(0)).isEnabled());

            final WqConfig h1 = f.host.device().wq(dev.hostWq(1)).config();
            assertTrue(h1.isDedicated());
            assertEquals(9, h1.size());
            assertEquals(3, h1.priority());
            assertFalse(h1.blockOnFault());
            assertTrue(h1.pasidEnabled());
            assertEquals(g.iommu().hostPasid(app.pasid()), h1.pasid(), "the guest PASID's host PASID");
            assertTrue(h1.priv());
            assertEquals(3, h1.groupId(), "guest group 1 = host group 3 (slice engine 1)");

            final WqConfig h2 = f.host.device().wq(dev.hostWq(2)).config();
            assertEquals(5, h2.size());
            assertEquals(15, h2.priority());
            assertEquals(g.iommu().defaultHostPasid(), h2.pasid(), "PASID disabled: the guest's stage-2 domain");
            assertFalse(h2.priv());

            // the dedicated WQ runs the process's descriptors in its address space
            final long src = app.allocate(4096);
            final long dst = app.allocate(4096);
            final long rec = app.allocate(4096);
            final byte[] data = MdevFixture.random(4096, 3);
            app.write(src, data);
            final CompletionRecord cr = app.completionRecord(rec).arm();
            assertEquals(PortalResult.POSTED,
                driver.submitUser(1, MdevFixture.memmove(driver.descriptor(), src, dst, 4096, rec), app, true));
            assertEquals(0x01, MdevFixture.await(cr));
            assertArrayEquals(data, app.read(dst, 4096));

            // reconfigure WQ 1 while the device stays enabled: PASID off, guest-physical addresses
            driver.disableWq(1);
            assertFalse(f.host.device().wq(dev.hostWq(1)).isEnabled());
            driver.writeWqcfg(WqSetup.dedicatedKernel(1, 4, 1));
            driver.enableWq(1);
            assertEquals(g.iommu().defaultHostPasid(), f.host.device().wq(dev.hostWq(1)).config().pasid());
            assertEquals(4, f.host.device().wq(dev.hostWq(1)).config().size());
            final long psrc = driver.allocateDma(4096);
            final long pdst = driver.allocateDma(4096);
            final long prec = driver.allocateDma(4096);
            g.memory().write(psrc, data);
            final CompletionRecord pcr = driver.completionRecord(prec).arm();
            driver.submitKernel(1, MdevFixture.memmove(driver.descriptor(), psrc, pdst, 4096, prec), true);
            assertEquals(0x01, MdevFixture.await(pcr));
            assertArrayEquals(data, g.memory().read(pdst, 4096));
        }
    }

    @Test
    void privOnASharedWqComesFromTheInstruction() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final VirtualDsa dev = f.vdev(io.softdsa.mdev.vdev.VdevType.SHARED_WQ, g);
            final GuestDriver driver = f.driver(dev, g);
            driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0).withPriv(true)));
            final GuestProcess kernelSva = driver.newProcess("kthread", true); // supervisor requests enabled
            final long src = kernelSva.allocate(4096);
            final long dst = kernelSva.allocate(4096);
            final long rec = kernelSva.allocate(4096);
            kernelSva.pageTables().protect(dst, 4096, io.softdsa.iommu.AddressSpace.READ
                | io.softdsa.iommu.AddressSpace.WRITE);                     // supervisor-only page
            final CompletionRecord cr = kernelSva.completionRecord(rec);
            final Descriptor d = MdevFixture.memmove(driver.descriptor(), src, dst, 256, rec)
                .pasid(kernelSva.pasid()).priv(true);
            // ENQCMDS: the descriptor's PASID (translated) and Priv 1 reach the device
            cr.arm();
            assertEquals(PortalResult.ACCEPTED, dev.portalWrite(0, d.segment(), 0,
                io.softdsa.mdev.vdev.PortalInstruction.ENQCMDS, -1));
            assertEquals(0x01, MdevFixture.await(cr));
            // ENQCMD from user mode: Priv 0 whatever the descriptor says, so the supervisor page faults
            cr.arm();
            assertEquals(PortalResult.ACCEPTED, driver.submitUser(0, d, kernelSva, false));
            assertEquals(0x03, MdevFixture.await(cr));
            assertEquals(dst, cr.faultAddress());
        }
    }

    @Test
    void perWqOperationConfigIsHonoured() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final VirtualDsa dev = f.vdev(io.softdsa.mdev.vdev.VdevType.DEDICATED_WQ, g);
            final Regs r = new Regs(dev).pci(false).dedicatedWq(0, 16).group(0, 1, 1, 0);
            r.w(0x520, 8, 1L << Opcode.MEMMOVE);     // only memory move allowed
            assertEquals(0, r.err(0x1, 0));
            assertEquals(0, r.err(0x6, 0));
            final GuestDriver driver = f.driver(dev, g);
            final long buf = driver.allocateDma(8192);
            final long rec = driver.allocateDma(4096);
            final CompletionRecord cr = driver.completionRecord(rec).arm();
            final Descriptor fill = driver.descriptor().opcode(Opcode.FILL).flags(0x0C).completionAddress(rec)
                .destination(buf).transferSize(64);
            driver.submitKernel(0, fill, true);
            assertEquals(0x10, MdevFixture.await(cr), "fill not allowed on this WQ: unsupported opcode");
            cr.arm();
            driver.submitKernel(0, MdevFixture.memmove(driver.descriptor(), buf, buf + 4096, 64, rec), true);
            assertEquals(0x01, MdevFixture.await(cr));
        }
    }

    @Test
    void rejectedConfigurationLeavesTheHostAlone() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final VirtualDsa dev = f.track(f.mdev.createSlice(g, 5, 6, 7));
            final List<WqConfig> before = List.of(f.host.device().wq(5).config(), f.host.device().wq(6).config(),
                f.host.device().wq(7).config());
            final Regs r = new Regs(dev).pci(true).sharedWq(0, 16).dedicatedWq(1, 16).sharedWq(2, 16)
                .group(0, 0x3, 0x1, 0).group(1, 0x4, 0x2, 0);
            assertEquals(0x00, r.err(0x1, 0));
            r.wq(0, 16, 16, (1 << 28) | (10 << 4), 31);      // transfer 2^31 > the slice's 2^30
            assertEquals(0x28, r.err(0x6, 0));
            r.wq(1, 17, 0, 1 | (10 << 4), 21);               // 17 > the host WQ's 16
            assertEquals(0x22, r.err(0x6, 1));
            r.wq(2, 16, 16, (10 << 4), 21);                  // shared without PASID enable
            assertEquals(0x26, r.err(0x6, 2));
            assertEquals(before, List.of(f.host.device().wq(5).config(), f.host.device().wq(6).config(),
                f.host.device().wq(7).config()));
            for (int q = 5; q <= 7; q++) {
                assertFalse(f.host.device().wq(q).isEnabled());
            }
        }
    }
}
