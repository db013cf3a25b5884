package io.softdsa.mdev;

import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BAR0 of the virtual device against the fact sheet's literal offsets, widths and reset values, and the access
 * semantics of every register: read-only, read-write (with exactly its writable bits), write-1-to-clear, locked while
 * enabled.
 */
class Bar0RegisterTest {
    /** OPCAP word 0: opcodes 0x00-0x0A, 0x10-0x15, 0x17, 0x20 (fact sheet section 2). */
    private static final long OPCAP0 = 0x0000_0001_00BF_07FFL;

    private MdevFixture f;
    private VirtualDsa dev;   // dsa-1swq over host WQ 3 (size 16, max transfer 2^30, max batch 1024)
    private VirtualDsa slice; // dsa-slice over host WQs 5, 6, 7 (groups 2 and 3, engines 2 and 3)

    @BeforeEach
    void up() {
        f = new MdevFixture();
        final GuestDomain g = f.guest("vm");
        dev = f.vdev(VdevType.SHARED_WQ, g);
        slice = f.track(f.mdev.createSlice(f.guest("vm2"), 5, 6, 7));
        dev.configWrite(0x04, 2, 0x2);   // memory space
        slice.configWrite(0x04, 2, 0x2);
    }

    @AfterEach
    void down() {
        f.close();
    }

    private long r(VirtualDsa d, int offset, int width) {
        return d.mmioRead(0, offset, width);
    }

    private void w(VirtualDsa d, int offset, int width, long value) {
        d.mmioWrite(0, offset, width, value);
    }

    /** Writes all ones, reads back (does not restore). */
    private long ones(VirtualDsa d, int offset, int width) {
        w(d, offset, width, -1L);
        return r(d, offset, width);
    }

    private int command(VirtualDsa d, int cmd) {
        w(d, 0xA0, 4, cmd & 0xFFFF_FFFFL);
        long sts;
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (((sts = r(d, 0xA8, 4)) & 0x8000_0000L) != 0) {
            assertTrue(System.nanoTime() < deadline, "command stuck");
            LockSupport.parkNanos(10_000);
        }
        return (int) sts;
    }

    @Test
    void capabilityRegistersHoldTheirValuesAndIgnoreWrites() {
        assertEquals(0x200, r(dev, 0x00, 4));
        // BOF, overlap, cache control x2, CMDCAP, readbacks, max transfer 2^30, max batch 2^10, configurable
        assertEquals(0x815E_031FL, r(dev, 0x10, 8));
        // total size 16, 1 WQ, 64-byte WQCFG, shared only, ATS, priority, occupancy, op config, PRS
        assertEquals(0x00DD_0000_0101_0010L, r(dev, 0x20, 8));
        assertEquals(0x0003_2001L, r(dev, 0x30, 8));  // 1 group, 32 read buffers, RB control and limit
        assertEquals(1L, r(dev, 0x38, 8));             // 1 engine
        assertEquals(OPCAP0, r(dev, 0x40, 8));
        assertEquals(0L, r(dev, 0x48, 8));
        assertEquals(0L, r(dev, 0x50, 8));
        assertEquals(0L, r(dev, 0x58, 8));
        assertEquals(0x0000_0003_0005_0004L, r(dev, 0x60, 8)); // GRPCFG 0x400, WQCFG 0x500, MSI-X perm 0x300
        assertEquals(0L, r(dev, 0x68, 8));                     // no IMS, no PERFMON
        assertEquals(0x7FFEL, r(dev, 0xB0, 4));               // commands 1..0xE
        for (int off : new int[] {0x00, 0x10, 0x20, 0x30, 0x38, 0x40, 0x60, 0xB0}) {
            final long before = r(dev, off, 8);
            assertEquals(before, ones(dev, off, 8), "offset 0x" + Integer.toHexString(off));
        }
        // the slice: 3 WQs (48 entries), both modes, 2 groups (64 read buffers), 2 engines
        assertEquals(0x00DF_0000_0103_0030L, r(slice, 0x20, 8));
        assertEquals(0x0003_4002L, r(slice, 0x30, 8));
        assertEquals(2L, r(slice, 0x38, 8));
    }

