package io.softdsa.mdev;

import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every command, and every CMDSTS error code a guest can reach, with the fact sheet's literal codes. */
class CommandStatusTest {
    private MdevFixture f;
    private GuestDomain guest;

    @BeforeEach
    void up() {
        f = new MdevFixture();
        guest = f.guest("vm");
    }

    @AfterEach
    void down() {
        f.close();
    }

    private Regs swq() {
        return new Regs(f.vdev(VdevType.SHARED_WQ, guest));
    }

    private Regs dwq() {
        return new Regs(f.vdev(VdevType.DEDICATED_WQ, guest));
    }

    private Regs slice() {
        return new Regs(f.track(f.mdev.createSlice(guest, 5, 6, 7)));
    }

    @Test
    void everyCommandSucceedsInItsValidCase() {
        final Regs d = swq().pci(true).sharedWq(0, 16).group(0, 1, 1, 0);
        final int gpasid = guest.iommu().allocatePasid();
        assertEquals(0x00, d.err(0x5, 0));                  // reset device
        d.sharedWq(0, 16).group(0, 1, 1, 0);
        assertEquals(0x00, d.err(0x1, 0));                  // enable device
        assertEquals(0x00, d.err(0x6, 0));                  // enable WQ 0
        assertEquals(0x00, d.err(0x8, Regs.wqOperand(0)));  // drain WQ
        assertEquals(0x00, d.err(0x9, Regs.wqOperand(0)));  // abort WQ
        assertEquals(0x00, d.err(0x3, 0));                  // drain all
        assertEquals(0x00, d.err(0x4, 0));                  // abort all
        assertEquals(0x00, d.err(0xB, gpasid));             // drain PASID
        assertEquals(0x00, d.err(0xC, gpasid));             // abort PASID
        final int sts = d.cmd(0xD, 1);                      // request interrupt handle for vector 1
        assertEquals(0x00, sts & 0xFF);
        final int handle = (sts >>> 8) & 0xFFFF;
        assertTrue(handle > 0);
        assertEquals(sts & ~0xFF, d.cmd(0xD, 1) & ~0xFF, "one handle per vector");
        assertEquals(0x00, d.err(0xE, handle));             // release it
        assertEquals(0x00, d.err(0x7, Regs.wqOperand(0)));  // disable WQ
        assertEquals(0x00, d.err(0x7, Regs.wqOperand(0)));  // disabling a disabled WQ is a no-op
        assertEquals(0x00, d.err(0x6, 0));
        assertEquals(0x00, d.err(0xA, Regs.wqOperand(0)));  // reset WQ: disabled and WQCFG back to reset
        assertEquals(0L, d.r(0x500, 4));
        assertEquals(0L, d.r(0x518, 4) & 0xC000_0000L);
        assertEquals(0x00, d.err(0x2, 0));                  // disable device
        assertEquals(0L, d.r(0x90, 4));
        assertTrue(d.dev.commandLog().contains("reset WQ -> 0x0"), d.dev.commandLog().toString());
    }

    @Test
    void invalidCommandAndWqIndex() {
        final Regs d = swq().pci(true).sharedWq(0, 16).group(0, 1, 1, 0);
        assertEquals(0x01, d.err(0x0, 0));
        assertEquals(0x01, d.err(0xF, 0));
        assertEquals(0x01, d.err(0x1F, 0));
        assertEquals(0x00, d.err(0x1, 0));
        assertEquals(0x02, d.err(0x6, 1));                  // enable WQ 1 of a 1-WQ device
        assertEquals(0x02, d.err(0x7, 0));                  // no WQ named
        assertEquals(0x02, d.err(0x8, Regs.wqOperand(1)));  // bit 1: WQ 1
        assertEquals(0x02, d.err(0x9, Regs.wqOperand(16))); // block 1, bit 0: WQ 16
        assertEquals(0x02, d.err(0xA, 0x3));                // WQ 0 and WQ 1
    }

    @Test
    void enableDeviceErrors() {
        final Regs d = swq();
        d.dev.configWrite(0x04, 2, 0x2);                     // memory space only
        d.sharedWq(0, 16).group(0, 1, 1, 0);
        assertEquals(0x12, d.err(0x1, 0));                  // bus master not enabled
        d.dev.configWrite(0x04, 2, 0x6);
        d.dev.configWrite(0x116, 2, 0x1);                   // PASID without PRI and ATS
        assertEquals(0x11, d.err(0x1, 0));
        d.dev.configWrite(0x124, 2, 0x1);                   // + PRI, still no ATS
        assertEquals(0x11, d.err(0x1, 0));
        d.dev.configWrite(0x106, 2, 0x8000);
        d.sharedWq(0, 17);                                  // above the total WQ size 16
        assertEquals(0x14, d.err(0x1, 0));
        d.sharedWq(0, 16);
        d.group(0, 1, 1, (33L << 20));                      // 33 read buffers allowed of 32
        assertEquals(0x15, d.err(0x1, 0));
        d.group(0, 1, 1, (10L << 8) | (5L << 20));          // reserved 10 > allowed 5
        assertEquals(0x15, d.err(0x1, 0));
        d.group(0, 1, 0, 0);                                // a group with a WQ and no engine
        assertEquals(0x18, d.err(0x1, 0));
        d.group(0, 1, 1, 0);
        assertEquals(0x00, d.err(0x1, 0));
        assertEquals(0x10, d.err(0x1, 0));                  // already enabled
    }

