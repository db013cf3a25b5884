package io.softdsa.mdev;

import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.SecondLevelTables;
import io.softdsa.mdev.guest.GuestProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attacks on the engine's kept DMA windows (commit 8f1cd0f: cached translations outlive the descriptor and serve the
 * next one of the same PASID context while no invalidation came in between) from inside a guest with nested
 * translation through mdev: two guest processes, and two guests, at the same virtual address alternating on the
 * shared host engine; a guest remapping a page (its invalidation forwarded by the virtual IOMMU) between
 * descriptors, and a guest driver that forgets to invalidate until later; a guest PASID freed and given to another
 * process under the same number; and the host's DMA dirty log (stage 2) after a report, when the last descriptor
 * wrote the very same page. Every expectation is a plain loop over guest frames the test filled itself; a guest frame
 * given up is poisoned when the invalidation returns and must stay poisoned.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeptWindowGuestAttackTest {
    private static final int PAGE = 4096;

    /**
     * Alternating descriptors of tenants that all use the same guest virtual address for data and record: two
     * processes of one guest, and a process of a second guest, on the host's shared engines.
     */
    @Test
    void sameGuestVirtualAddressInThreeTenantsAlternating() {
        try (MdevFixture f = new MdevFixture()) {
            final SvaGuestVm a = new SvaGuestVm(f, "vm-a");
            final SvaGuestVm b = new SvaGuestVm(f, "vm-b");
            final SvaGuestVm[] vms = {a, a, b};
            final GuestProcess[] ps = {a.driver.newProcess("a1"), a.driver.newProcess("a2"), b.driver.newProcess("b1")};
            final long[] va = new long[3];
            final long[] gpa = new long[3];
            final byte[][] model = new byte[3][PAGE];
            for (int t = 0; t < 3; t++) {
                va[t] = ps[t].allocate(PAGE);
                gpa[t] = ps[t].pageTables().physicalAddress(va[t]);
            }
            assertEquals(va[0], va[1]);
            assertEquals(va[0], va[2]);
            final SplittableRandom rnd = new SplittableRandom(11);
            for (int r = 0; r < 120; r++) {
                final int t = r % 3;
                final long rec = va[t] + 3968;
                final int off = rnd.nextInt(60) * 64;
                if (rnd.nextBoolean()) {
                    final int v = 0x20 + rnd.nextInt(0xC0);
                    assertEquals(0x01, vms[t].fill(ps[t], va[t] + off, 64, v, rec), "round " + r);
                    for (int i = 0; i < 64; i++) {
                        model[t][off + i] = (byte) v;
                    }
                } else {
                    final int to = rnd.nextInt(60) * 64;
                    assertEquals(0x01, vms[t].move(ps[t], va[t] + off, va[t] + to, 64, rec), "round " + r);
                    final byte[] tmp = java.util.Arrays.copyOfRange(model[t], off, off + 64);
                    for (int i = 0; i < 64; i++) {
                        model[t][to + i] = tmp[i];
                    }
                }
                for (int u = 0; u < 3; u++) {
                    vms[u].assertGuestFrame(gpa[u], java.util.Arrays.copyOf(model[u], 3968),
                        "tenant " + u + " after round " + r);
                }
            }
        }
    }

    /** The guest moves a page to another guest frame between descriptors (its invalidation forwarded). */
    @Test
    void aGuestRemapBetweenDescriptorsIsObeyed() {
        try (MdevFixture f = new MdevFixture()) {
            final SvaGuestVm vm = new SvaGuestVm(f, "vm");
            final GuestProcess p = vm.driver.newProcess("app");
            final long va = p.allocate(PAGE);
            final long rec = p.allocate(PAGE);
            final AddressSpace pt = p.pageTables();
            final long oldGpa = pt.physicalAddress(va);
            assertEquals(0x01, vm.fill(p, va, 128, 0x22, rec));
            final long newGpa = vm.frame((byte) 0x33);
            pt.map(va, newGpa, PAGE, AddressSpace.RW_USER); // the guest's invalidation goes to the host IOTLB
            vm.poison(oldGpa);
            assertEquals(0x01, vm.fill(p, va + 64, 64, 0x44, rec));
            assertEquals(0x01, vm.move(p, va, va + 1024, 128, rec));
            vm.assertGuestFrame(oldGpa, SvaGuestVm.filled(PAGE, SvaGuestVm.POISON), "the guest frame given up");
            final byte[] expected = SvaGuestVm.filled(PAGE, (byte) 0x33);
            for (int i = 64; i < 128; i++) {
                expected[i] = 0x44;
                expected[1024 + i] = 0x44;
            }
            vm.assertGuestFrame(newGpa, expected, "the new guest frame");
        }
    }

    /** A guest that forgets to invalidate may see stale use, but never once it has invalidated. */
    @Test
    void aForgetfulGuestDriverGetsStaleUseOnlyUntilItInvalidates() {
        try (MdevFixture f = new MdevFixture()) {
            final SvaGuestVm vm = new SvaGuestVm(f, "vm");
            final GuestProcess p = vm.driver.newProcess("app");
            final long va = p.allocate(PAGE);
            final long rec = p.allocate(PAGE);
            final AddressSpace pt = p.pageTables();
            final long oldGpa = pt.physicalAddress(va);
            assertEquals(0x01, vm.fill(p, va, 64, 0x22, rec));
            pt.invalidateOnChange(false);
            final long newGpa = vm.frame((byte) 0);
            pt.map(va, newGpa, PAGE, AddressSpace.RW_USER); // not invalidated
            assertEquals(0x01, vm.fill(p, va + 64, 64, 0x44, rec)); // either frame: stale use is allowed
            vm.g.iommu().invalidate(p.pasid(), va, PAGE); // now it remembers
            pt.invalidateOnChange(true);
            vm.poison(oldGpa);
            assertEquals(0x01, vm.fill(p, va + 128, 64, 0x55, rec));
            vm.assertGuestFrame(oldGpa, SvaGuestVm.filled(PAGE, SvaGuestVm.POISON),
                "the old guest frame after the invalidation");
            final long host = vm.g.memory().hostAddress(newGpa);
            for (int i = 128; i < 192; i++) {
                assertEquals(0x55, vm.g.memory().hostMemory().segment().get(ValueLayout.JAVA_BYTE, host + i));
            }
        }
    }

    /** A guest PASID freed and allocated to another process: the same number, the same VA, another frame. */
    @Test
    void aGuestPasidFreedAndGivenToAnotherProcessWritesOnlyTheNewProcess() {
        try (MdevFixture f = new MdevFixture()) {
            final SvaGuestVm vm = new SvaGuestVm(f, "vm");
            final GuestProcess first = vm.driver.newProcess("first");
            final long va = first.allocate(PAGE);
            final long gpa1 = first.pageTables().physicalAddress(va);
            assertEquals(0x01, vm.fill(first, va, 64, 0x22, va + 2048));
            final int pasid = first.pasid();
            first.close(); // unbind, free the tables and frames, free the guest PASID
            final GuestProcess second = vm.driver.newProcess("second");
            assertEquals(pasid, second.pasid(), "the same guest PASID number");
            final long va2 = second.allocate(PAGE);
            assertEquals(va, va2, "the same virtual address");
            final long gpa2 = second.pageTables().physicalAddress(va2);
            final long gpa1Host = vm.g.memory().hostAddress(gpa1);
            final byte[] before = new byte[64];
            for (int i = 0; i < 64; i++) {
                before[i] = vm.g.memory().hostMemory().segment().get(ValueLayout.JAVA_BYTE, gpa1Host + 64 + i);
            }
            assertEquals(0x01, vm.fill(second, va2 + 64, 64, 0x44, va2 + 2048));
            final byte[] expected = new byte[2048];
            for (int i = 64; i < 128; i++) {
                expected[i] = 0x44;
            }
            if (gpa2 != gpa1) {
                // whatever the first process's frame became (free, or a table of the second), the fill is not there
                for (int i = 0; i < 64; i++) {
                    assertEquals(before[i], vm.g.memory().hostMemory().segment().get(ValueLayout.JAVA_BYTE,
                        gpa1Host + 64 + i), "the first process's old frame, byte " + (64 + i));
                }
            }
            vm.assertGuestFrame(gpa2, expected, "the second process's frame");
        }
    }

    /**
     * The host logs DMA writes to guest memory (stage 2): a write after reportAndClearDirty is logged again even when
     * the previous descriptor wrote the same page. (Guest RAM may be backed by large stage-2 pages, which report every
     * page they cover, so "a page only read is not dirty" is left to the engine-level test with 4 KiB stage-2 pages.)
     */
    @Test
    void aGuestWriteAfterADirtyReportIsLoggedAgain() {
        try (MdevFixture f = new MdevFixture()) {
            final SvaGuestVm vm = new SvaGuestVm(f, "vm");
            final GuestProcess p = vm.driver.newProcess("app");
            final long va = p.allocate(2 * PAGE);
            final long rec = p.allocate(PAGE);
            final long gpaW = p.pageTables().physicalAddress(va);
            final SecondLevelTables s2 = vm.g.memory().stage2();
            s2.startDirtyLogging();
            for (int round = 0; round < 6; round++) {
                assertEquals(0x01, vm.fill(p, va + 64L * round, 64, 0x30 + round, rec));
                assertEquals(1L, s2.reportAndClearDirty(gpaW, PAGE, 12)[0], "round " + round + ": written");
                assertEquals(0x01, vm.fill(p, va + 1024 + 64L * round, 64, 0x40 + round, rec));
                assertEquals(1L, s2.reportAndClearDirty(gpaW, PAGE, 12)[0], "round " + round + ": written again");
                // a copy into the page (its source on the next page): the copy's write is logged too
                assertEquals(0x01, vm.move(p, va + PAGE, va + 2048, 64, rec));
                assertEquals(1L, s2.reportAndClearDirty(gpaW, PAGE, 12)[0], "round " + round + ": copy target");
            }
        }
    }
}
