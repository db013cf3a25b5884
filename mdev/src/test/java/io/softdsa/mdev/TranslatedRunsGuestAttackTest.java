package io.softdsa.mdev;

import io.softdsa.iommu.AddressSpace;
import io.softdsa.mdev.guest.GuestProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Attacks on the engine's translated-run cache (TranslatedRuns, commit 99c9e1f) from inside guests with nested
 * translation through mdev. Unlike the kept-window attacks, every tenant here first pushes its runs out of the
 * engine's four windows with descriptors on pages of their own, so that the next descriptor can only be served by
 * the cache behind them; then the guest remaps (its invalidation forwarded by the virtual IOMMU), frees its PASID, or
 * another guest at the very same addresses (and at addresses whose pages share a cache entry) takes the engine.
 * Expectations are plain byte loops over guest frames the test filled itself; a frame given up is poisoned once the
 * invalidation returned and must stay poisoned. Status literals from the fact sheet: 0x01 success.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TranslatedRunsGuestAttackTest {
    private static final int PAGE = 4096;
    private static final int SUCCESS = 0x01;
    private static final int PUSH_PAGES = 6;

    @Test
    void aGuestRemapAfterTheRunsLeftTheWindowsIsObeyed() {
        try (MdevFixture f = new MdevFixture()) {
            final SvaGuestVm vm = new SvaGuestVm(f, "vm");
            final GuestProcess p = vm.driver.newProcess("app");
            final long va = p.allocate(PAGE);
            final long rec = p.allocate(PAGE);
            final long push = p.allocate(2L * PUSH_PAGES * PAGE);
            final AddressSpace pt = p.pageTables();
            final long oldGpa = pt.physicalAddress(va);
            for (int round = 0; round < 3; round++) {
                assertEquals(SUCCESS, vm.fill(p, va, 128, 0x22, rec));
                assertEquals(SUCCESS, vm.move(p, va, va + 1024, 128, rec));
                vm.push(p, push, rec, PUSH_PAGES);
            }
            final long newGpa = vm.frame((byte) 0x33);
            pt.map(va, newGpa, PAGE, AddressSpace.RW_USER); // the guest's invalidation goes to the host IOTLB
            vm.fillFrame(oldGpa, SvaGuestVm.POISON);
            assertEquals(SUCCESS, vm.fill(p, va + 64, 64, 0x44, rec));
            assertEquals(SUCCESS, vm.move(p, va, va + 1024, 128, rec));
            vm.assertGuestFrame(oldGpa, SvaGuestVm.filled(PAGE, SvaGuestVm.POISON), "the guest frame given up");
            final byte[] expected = SvaGuestVm.filled(PAGE, 0x33);
            for (int i = 64; i < 128; i++) {
                expected[i] = 0x44;
                expected[1024 + i] = 0x44;
            }
            vm.assertGuestFrame(newGpa, expected, "the new guest frame");
            // and unmapped: the next write faults (0x03, bit 7 for a write) and the old frame stays as it was
            vm.push(p, push, rec, PUSH_PAGES);
            pt.unmap(va, PAGE);
            vm.fillFrame(newGpa, SvaGuestVm.POISON);
            assertEquals(0x80 | 0x03, vm.fill(p, va, 64, 0x55, rec), "a write to the unmapped page");
            assertEquals(va, vm.lastFaultAddress, "fault address in the record (bytes 8-15)");
            vm.assertGuestFrame(newGpa, SvaGuestVm.filled(PAGE, SvaGuestVm.POISON), "the unmapped page's frame");
        }
    }

    @Test
    void twoGuestsAtTheSameAndAtCollidingAddressesAlternatingReachOnlyTheirOwnFrames() {
        try (MdevFixture f = new MdevFixture()) {
            final SvaGuestVm[] vms = {new SvaGuestVm(f, "vm-a"), new SvaGuestVm(f, "vm-b")};
            final GuestProcess[] ps = {vms[0].driver.newProcess("a"), vms[1].driver.newProcess("b")};
            final long x = 0x5000_0000L;
            final long y = x ^ 0x10_1000L; // the page numbers' first two bytes differ in bit 0 both: same cache entry
            final long[][] gpa = new long[2][2];
            final long[] rec = new long[2];
            final long[] push = new long[2];
            final byte[][][] model = new byte[2][2][PAGE];
            for (int t = 0; t < 2; t++) {
                rec[t] = ps[t].allocate(PAGE);
                push[t] = ps[t].allocate(2L * PUSH_PAGES * PAGE);
                for (int b = 0; b < 2; b++) {
                    gpa[t][b] = vms[t].frame((byte) 0);
                    ps[t].pageTables().map(b == 0 ? x : y, gpa[t][b], PAGE, AddressSpace.RW_USER);
                }
            }
            assertEquals(rec[0], rec[1], "the same record address in both guests");
            final SplittableRandom rnd = new SplittableRandom(23);
            for (int round = 0; round < 40; round++) {
                final int t = rnd.nextInt(2);
                for (int k = 0; k < 3; k++) {
                    final int b = (round + k) % 2;
                    final int off = rnd.nextInt(PAGE / 64 - 2) * 64;
                    final int v = 0x20 + rnd.nextInt(0xD0);
                    assertEquals(SUCCESS, vms[t].fill(ps[t], (b == 0 ? x : y) + off, 128, v, rec[t]),
                        "round " + round);
                    java.util.Arrays.fill(model[t][b], off, off + 128, (byte) v);
                }
                if (round % 4 == 0) {
                    vms[t].push(ps[t], push[t], rec[t], PUSH_PAGES);
                }
                for (int u = 0; u < 2; u++) {
                    for (int b = 0; b < 2; b++) {
                        vms[u].assertGuestFrame(gpa[u][b], model[u][b], "guest " + u + " buffer " + b
                            + " after round " + round);
                    }
                }
            }
        }
    }

    @Test
    void aGuestPasidFreedWhileItsRunsAreCachedIsNotServedToTheNextProcessWithTheSameNumber() {
        try (MdevFixture f = new MdevFixture()) {
            final SvaGuestVm vm = new SvaGuestVm(f, "vm");
            final GuestProcess first = vm.driver.newProcess("first");
            final long va = first.allocate(PAGE);
            final long rec = first.allocate(PAGE);
            final long push = first.allocate(2L * PUSH_PAGES * PAGE);
            final long gpa1 = first.pageTables().physicalAddress(va);
            assertEquals(SUCCESS, vm.fill(first, va, 64, 0x22, rec));
            vm.push(first, push, rec, PUSH_PAGES);
            assertEquals(SUCCESS, vm.fill(first, va, 64, 0x23, rec));
            final int pasid = first.pasid();
            first.close(); // unbind, free its tables and frames, free the guest PASID
            final GuestProcess second = vm.driver.newProcess("second");
            assertEquals(pasid, second.pasid(), "the same guest PASID number");
            assertEquals(va, second.allocate(PAGE), "the same data VA");
            assertEquals(rec, second.allocate(PAGE), "the same record VA");
            final long gpa2 = second.pageTables().physicalAddress(va);
            final long gpa1Host = vm.g.memory().hostAddress(gpa1);
            final byte[] before = new byte[64];
            for (int i = 0; i < 64; i++) {
                before[i] = vm.g.memory().hostMemory().segment().get(ValueLayout.JAVA_BYTE, gpa1Host + 64 + i);
            }
            assertEquals(SUCCESS, vm.fill(second, va + 64, 64, 0x45, rec));
            if (gpa2 != gpa1 && gpa1 != second.pageTables().physicalAddress(rec)) {
                // whatever the first process's frame became (free, or a table of the second), the fill is not there
                for (int i = 0; i < 64; i++) {
                    assertEquals(before[i], vm.g.memory().hostMemory().segment().get(ValueLayout.JAVA_BYTE,
                        gpa1Host + 64 + i), "the first process's old frame, byte " + (64 + i));
                }
            }
            final byte[] expected = new byte[2048];
            java.util.Arrays.fill(expected, 64, 128, (byte) 0x45);
            vm.assertGuestFrame(gpa2, expected, "the second process's frame");
        }
    }
}