    @Test
    void narrowAndWideAccessesSeeTheSameBytes() {
        assertEquals(0x00, r(dev, 0x00, 1));
        assertEquals(0x02, r(dev, 0x01, 1));
        assertEquals(0x0200, r(dev, 0x00, 2));
        assertEquals(0x1FL, r(dev, 0x10, 1));
        assertEquals(0x815EL, r(dev, 0x12, 2));
        assertEquals(0x815E_031FL, r(dev, 0x10, 4));
        assertEquals(0L, r(dev, 0x14, 4));
        w(dev, 0x89, 1, 0xFF);                 // GENCTRL byte 1: no writable bits
        assertEquals(0L, r(dev, 0x88, 4));
        w(dev, 0x88, 2, 0xFFFF);
        assertEquals(0x3L, r(dev, 0x88, 4));
        w(dev, 0x88, 8, 0);                    // a 64-bit write covering GENCTRL and the hole after it
        assertEquals(0L, r(dev, 0x88, 8));
    }

    @Test
    void controlRegistersResetValuesAndWritableBits() {
        assertEquals(0L, r(dev, 0x80, 4));
        assertEquals(0xFFL, ones(dev, 0x80, 4));      // GENCFG: read-buffer limit only
        assertEquals(0L, r(dev, 0x88, 4));
        assertEquals(0x3L, ones(dev, 0x88, 4));       // GENCTRL: SWERR and halt interrupt enables
        assertEquals(0L, r(dev, 0x90, 4));
        assertEquals(0L, ones(dev, 0x90, 4));         // GENSTS read-only
        assertEquals(0L, r(dev, 0x98, 4));
        assertEquals(0L, ones(dev, 0x98, 4));         // INTCAUSE: W1C, writing 1s to clear bits sets nothing
        assertEquals(0L, r(dev, 0xA8, 4));
        assertEquals(0L, ones(dev, 0xA8, 4));         // CMDSTS read-only
        for (int off = 0xC0; off < 0x100; off += 8) {
            assertEquals(0L, r(dev, off, 8), "SWERR/EVL at 0x" + Integer.toHexString(off));
            assertEquals(0L, ones(dev, off, 8));
        }
        assertEquals(0L, r(dev, 0x08, 8));            // holes read 0
        assertEquals(0L, ones(dev, 0x1000, 8));
        assertEquals(0L, ones(dev, 0xFFF8, 8));
    }

    @Test
    void cmdKeepsItsFieldsAndDropsReservedBits() {
        // request interrupt handle for vector 1 with reserved bits 30:25 set: CMD reads them back as 0
        final int sts = command(dev, 0x7E00_0000 | (0xD << 20) | 1);
        assertEquals(0, sts & 0xFF);
        assertEquals((0xD << 20) | 1, (int) r(dev, 0xA0, 4));
        assertTrue(((sts >>> 8) & 0xFFFF) > 0, "handle in CMDSTS result");
    }

    @Test
    void intcauseIsWriteOneToClear() {
        assertEquals(0, command(dev, 0x8000_0000 | (0xD << 20) | 1) & 0xFF); // completion interrupt requested
        assertEquals(0x2L, r(dev, 0x98, 4));
        w(dev, 0x98, 4, 0x0);
        assertEquals(0x2L, r(dev, 0x98, 4));
        w(dev, 0x98, 4, 0x1);
        assertEquals(0x2L, r(dev, 0x98, 4));
        w(dev, 0x98, 4, 0x2);
        assertEquals(0x0L, r(dev, 0x98, 4));
    }

