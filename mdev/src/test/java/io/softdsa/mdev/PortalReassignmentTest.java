package io.softdsa.mdev;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.userspace.UserPortal;
import io.softdsa.mdev.userspace.UserProcess;
import io.softdsa.mdev.userspace.UserspaceDmaDriver;
import io.softdsa.mdev.userspace.WqFile;
import io.softdsa.mdev.vdev.MdevManager;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.PortalLayout;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import io.softdsa.memory.HostMemory;
import io.softdsa.testing.Devices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 item 3: a store through a portal is atomic with the portal's close and with the WQ's reassignment. A
 * thread keeps storing through the old owner's portal while the dedicated WQ is closed and handed to the next owner,
 * whose memory sits at the same virtual addresses; the engines run only when the test drives them, so whatever got
 * into the WQ under the next owner's PASID is found. By construction nothing can (the portal's unmap waits for a
 * store in flight; the virtual device's gate likewise); on the old code the window between "mapped?" and the enqueue
 * is a few instructions, so this is a stress test of the invariant rather than a deterministic replay.
 */
@Timeout(120)
class PortalReassignmentTest {
    private static final int PAGE = 4096;
    /** Enough rounds that the old check-then-submit failed in most runs (2 of 3 against 9da2975). */
    private static final long BUDGET_NANOS = 4_000_000_000L;
    private static final long DEVICE_BUDGET_NANOS = 1_000_000_000L;

    private HostMemory memory;
    private HostDsa host;
    private final Arena arena = Arena.ofShared();

    @BeforeEach
    void up() {
        memory = HostMemory.allocate(256L << 20);
        host = HostDsa.start(memory, MdevFixture.hostConfig(), DeviceOptions.defaults().threading(Threading.INVOKER));
    }

    @AfterEach
    void down() {
        Devices.closeChecked(host.device(), host, memory, arena);
    }

    private void drive() {
        Devices.drive(host.device());
    }

    @Test
    void aStoreThroughAClosedFileNeverRunsUnderTheDedicatedWqsNextOwner() throws Exception {
        try (UserspaceDmaDriver users = new UserspaceDmaDriver(host)) {
            final UserProcess a = users.spawn("old-owner");
            final UserProcess b = users.spawn("next-owner");
            final long aSrc = a.allocate(PAGE);
            final long aDst = a.allocate(PAGE);
            final long aRec = a.allocate(PAGE);
            final long bSrc = b.allocate(PAGE);
            final long bDst = b.allocate(PAGE);
            final long bRec = b.allocate(PAGE);
            assertEquals(aDst, bDst, "same virtual addresses in both processes");
            assertEquals(aSrc, bSrc);
            final byte[] pattern = MdevFixture.random(PAGE, 5);
            b.write(bDst, pattern);
            final Descriptor d = MdevFixture.memmove(Descriptor.allocate(arena), aSrc, aDst, PAGE, aRec);
            final AtomicReference<UserPortal> current = new AtomicReference<>();
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong stores = new AtomicLong();
            final Thread storer = new Thread(() -> {
                while (!stop.get()) {
                    final UserPortal p = current.get();
                    if (p == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    try {
                        p.movdir64b(d);
                        stores.incrementAndGet();
                    } catch (IllegalStateException unmapped) {
                        // SIGSEGV: the file was closed
                    }
                }
            });
            storer.start();
            int rounds = 0;
            final long deadline = System.nanoTime() + BUDGET_NANOS;
            try {
                while (System.nanoTime() < deadline || rounds < 100) {
                    final WqFile fa = users.open(a, "dwq");
                    final long before = stores.get();
                    current.set(fa.portal());
                    while (stores.get() < before + 2 && storer.isAlive()) {
                        Thread.onSpinWait();
                    }
                    fa.close(); // drains what got in (in a's space) and takes a's PASID off the WQ
                    final WqFile fb = users.open(b, "dwq");
                    drive(); // anything of a's still in the WQ now runs with b's PASID
                    assertArrayEquals(pattern, b.read(bDst, PAGE), "round " + rounds + ": a's store ran as b");
                    assertArrayEquals(new byte[32], b.read(bRec, 32), "round " + rounds);
                    fb.close();
                    rounds++;
                }
            } finally {
                stop.set(true);
                storer.join();
            }
            assertTrue(stores.get() > 0);
        }
    }

    @Test
    void aStoreThroughAClosedVirtualDeviceNeverRunsUnderTheHostWqsNextOwner() throws Exception {
        final MdevManager mdev = new MdevManager(host);
        try (GuestDomain ga = GuestDomain.create(host, "vm-a", 8L << 20, false);
             GuestDomain gb = GuestDomain.create(host, "vm-b", 8L << 20, false)) {
            int rounds = 0;
            final long deadline = System.nanoTime() + DEVICE_BUDGET_NANOS;
            while (System.nanoTime() < deadline || rounds < 5) {
                final VirtualDsa devA = mdev.create(VdevType.DEDICATED_WQ, ga);
                final GuestDriver da = new GuestDriver(devA, ga);
                da.probe(true);
                final GuestProcess pa = da.newProcess("a");
                da.configure(DeviceSetup.oneGroup(1, WqSetup.dedicatedPasid(0, 8, 0, pa.pasid())));
                final long aSrc = pa.allocate(PAGE);
                final long aDst = pa.allocate(PAGE);
                final long aRec = pa.allocate(PAGE);
                final Descriptor d = MdevFixture.memmove(da.descriptor(), aSrc, aDst, PAGE, aRec);
                final AtomicBoolean stop = new AtomicBoolean();
                final AtomicLong stores = new AtomicLong();
                final Thread storer = new Thread(() -> {
                    while (!stop.get()) {
                        devA.portalWrite(PortalLayout.unlimited(0), d.segment(), d.offset(),
                            PortalInstruction.MOVDIR64B, -1);
                        stores.incrementAndGet();
                    }
                });
                storer.start();
                while (stores.get() < 3) {
                    Thread.onSpinWait();
                }
                devA.close(); // unplugged: its host WQ goes back to the host, then to the next guest
                final VirtualDsa devB = mdev.create(VdevType.DEDICATED_WQ, gb);
                assertEquals(devA.hostWq(0), devB.hostWq(0), "the same host WQ");
                final GuestDriver db = new GuestDriver(devB, gb);
                db.probe(true);
                final GuestProcess pb = db.newProcess("b");
                db.configure(DeviceSetup.oneGroup(1, WqSetup.dedicatedPasid(0, 8, 0, pb.pasid())));
                final long bSrc = pb.allocate(PAGE);
                final long bDst = pb.allocate(PAGE);
                final long bRec = pb.allocate(PAGE);
                assertEquals(aDst, bDst);
                assertEquals(aSrc, bSrc);
                final byte[] pattern = MdevFixture.random(PAGE, rounds);
                pb.write(bDst, pattern);
                drive();
                stop.set(true);
                storer.join();
                drive();
                assertArrayEquals(pattern, pb.read(bDst, PAGE), "round " + rounds + ": vm-a's store ran in vm-b");
                assertArrayEquals(new byte[32], pb.read(bRec, 32), "round " + rounds);
                db.close();
                devB.close();
                da.close();
                pa.close();
                pb.close();
                rounds++;
            }
        } finally {
            mdev.close();
        }
    }
}