    @Test
    void groupConfigurationErrorsOfASlice() {
        // slice over host groups 2 (engine 0 of the slice) and 3 (engine 1)
        final Regs d = slice().pci(true).sharedWq(0, 16).dedicatedWq(1, 16).sharedWq(2, 16);
        d.group(0, 0x7, 0x1, 0).group(1, 0x1, 0x2, 0);     // WQ 0 in both groups
        assertEquals(0x16, d.err(0x1, 0));
        d.group(0, 0x3, 0x1, 0).group(1, 0x4, 0x1, 0);     // engine 0 in both groups
        assertEquals(0x17, d.err(0x1, 0));
        d.group(0, 0x7, 0x3, 0).group(1, 0, 0, 0);         // engines of two host groups in one group
        assertEquals(0x18, d.err(0x1, 0));
        d.group(0, 0x3, 0x1, 0).group(1, 0x4, 0x2, 0);     // the host slice's grouping
        assertEquals(0x00, d.err(0x1, 0));
        assertEquals(0x00, d.err(0x6, 0));
        assertEquals(0x00, d.err(0x6, 1));
        assertEquals(0x00, d.err(0x6, 2));
    }

    @Test
    void enableWqErrors() {
        final Regs d = swq().pci(true).sharedWq(0, 16).group(0, 1, 1, 0);
        assertEquals(0x20, d.err(0x6, 0));                  // device not enabled
        assertEquals(0x00, d.err(0x1, 0));
        d.wq(0, 0, 0, (1 << 28) | (10 << 4), 21);
        assertEquals(0x22, d.err(0x6, 0));                  // size 0
        d.wq(0, 16, 0, (1 << 28) | (10 << 4), 21);
        assertEquals(0x22, d.err(0x6, 0));                  // shared WQ threshold 0
        d.wq(0, 8, 9, (1 << 28) | (10 << 4), 21);
        assertEquals(0x22, d.err(0x6, 0));                  // threshold above size
        d.wq(0, 16, 16, (1 << 28), 21);
        assertEquals(0x23, d.err(0x6, 0));                  // priority 0
        d.wq(0, 16, 0, 1 | (1 << 28) | (10 << 4), 21);
        assertEquals(0x24, d.err(0x6, 0));                  // dedicated mode on a shared-only device
        d.wq(0, 16, 16, 0x2 | 0x8 | (1 << 28) | (10 << 4), 21);
        assertEquals(0x25, d.err(0x6, 0));                  // BOF with PRS disabled
        d.wq(0, 16, 16, (10 << 4), 21);
        assertEquals(0x26, d.err(0x6, 0));                  // shared WQ without PASID enable
        d.wq(0, 16, 16, (1 << 28) | (10 << 4), 21 | (11 << 5));
        assertEquals(0x27, d.err(0x6, 0));                  // batch shift 11 > GENCAP 10
        d.wq(0, 16, 16, (1 << 28) | (10 << 4), 31 | (5 << 5));
        assertEquals(0x28, d.err(0x6, 0));                  // transfer shift 31 > GENCAP 30
        d.sharedWq(0, 16);
        assertEquals(0x00, d.err(0x6, 0));
        assertEquals(0x21, d.err(0x6, 0));                  // already enabled
    }