    @Test
    void swerrLatchesOverflowsAndClearsByWritingOnes() {
        final var d = new io.softdsa.descriptor.Descriptor(
            java.lang.foreign.Arena.ofAuto().allocate(64, 64), 0).opcode(0x03).pasid(0x1234);
        // MOVDIR64B-style store to a WQ that is not enabled: dropped into SWERR with code 0x31
        dev.portalWrite(0, d.segment(), 0, io.softdsa.mdev.vdev.PortalInstruction.MOVDIR64B, -1);
        final long w0 = r(dev, 0xC0, 8);
        // valid | descriptor valid | WQ index valid | code 0x31 | WQ 0 | opcode 3 | PASID 0x1234
        assertEquals(0x1L | 0x4 | 0x8 | (0x31L << 8) | (0x03L << 32) | (0x1234L << 40), w0);
        assertEquals(0x1L, r(dev, 0x98, 4) & 0x1);    // INTCAUSE software error
        dev.portalWrite(0, d.segment(), 0, io.softdsa.mdev.vdev.PortalInstruction.MOVDIR64B, -1);
        assertEquals(w0 | 0x2, r(dev, 0xC0, 8));      // second error: overflow, first entry kept
        w(dev, 0xC0, 8, ~0x3L);                        // writing 0 to valid/overflow and 1s elsewhere: nothing
        assertEquals(w0 | 0x2, r(dev, 0xC0, 8));
        w(dev, 0xC0, 8, 0x1);                          // clear valid: the register frees, overflow stays
        assertEquals(0x2L, r(dev, 0xC0, 8));
        w(dev, 0xC0, 1, 0x2);
        assertEquals(0x0L, r(dev, 0xC0, 8));
        w(dev, 0x98, 4, 0x1);
        assertEquals(0x0L, r(dev, 0x98, 4));
    }

    @Test
    void wqcfgResetValuesWritableBitsAndLockWhileEnabled() {
        final int wq = 0x500;
        assertEquals(0L, r(dev, wq, 8));
        assertEquals(0L, r(dev, wq + 8, 8));
        assertEquals(0L, r(dev, wq + 0x10, 8));
        assertEquals(0L, r(dev, wq + 0x18, 4));          // shared-only type: no mode support, disabled
        assertEquals(0x2000_0000L, r(slice, 0x500 + 0x18, 4)); // the slice: mode support
        assertEquals(OPCAP0, r(dev, wq + 0x20, 8));     // every supported opcode allowed
        assertEquals(0xFFFFL, ones(dev, wq, 4));
        assertEquals(0xFFFFL, ones(dev, wq + 4, 4));
        assertEquals(0x3FFF_FFFFL, ones(dev, wq + 8, 4));
        assertEquals(0x1FFL, ones(dev, wq + 0xC, 4));
        assertEquals(0L, ones(dev, wq + 0x10, 8));
        assertEquals(0L, ones(dev, wq + 0x18, 8));
        assertEquals(OPCAP0, ones(dev, wq + 0x20, 8));
        assertEquals(0L, ones(dev, wq + 0x28, 8));
        w(dev, wq + 0x20, 8, 0x8);                       // allow memmove only
        assertEquals(0x8L, r(dev, wq + 0x20, 8));
        // the slice's second WQ entry is 64 bytes further on; the area after the last WQ is a hole
        assertEquals(0x3FFF_FFFFL, ones(slice, 0x540 + 8, 4));
        assertEquals(0L, ones(slice, 0x5C0, 8));

        // configure and enable WQ 0: its entry is then read-only
        dev.configWrite(0x04, 2, 0x6);                   // + bus master
        dev.configWrite(0x106, 2, 0x8000);               // ATS
        dev.configWrite(0x116, 2, 0x1);                  // PASID
        dev.configWrite(0x124, 2, 0x1);                  // PRI
        w(dev, wq, 4, 16);
        w(dev, wq + 4, 4, 8);
        w(dev, wq + 8, 4, (1 << 28) | (5 << 4));         // shared, PASID enabled, priority 5
        w(dev, wq + 0xC, 4, 21 | (5 << 5));
        w(dev, wq + 0x20, 8, OPCAP0);
        w(dev, 0x400, 8, 0x1);                           // group 0: WQ 0
        w(dev, 0x420, 8, 0x1);                           //          engine 0
        assertEquals(0, command(dev, 1 << 20) & 0xFF);   // enable device
        assertEquals(0, command(dev, 6 << 20) & 0xFF);   // enable WQ 0
        assertEquals(0x4000_0000L, r(dev, wq + 0x18, 4) & 0xC000_0000L); // state: enabled
        w(dev, wq, 4, 3);
        w(dev, wq + 8, 4, 0);
        assertEquals(16L, r(dev, wq, 4));
        assertEquals((1L << 28) | (5 << 4), r(dev, wq + 8, 4));
        // GRPCFG and GENCFG are read-only while the device is enabled
        w(dev, 0x420, 8, 0);
        assertEquals(1L, r(dev, 0x420, 8));
        w(dev, 0x80, 4, 0x12);
        assertEquals(0L, r(dev, 0x80, 4));
        assertEquals(1L, r(dev, 0x90, 4));               // GENSTS enabled
        assertEquals(0, command(dev, (7 << 20) | 1) & 0xFF); // disable WQ 0
        w(dev, wq, 4, 3);
        assertEquals(3L, r(dev, wq, 4));                 // writable again (device still enabled)
    }

