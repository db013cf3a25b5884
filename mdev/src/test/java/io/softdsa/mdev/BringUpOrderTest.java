package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.RegisterAccess;
import io.softdsa.mdev.guest.RegisterAccess.Kind;
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

/** The guest driver brings the device up through registers only, in the Linux driver's order (section 14). */
class BringUpOrderTest {
    private static int first(List<RegisterAccess> t, Kind kind, long offset) {
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i).kind() == kind && t.get(i).offset() == offset) {
                return i;
            }
        }
        return -1;
    }

    private static int cmdWrite(List<RegisterAccess> t, long value, int from) {
        for (int i = from; i < t.size(); i++) {
            if (t.get(i).isMmioWrite(0xA0) && t.get(i).value() == value) {
                return i;
            }
        }
        return -1;
    }

    private static int lastWriteIn(List<RegisterAccess> t, long from, long to) {
        int last = -1;
        for (int i = 0; i < t.size(); i++) {
            final RegisterAccess a = t.get(i);
            if (a.kind() == Kind.MMIO_WRITE && a.offset() >= from && a.offset() < to) {
                last = i;
            }
        }
        return last;
    }

    private static int firstWriteIn(List<RegisterAccess> t, long from, long to) {
        for (int i = 0; i < t.size(); i++) {
            final RegisterAccess a = t.get(i);
            if (a.kind() == Kind.MMIO_WRITE && a.offset() >= from && a.offset() < to) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void linuxOrderThroughRegistersOnly() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final VirtualDsa dev = f.track(f.mdev.createSlice(g, 5, 6, 7));
            final GuestDriver driver = f.driver(dev, g);
            driver.bringUp(true, new DeviceSetup(List.of(WqSetup.shared(0, 16, 0), WqSetup.dedicatedKernel(1, 8, 0),
                WqSetup.shared(2, 16, 1)), new long[] {0x1, 0x2}, 0));
            final List<RegisterAccess> t = driver.trace();

            final int pci = first(t, Kind.CONFIG_WRITE, 0x04);
            final int reset = cmdWrite(t, 0x0050_0000L, 0);
            final int version = first(t, Kind.MMIO_READ, 0x00);
            final int gencap = first(t, Kind.MMIO_READ, 0x10);
            final int wqcap = first(t, Kind.MMIO_READ, 0x20);
            final int grpcap = first(t, Kind.MMIO_READ, 0x30);
            final int engcap = first(t, Kind.MMIO_READ, 0x38);
            final int tableOffset = first(t, Kind.MMIO_READ, 0x60);
            final int firstWqcfg = firstWriteIn(t, 0x500, 0x5C0);
            final int lastWqcfg = lastWriteIn(t, 0x500, 0x5C0);
            final int firstGrpcfg = firstWriteIn(t, 0x400, 0x480);
            final int lastGrpcfg = lastWriteIn(t, 0x400, 0x480);
            final int enableDevice = cmdWrite(t, 0x0010_0000L, 0);
            final int enableWq0 = cmdWrite(t, 0x0060_0000L, 0);
            final int enableWq1 = cmdWrite(t, 0x0060_0001L, 0);
            final int enableWq2 = cmdWrite(t, 0x0060_0002L, 0);
            int swerr = -1;
            for (int i = t.size() - 1; i >= 0; i--) {
                if (t.get(i).kind() == Kind.MMIO_READ && t.get(i).offset() == 0xC0) {
                    swerr = i;
                    break;
                }
            }
            assertTrue(pci >= 0 && pci < reset, "PCI enable before the first command");
            assertTrue(reset >= 0, "reset device issued");
            for (int cap : new int[] {version, gencap, wqcap, grpcap, engcap, tableOffset}) {
                assertTrue(cap > reset, "capabilities read after reset");
                assertTrue(cap < firstWqcfg, "capabilities read before WQCFG is written");
            }
            assertEquals(0x0000_0003_0005_0004L, t.get(tableOffset).value());
            assertTrue(lastWqcfg < firstGrpcfg, "every WQCFG entry before GRPCFG");
            assertTrue(lastGrpcfg < enableDevice, "GRPCFG before enable device");
            assertTrue(enableDevice < enableWq0 && enableWq0 < enableWq1 && enableWq1 < enableWq2, "then each WQ");
            assertTrue(swerr > enableWq2, "SWERR checked at the end");
            assertEquals(0L, t.get(swerr).value());
            // every command was followed by a CMDSTS read with bit 31 clear and error 0 before the next one
            for (int i = 0; i < t.size(); i++) {
                if (t.get(i).isMmioWrite(0xA0)) {
                    int j = i + 1;
                    while (!(t.get(j).kind() == Kind.MMIO_READ && t.get(j).offset() == 0xA8)) {
                        assertTrue(!t.get(j).isMmioWrite(0xA0), "a command before the previous completed");
                        j++;
                    }
                    assertEquals(0L, t.get(j).value() & 0x8000_00FFL, "command at " + i);
                }
            }
            // no access outside config space and BAR0 registers: the tables were found through TABLE_OFFSET
            for (RegisterAccess a : t) {
                if (a.kind() == Kind.MMIO_WRITE) {
                    assertTrue(a.offset() < 0x600 || (a.offset() >= 0x2000 && a.offset() < 0x2090), a.toString());
                }
            }
            assertEquals(0x500, driver.wqcfgOffset());
            assertEquals(0x400, driver.grpcfgOffset());
            assertEquals(0x300, driver.msixPermOffset());
            assertEquals(List.of("reset device -> 0x0", "enable device -> 0x0", "enable WQ -> 0x0",
                "request interrupt handle -> 0x0", "enable WQ -> 0x0", "request interrupt handle -> 0x0",
                "enable WQ -> 0x0", "request interrupt handle -> 0x0"), dev.commandLog());

            // and the device works: a guest-kernel memmove on the dedicated WQ 1, guest-physical addresses
            final long src = driver.allocateDma(8192);
            final long dst = driver.allocateDma(8192);
            final long rec = driver.allocateDma(4096);
            final byte[] data = MdevFixture.random(8192, 1);
            g.memory().write(src, data);
            final CompletionRecord cr = driver.completionRecord(rec).arm();
            final Descriptor d = MdevFixture.memmove(driver.descriptor(), src, dst, 8192, rec);
            assertEquals(PortalResult.POSTED, driver.submitKernel(1, d, true));
            assertEquals(0x01, MdevFixture.await(cr));
            assertArrayEquals(data, g.memory().read(dst, 8192));
        }
    }

    @Test
    void eachVirtualDeviceTypeComesUp() {
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g = f.guest("vm");
            final GuestDriver dwq = f.driver(f.vdev(VdevType.DEDICATED_WQ, g), g);
            dwq.bringUp(false, DeviceSetup.oneGroup(1, WqSetup.dedicatedKernel(0, 16, 0)));
            assertEquals(0x0002_0000_0000_0000L, dwq.wqcap() & 0x0003_0000_0000_0000L); // dedicated only
            final GuestDriver swq = f.driver(f.vdev(VdevType.SHARED_WQ, g), g);
            swq.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0)));
            assertEquals(0x0001_0000_0000_0000L, swq.wqcap() & 0x0003_0000_0000_0000L); // shared only
            assertEquals(2, f.mdev.devices().size());
        }
    }
}
