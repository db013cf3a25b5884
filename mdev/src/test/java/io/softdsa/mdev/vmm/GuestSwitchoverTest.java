package io.softdsa.mdev.vmm;

import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.GuestPhysicalMemory;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.translation.GuestMemory;
import io.softdsa.mdev.translation.GuestPageRequestHandler;
import io.softdsa.mdev.vdev.MdevManager;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static io.softdsa.testing.TestData.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guest side of a host change: {@link GuestPhysicalMemory#rebase}, the vCPU dirty log, {@link GuestMemory#takeOver}
 * and {@link GuestDomain#switchTo}. Expectations come from the stage-2 tables and host segments directly, never from
 * the guest-side object under test.
 */
class GuestSwitchoverTest {
    private static final long RAM = 8L << 20;
    private static final int PAGE = 4096;

    /** What the test copies itself: every page the source backs, byte for byte, into the destination's frame. */
    private static void copyRam(GuestMemory from, GuestMemory to) {
        final MemorySegment a = from.hostMemory().segment();
        final MemorySegment b = to.hostMemory().segment();
        for (long gpa = 0; gpa < from.size(); gpa += PAGE) {
            final long s = from.stage2().hostAddress(gpa);
            if (s >= 0) {
                final long d = to.stage2().hostAddress(gpa);
                assertTrue(d >= 0, "destination backs every page (backed up front)");
                MemorySegment.copy(a, s, b, d, PAGE);
            }
        }
    }

    @Test
    void aRebasedGuestMemoryAnswersFromTheNewHostWithTheSameAllocator() {
        try (HostMemory hostA = HostMemory.allocate(64L << 20); HostMemory hostB = HostMemory.allocate(64L << 20)) {
            final GuestMemory a = GuestMemory.movable(new ScalableModeIommu(hostA), RAM, true);
            final GuestMemory b = GuestMemory.movable(new ScalableModeIommu(hostB), RAM, false);
            final GuestPhysicalMemory guest = a.physical();
            final AddressSpace tables = AddressSpace.inGuest(guest, 1, 4, (p, va, len) -> { });
            final long va = tables.allocate(3 * PAGE, AddressSpace.RW_USER);
            final byte[] data = random(3 * PAGE, 1);
            tables.write(va, MemorySegment.ofArray(data));
            final long framesUsed = guest.frames().frameCount() - guest.frames().freeFrames();

            copyRam(a, b);
            b.takeOver(a);
            assertSame(guest, b.physical(), "the guest-side object moved, not a copy");
            assertSame(hostB, guest.hostMemory());
            // the source frames are poisoned: anything still reading host A would see it
            for (long gpa = 0; gpa < RAM; gpa += PAGE) {
                final long s = a.stage2().hostAddress(gpa);
                if (s >= 0) {
                    hostA.segment().asSlice(s, PAGE).fill((byte) 0xEE);
                }
            }
            assertArrayEquals(data, tables.read(va, 3 * PAGE), "the same page tables, read on host B");

            final byte[] more = random(PAGE, 2);
            tables.write(va + PAGE, MemorySegment.ofArray(more));
            final long pa = tables.physicalAddress(va + PAGE);
            final long hostBAddress = b.stage2().hostAddress(pa);
            assertArrayEquals(more, hostB.segment().asSlice(hostBAddress, PAGE).toArray(ValueLayout.JAVA_BYTE),
                "a store after the switch lands in host B's frame behind that guest-physical page");
            assertEquals((byte) 0xEE, hostA.segment().get(ValueLayout.JAVA_BYTE, a.stage2().hostAddress(pa)),
                "and not in host A's");

            assertEquals(framesUsed, guest.frames().frameCount() - guest.frames().freeFrames(),
                "the guest kernel's allocator kept its state");
            final Set<Long> before = new HashSet<>();
            for (long p = va; p < va + 3 * PAGE; p += PAGE) {
                before.add(tables.physicalAddress(p));
            }
            final long va2 = tables.allocate(PAGE, AddressSpace.RW_USER);
            assertFalse(before.contains(tables.physicalAddress(va2)), "a new frame is not one in use");
            tables.write(va2, MemorySegment.ofArray(more));
            assertArrayEquals(more, hostB.segment().asSlice(b.stage2().hostAddress(tables.physicalAddress(va2)),
                PAGE).toArray(ValueLayout.JAVA_BYTE));
            tables.unbind();
            a.close();
            b.close();
        }
    }

    @Test
    void theVcpuDirtyLogMarksEveryPageTheCpuTouchesAndHarvestClears() {
        try (HostMemory host = HostMemory.allocate(64L << 20)) {
            final GuestMemory m = GuestMemory.movable(new ScalableModeIommu(host), RAM, true);
            final GuestPhysicalMemory guest = m.physical();
            assertThrows(IllegalStateException.class, guest::harvestDirty, "not logging");
            guest.write(7L * PAGE, MemorySegment.ofArray(new byte[10])); // before logging: forgotten
            guest.startDirtyLog();
            guest.write(3L * PAGE + 100, MemorySegment.ofArray(new byte[2 * PAGE])); // pages 3, 4, 5
            guest.read(9L * PAGE + 4000, 200); // pages 9 and 10: reads count too
            m.hostAddress(20L * PAGE); // a host address handed out: page 20
            assertEquals(-1, m.backedAddress(30L * PAGE), "the VMM's view does not back a page");
            m.backedAddress(3L * PAGE); // nor mark one
            final long[] bits = guest.harvestDirty();
            assertEquals(Set.of(3L, 4L, 5L, 9L, 10L, 20L), pages(bits));
            assertEquals(Set.of(), pages(guest.harvestDirty()), "a harvest clears");
            guest.write(63L * PAGE, MemorySegment.ofArray(new byte[PAGE + 1])); // pages 63 and 64: across a word
            assertEquals(Set.of(63L, 64L), pages(guest.harvestDirty()));
            assertThrows(IllegalStateException.class, () -> guest.rebase(host, m.stage2()),
                "no rebase while logging");
            guest.stopDirtyLog();
            guest.write(3L * PAGE, MemorySegment.ofArray(new byte[1]));
            assertThrows(IllegalStateException.class, guest::harvestDirty);
            m.close();
        }
    }

    @Test
    void aHostOffsetGuestMemoryCannotMove() {
        try (HostMemory host = HostMemory.allocate(64L << 20)) {
            final ScalableModeIommu iommu = new ScalableModeIommu(host);
            final GuestMemory fixed = GuestMemory.lazy(iommu, RAM);
            final GuestMemory movable = GuestMemory.movable(iommu, RAM, true);
            assertFalse(fixed.physical().isMovable());
            assertSame(host.segment(), fixed.hostSegment(), "host-offset addressing, as before");
            assertThrows(IllegalStateException.class, () -> fixed.physical().rebase(host, iommu.newSecondLevel()));
            assertThrows(IllegalArgumentException.class, () -> movable.takeOver(fixed));
            assertThrows(IllegalArgumentException.class, () -> fixed.takeOver(movable));
            final GuestMemory small = GuestMemory.movable(iommu, RAM / 2, true);
            assertThrows(IllegalArgumentException.class, () -> small.takeOver(movable), "sizes differ");
            fixed.close();
            movable.close();
            small.close();
        }
    }

    @Test
    void aGuestProcessCreatedBeforeTheSwitchMapsReadsAndWritesAfterItOnTheDestination() {
        final DeviceConfig config = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
            .wq(WqConfig.builder(0).shared().size(16).threshold(16).group(0).type(HostDsa.TYPE_MDEV).build())
            .build();
        try (HostMemory memA = HostMemory.allocate(128L << 20); HostMemory memB = HostMemory.allocate(128L << 20);
             HostDsa hostA = HostDsa.start(memA, config); HostDsa hostB = HostDsa.start(memB, config);
             MdevManager mdev = new MdevManager(hostA)) {
            final GuestDomain guest = GuestDomain.createMigratable(hostA, "vm", RAM, true);
            final GuestDomain there = GuestDomain.createMigratable(hostB, "vm@B", RAM, false);
            final GuestDriver driver = new GuestDriver(mdev.create(VdevType.SHARED_WQ, guest), guest);
            final GuestPageRequestHandler handler = guest.iommu().pageRequestHandler();
            assertTrue(handler != null, "the guest driver installed its page-request handler");
            final GuestProcess app = driver.newProcess("app");
            app.faultAround(1);
            final long buf = app.allocate(2 * PAGE);
            final long lazy = app.allocateOnDemand(4 * PAGE);
            final byte[] data = random(2 * PAGE, 3);
            app.write(buf, data);
            app.write(lazy, random(PAGE, 4)); // faults one on-demand page in on host A
            final GuestMemory sourceMemory = guest.memory();

            copyRam(sourceMemory, there.memory());
            final GuestDomain leftBehind = guest.switchTo(there);
            assertSame(there.memory(), guest.memory());
            assertSame(there.iommu(), guest.iommu());
            assertSame(handler, there.iommu().pageRequestHandler(), "the page-request handler moved");
            assertNull(leftBehind.iommu().pageRequestHandler(), "the source's is gone");
            assertSame(sourceMemory, leftBehind.memory());
            leftBehind.close(); // host A's frames and tables of the guest are freed

            assertArrayEquals(data, app.read(buf, 2 * PAGE), "read after the switch");
            final byte[] fresh = random(3 * PAGE, 5);
            app.write(lazy + PAGE, fresh); // the guest kernel faults three more pages in, on host B
            assertArrayEquals(fresh, app.read(lazy + PAGE, 3 * PAGE));
            for (int i = 0; i < 3; i++) {
                final long gpa = app.pageTables().physicalAddress(lazy + PAGE + (long) i * PAGE);
                final long h = there.memory().stage2().hostAddress(gpa);
                assertTrue(h >= 0);
                assertArrayEquals(Arrays.copyOfRange(fresh, i * PAGE, (i + 1) * PAGE),
                    memB.segment().asSlice(h, PAGE).toArray(ValueLayout.JAVA_BYTE),
                    "page " + i + " is in host B's memory, where stage 2 of the destination says");
            }
            assertNotEquals(app.pageTables().physicalAddress(lazy), app.pageTables().physicalAddress(lazy + PAGE),
                "new frames from the same guest allocator");
            driver.close();
            there.close();
        }
    }

    private static Set<Long> pages(long[] bitmap) {
        final Set<Long> out = new HashSet<>();
        for (int w = 0; w < bitmap.length; w++) {
            for (int k = 0; k < 64; k++) {
                if ((bitmap[w] >>> k & 1) != 0) {
                    out.add(64L * w + k);
                }
            }
        }
        return out;
    }
}