    @Test
    void grpcfgWritableBits() {
        assertEquals(0L, r(dev, 0x400, 8));
        assertEquals(0x1L, ones(dev, 0x400, 8));          // one WQ
        assertEquals(0L, ones(dev, 0x408, 8));
        assertEquals(0x1L, ones(dev, 0x420, 8));          // one engine
        assertEquals(0x0FF0_FFBFL, ones(dev, 0x428, 8));  // TC A/B, use RB limit, RB reserved, RB allowed
        assertEquals(0L, ones(dev, 0x430, 8));
        assertEquals(0L, ones(dev, 0x440, 8));            // no second group
        assertEquals(0x7L, ones(slice, 0x400, 8));        // the slice: 3 WQs
        assertEquals(0x3L, ones(slice, 0x420, 8));        //            2 engines
        assertEquals(0x0FF0_FFBFL, ones(slice, 0x468, 8)); //           group 1's flags
        assertEquals(0L, ones(slice, 0x480, 8));          //            no group 2
    }

    @Test
    void msixTablePbaAndPermissionTable() {
        for (int v = 0; v < 9; v++) {
            final int e = 0x2000 + 16 * v;
            assertEquals(0L, r(dev, e, 8));
            assertEquals(0L, r(dev, e + 8, 4));
            assertEquals(1L, r(dev, e + 12, 4));          // masked after reset
            assertEquals(0xFFFF_FFFF_FFFF_FFFCL, ones(dev, e, 8));
            assertEquals(0xFFFF_FFFFL, ones(dev, e + 8, 4));
            assertEquals(1L, ones(dev, e + 12, 4));
            assertEquals(0L, r(dev, 0x300 + 8 * v, 8));
            assertEquals(0xFFFF_F00CL, ones(dev, 0x300 + 8 * v, 8)); // ignore, PASID enable, PASID
        }
        assertEquals(0L, ones(dev, 0x2000 + 16 * 9, 8));  // past the table
        assertEquals(0L, ones(dev, 0x348, 8));
        assertEquals(0L, ones(dev, 0x3000, 8));           // PBA read-only
    }

    @Test
    void memoryDecodingOffReadsAllOnesAndDropsWrites() {
        dev.configWrite(0x04, 2, 0x0);
        assertEquals(0xFFFF_FFFFL, r(dev, 0x00, 4));
        assertEquals(-1L, r(dev, 0x10, 8));
        w(dev, 0x88, 4, 0x3);
        dev.configWrite(0x04, 2, 0x2);
        assertEquals(0L, r(dev, 0x88, 4));
    }
}
