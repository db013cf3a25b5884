package io.softdsa.mdev;

import io.softdsa.mdev.pci.PciConfigSpace;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The virtual function's configuration space: identity, BARs, capabilities; RO, RW and W1C bits (literal values). */
class PciConfigSpaceTest {
    private static MdevFixture f;
    private static VirtualDsa dev;

    @BeforeAll
    static void up() {
        f = new MdevFixture();
        final GuestDomain g = f.guest("vm");
        dev = f.vdev(VdevType.SHARED_WQ, g);
    }

    @AfterAll
    static void down() {
        f.close();
    }

    /** Writes all ones, reads back, restores. */
    private static int probe(int offset, int width) {
        final int before = dev.configRead(offset, width);
        dev.configWrite(offset, width, -1);
        final int after = dev.configRead(offset, width);
        dev.configWrite(offset, width, before);
        return after;
    }

    @Test
    void identityIsReadOnly() {
        assertEquals(0x0B258086, dev.configRead(0x00, 4));
        dev.configWrite(0x00, 4, 0x12345678);
        assertEquals(0x8086, dev.configRead(0x00, 2));
        assertEquals(0x0B25, dev.configRead(0x02, 2));
        assertEquals(0x01, dev.configRead(0x08, 1));            // revision
        assertEquals(0x088000, dev.configRead(0x08, 4) >>> 8);   // class code: system peripheral, other
        assertEquals(0x00, dev.configRead(0x0E, 1));             // header type 0
        assertEquals(0x40, dev.configRead(0x34, 1));             // capability pointer
        assertEquals(0x8086, dev.configRead(0x2C, 2));           // subsystem vendor
        assertEquals(0x00, dev.configRead(0x3D, 1));             // no INTx pin
        assertEquals(0x01, probe(0x08, 4) & 0xFF);               // revision stays
        assertEquals(0x00, probe(0x30, 4));                      // no expansion ROM
    }

    @Test
    void commandRegisterHasOnlyItsReadWriteBits() {
        assertEquals(0x0000, dev.configRead(0x04, 2));
        assertEquals(0x0546, probe(0x04, 2)); // memory, bus master, parity, SERR, INTx disable
    }

    @Test
    void statusBitsAreReadOnlyOrWriteOneToClear() {
        assertEquals(0x0010, dev.configRead(0x06, 2));            // capability list
        assertEquals(0x0010, probe(0x06, 2));                     // writing 1s sets nothing
        final PciConfigSpace cs = new PciConfigSpace(0x10000, 0x4000, 9, 0x2000, 0x3000);
        cs.registers().setBits(0x06, 2, 0x2000 | 0x0100);         // the device signals master abort, parity error
        assertEquals(0x2110, cs.read(0x06, 2));
        cs.write(0x06, 2, 0x0100);                                 // W1C one of them
        assertEquals(0x2010, cs.read(0x06, 2));
        cs.write(0x06, 2, 0x0000);                                 // writing 0 clears nothing
        assertEquals(0x2010, cs.read(0x06, 2));
        cs.write(0x04, 4, 0xFFFF_0000);                            // a dword write through command into status
        assertEquals(0x0010, cs.read(0x06, 2));
        assertEquals(0x0000, cs.read(0x04, 2));
        cs.registers().setBits(0x4A, 2, 0xF);                     // PCIe device status errors, W1C
        cs.write(0x4A, 2, 0x5);
        assertEquals(0xA, cs.read(0x4A, 2));
    }

    @Test
    void barsSizeBySixtyFourBitPrefetchableProbe() {
        assertEquals(0x0000000C, dev.configRead(0x10, 4));
        assertEquals(0xFFFF000C, probe(0x10, 4));      // BAR0: 64 KiB
        assertEquals(0xFFFFFFFF, probe(0x14, 4));      // upper half all writable
        assertEquals(0xFFFFC00C, probe(0x18, 4));      // BAR2: one WQ = 4 portal pages = 16 KiB
        assertEquals(0x00000000, probe(0x20, 4));      // BAR4 not implemented
        dev.configWrite(0x10, 4, 0xFEDC_1234);
        assertEquals(0xFEDC_000C, dev.configRead(0x10, 4));
        dev.configWrite(0x10, 4, 0);
    }