    @Test
    void dedicatedWqPasidErrors() {
        final Regs d = dwq();
        d.dev.configWrite(0x04, 2, 0x6);                     // no PASID capability enabled
        d.dedicatedWq(0, 16).group(0, 1, 1, 0);
        assertEquals(0x00, d.err(0x1, 0));
        d.wq(0, 16, 0, 0x1 | 0x2 | (10 << 4), 21);
        assertEquals(0x25, d.err(0x6, 0));                  // BOF without PRI enabled
        d.wq(0, 16, 0, 0x1 | (1 << 28) | (7 << 8) | (10 << 4), 21);
        assertEquals(0x26, d.err(0x6, 0));                  // PASID enable with the PASID capability off
        d.dev.configWrite(0x106, 2, 0x8000);
        d.dev.configWrite(0x116, 2, 0x1);
        d.dev.configWrite(0x124, 2, 0x1);
        assertEquals(0x13, d.err(0x6, 0));                  // guest PASID 7 was never allocated
        assertEquals(0x13, d.err(0xB, 7));                  // drain PASID 7
        assertEquals(0x13, d.err(0xC, 7));                  // abort PASID 7
        final int p = guest.iommu().allocatePasid();
        d.wq(0, 16, 0, 0x1 | (1 << 28) | (p << 8) | (10 << 4), 21);
        assertEquals(0x00, d.err(0x6, 0));
        assertEquals(0x00, d.err(0xC, p));
        d.wq(0, 32, 0, 0x1 | (10 << 4), 21);                // beyond the host reservation (WQ enabled: ignored)
        assertEquals(16L, d.r(0x500, 4));
    }

    @Test
    void sizeBeyondTheHostReservationIsASizeError() {
        final Regs d = slice().pci(true);
        // the slice's total is 48 (3 x 16) but each WQ's reservation is 16
        d.sharedWq(0, 20).dedicatedWq(1, 4).sharedWq(2, 4).group(0, 0x3, 0x1, 0).group(1, 0x4, 0x2, 0);
        assertEquals(0x14, d.err(0x1, 0));
        d.sharedWq(0, 16);
        assertEquals(0x00, d.err(0x1, 0));
        d.sharedWq(2, 17);                                  // written while the device is enabled, WQ disabled
        assertEquals(0x22, d.err(0x6, 2));
        assertEquals(16, f.host.device().wq(7).config().size(), "host WQ untouched");
    }

    @Test
    void disableAndWqCommandsNeedAnEnabledDevice() {
        final Regs d = swq().pci(true);
        assertEquals(0x31, d.err(0x2, 0));                  // disable device while disabled
        assertEquals(0x32, d.err(0x7, Regs.wqOperand(0)));  // disable WQ
        assertEquals(0x32, d.err(0x8, Regs.wqOperand(0)));  // drain WQ
        assertEquals(0x32, d.err(0x9, Regs.wqOperand(0)));  // abort WQ
        assertEquals(0x32, d.err(0xA, Regs.wqOperand(0)));  // reset WQ
        assertEquals(0x32, d.err(0x3, 0));                  // drain all
        assertEquals(0x32, d.err(0x4, 0));                  // abort all
        assertEquals(0x32, d.err(0xB, 1));                  // drain PASID
        assertEquals(0x32, d.err(0xC, 1));                  // abort PASID
    }

    @Test
    void interruptHandleErrors() {
        final Regs d = swq().pci(true);
        assertEquals(0x41, d.err(0xD, 0));                  // vector 0 is the misc interrupt
        assertEquals(0x41, d.err(0xD, 9));                  // past the 9-entry MSI-X table
        assertEquals(0x42, d.err(0xD, 0x10001));            // IMS: the virtual device has none
        assertEquals(0x41, d.err(0xE, 0x7FF));              // not this device's handle
        assertEquals(0x41, d.err(0xE, 0x10000 | 1));        // IMS release
        // a handle of another guest's device is not releasable here
        final Regs other = new Regs(f.vdev(VdevType.DEDICATED_WQ, f.guest("vm2"))).pci(false);
        final int theirs = (other.cmd(0xD, 1) >>> 8) & 0xFFFF;
        assertEquals(0x41, d.err(0xE, theirs));
        // the host's pool runs dry: no handle available
        final var pool = f.host.interruptHandles();
        final Object hog = new Object();
        while (pool.allocate(hog, h -> { }) > 0) {
            // exhaust
        }
        assertEquals(0x42, d.err(0xD, 2));
        assertEquals(0x00, other.err(0xE, theirs));
        assertEquals(0x00, d.err(0xD, 2));                  // the released one is handed out again
    }

    @Test
    void hostFailureIsAHardwareError() {
        final Regs d = swq().pci(true).sharedWq(0, 16).group(0, 1, 1, 0);
        assertEquals(0x00, d.err(0x1, 0));
        f.host.device().disable();                          // the host's device goes away under the guest
        assertEquals(0x03, d.err(0x6, 0));
        f.host.device().enable();
        assertEquals(0x00, d.err(0x6, 0));
    }

    @Test
    void commandCompletionInterruptSetsIntcause() {
        final Regs d = swq().pci(true);
        d.w(0xA0, 4, 0x8000_0000L | (0xD << 20) | 1);
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while ((d.r(0xA8, 4) & 0x8000_0000L) != 0) {
            assertTrue(System.nanoTime() < deadline);
        }
        assertEquals(0x2L, d.r(0x98, 4));
    }
}