    @Test
    void msixCapability() {
        assertEquals(0x8010, dev.configRead(0x40, 2));           // PCIe cap, next 0x80
        assertEquals(0x0092, dev.configRead(0x42, 2));
        assertEquals(1 << 28, dev.configRead(0x44, 4));          // FLR capable
        assertEquals(0x0011, dev.configRead(0x80, 2));           // MSI-X, last in the list
        assertEquals(0x0008, dev.configRead(0x82, 2));           // 9 vectors, disabled, unmasked
        assertEquals(0xC008, probe(0x82, 2));                    // enable and function mask RW, size RO
        assertEquals(0x00002000, dev.configRead(0x84, 4));       // table at BAR0 + 0x2000
        assertEquals(0x00003000, dev.configRead(0x88, 4));       // PBA at BAR0 + 0x3000
        assertEquals(0x00002000, probe(0x84, 4));
    }

    @Test
    void atsPasidPriExtendedCapabilities() {
        assertEquals(0x1101000F, dev.configRead(0x100, 4)); // ATS v1, next 0x110
        assertEquals(0x0020, dev.configRead(0x104, 2));
        assertEquals(0x0000, dev.configRead(0x106, 2));
        assertEquals(0x801F, probe(0x106, 2));               // enable, STU
        assertEquals(0x1201001B, dev.configRead(0x110, 4)); // PASID v1, next 0x120
        assertEquals(0x1404, dev.configRead(0x114, 2));     // 20-bit PASIDs, privileged mode supported
        assertEquals(0x1404, probe(0x114, 2));
        assertEquals(0x0005, probe(0x116, 2));               // enable, privileged mode enable
        assertEquals(0x00010013, dev.configRead(0x120, 4)); // PRI v1, end of list
        assertEquals(0x0000, dev.configRead(0x124, 2));
        assertEquals(0x0001, probe(0x124, 2));               // enable only (reset reads 0)
        assertEquals(0x8100, dev.configRead(0x126, 2));     // stopped, PASID required
        assertEquals(0x8100, probe(0x126, 2));
        assertEquals(512, dev.configRead(0x128, 4));
        assertEquals(0xFFFFFFFF, probe(0x12C, 4));
    }

    @Test
    void priStatusIsWriteOneToClear() {
        final PciConfigSpace cs = new PciConfigSpace(0x10000, 0x4000, 9, 0x2000, 0x3000);
        cs.setPriStatus(0x3);
        assertEquals(0x8103, cs.read(0x126, 2));
        cs.write(0x126, 2, 0x1);
        assertEquals(0x8102, cs.read(0x126, 2));
        cs.write(0x124, 4, 0x0002_0000);  // the status half of a dword write
        assertEquals(0x8100, cs.read(0x126, 2));
    }

    @Test
    void outsideTheSpaceReadsAllOnesAndUnimplementedReadsZero() {
        assertEquals(0xFFFFFFFF, dev.configRead(4096, 4));
        assertEquals(0xFF, dev.configRead(-1, 1));
        assertEquals(0, dev.configRead(0x200, 4));
        assertEquals(0, probe(0x200, 4));
        assertEquals(0, probe(0xFFC, 4));
    }

    @Test
    void functionLevelResetReadsZeroAndResetsTheFunction() {
        final PciConfigSpace cs = new PciConfigSpace(0x10000, 0x4000, 9, 0x2000, 0x3000);
        final boolean[] flr = new boolean[1];
        cs.effects(new PciConfigSpace.Effects() {
            @Override
            public void functionLevelReset() {
                flr[0] = true;
            }

            @Override
            public void msixControlChanged() {
            }

            @Override
            public void priReset() {
            }
        });
        assertEquals(0x2810, cs.read(0x48, 2));
        cs.write(0x48, 2, 0x8000 | 0x2810);
        assertTrue(flr[0]);
        assertEquals(0x2810, cs.read(0x48, 2) & 0xFFFF); // bit 15 reads 0
        // through the virtual device: an FLR puts the command register back to 0
        dev.configWrite(0x04, 2, 0x6);
        assertEquals(0x6, dev.configRead(0x04, 2));
        dev.configWrite(0x48, 2, 0x8000);
        assertEquals(0x0, dev.configRead(0x04, 2));
    }
}
