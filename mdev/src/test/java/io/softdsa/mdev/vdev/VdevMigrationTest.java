package io.softdsa.mdev.vdev;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.migration.ForbiddenTransitionException;
import io.softdsa.mdev.migration.MigrationArcException;
import io.softdsa.mdev.migration.MigrationState;
import io.softdsa.mdev.migration.MigrationStreamException;
import io.softdsa.mdev.migration.PrecopyInfo;
import io.softdsa.mdev.migration.SavingChannel;
import io.softdsa.mdev.regs.Bar0Layout;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device side of live migration: quiesce (nothing changes while stopped), the stream, and a restore onto another
 * host whose WQ index, PASIDs and interrupt handles differ. Expectations come from plain loops over the guest's bytes
 * and from the record layout's literal offsets (status at +0, bytes completed at +4, fault address at +8).
 */
@Timeout(120)
class VdevMigrationTest {
    private static final long GUEST_RAM = 32L << 20;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            try {
                closing.get(i).close();
            } catch (RuntimeException ignored) {
                // best effort
            }
        }
    }

    /** A host with an mdev shared WQ at host index {@code mdevIndex} (user WQs before it shift the index). */
    private Host host(int mdevIndex, int wqSize) {
        final DeviceConfig.Builder b = DeviceConfig.builder("dsa" + mdevIndex).group(GroupConfig.of(0, 0))
            .group(GroupConfig.of(1, 1));
        for (int i = 0; i < mdevIndex; i++) {
            b.wq(WqConfig.builder(i).shared().size(4).threshold(4).group(0).type(HostDsa.TYPE_USER).name("u" + i)
                .build());
        }
        b.wq(WqConfig.builder(mdevIndex).shared().size(wqSize).threshold(wqSize).group(1).type(HostDsa.TYPE_MDEV)
            .blockOnFault(true).maxTransferSize(1L << 21).maxBatchSize(32).build());
        b.wq(WqConfig.builder(mdevIndex + 1).dedicated().size(wqSize).group(1).type(HostDsa.TYPE_MDEV)
            .maxTransferSize(1L << 21).maxBatchSize(32).build());
        final HostMemory memory = HostMemory.allocate(160L << 20);
        closing.add(memory);
        final HostDsa host = HostDsa.start(memory, b.build());
        closing.add(host);
        final MdevManager mdev = new MdevManager(host);
        closing.add(mdev);
        return new Host(memory, host, mdev);
    }

    private record Host(HostMemory memory, HostDsa dsa, MdevManager mdev) {
        GuestDomain guest(String name) {
            return GuestDomain.create(dsa, name, GUEST_RAM, false);
        }
    }

    /** A guest on {@code h} with a shared-WQ virtual device its driver brought up with {@code wq}. */
    private record Guest(GuestDomain domain, VirtualDsa vdev, GuestDriver driver) {
    }

    private Guest guest(Host h, WqSetup wq) {
        final GuestDomain g = track(h.guest("vm"));
        final VirtualDsa v = h.mdev().create(VdevType.SHARED_WQ, g);
        final GuestDriver driver = new GuestDriver(v, g);
        closing.add(driver);
        driver.bringUp(true, DeviceSetup.oneGroup(1, wq));
        return new Guest(g, v, driver);
    }

    private GuestDomain track(GuestDomain g) {
        closing.add(g);
        return g;
    }

    private static byte[] ram(GuestDomain g) {
        return g.memory().read(0, (int) GUEST_RAM);
    }

    /** Reads the whole saving stream (STOP_COPY): read() until 0. */
    private static byte[] drain(DeviceMigration m) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer chunk = ByteBuffer.allocate(333); // odd chunks: the fd is a byte stream
        for (int n; (n = m.read(chunk.clear())) != 0; ) {
            assertTrue(n > 0, "STOP_COPY read " + n);
            out.write(chunk.array(), 0, n);
        }
        return out.toByteArray();
    }

    /** The guest's RAM on host {@code b}: a plain copy (the VMM's part; the source device is stopped). */
    private GuestDomain ramCopy(Host b, GuestDomain source) {
        final GuestDomain g = track(b.guest("vm"));
        g.memory().write(0, ram(source));
        return g;
    }

    /** RESUMING, the whole stream in chunks, RUNNING. */
    private static void resume(VirtualDsa destination, byte[] stream) throws MigrationArcException,
        MigrationStreamException {
        destination.migration().transition(MigrationState.RESUMING);
        feed(destination.migration(), stream);
        destination.migration().transition(MigrationState.RUNNING);
    }

    private static void feed(DeviceMigration m, byte[] stream) throws MigrationStreamException {
        for (int i = 0; i < stream.length; i += 500) {
            m.write(ByteBuffer.wrap(stream, i, Math.min(500, stream.length - i)));
        }
    }

    private static final int N = 24; // below the WQ size: the store made while stopped finds room in the capture
    private static final int SIZE = 256 << 10;

    @Test
    void aGuestWithWorkInFlightMovesToAnotherHostAndEveryDescriptorCompletesOnceWithTheRightBytes() throws Exception {
        final Host a = host(0, 32);
        final Host b = host(2, 32);
        // the destination's host PASIDs and interrupt handles are taken further: nothing host-side may carry over
        for (int i = 0; i < 5; i++) {
            b.dsa().allocatePasid();
        }
        final Guest g = guest(a, WqSetup.shared(0, 32, 0));
        final GuestDomain ga = g.domain();
        final VirtualDsa va = g.vdev();
        final GuestDriver driver = g.driver();
        final GuestProcess p = driver.newProcess("app");
        final long src = p.allocate((long) N * SIZE);
        final long dst = p.allocate((long) N * SIZE);
        final long records = p.allocate(N * 32L);
        final long lateRecord = p.allocate(4096);
        final long fillDst = p.allocate(4096);
        final byte[] data = new byte[N * SIZE];
        new SplittableRandom(7).nextBytes(data);
        p.write(src, data);
        final int handle = driver.interruptHandle(0);
        final AtomicInteger accepted = new AtomicInteger();
        for (int i = 0; i < N; i++) {
            final Descriptor d = driver.descriptor().opcode(Opcode.MEMMOVE)
                .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD
                    | DescriptorFlags.REQUEST_COMPLETION_INTERRUPT)
                .completionAddress(records + 32L * i).source(src + (long) i * SIZE).destination(dst + (long) i * SIZE)
                .transferSize(SIZE).interruptHandle(handle);
            if (driver.submitUserRetrying(0, d, p, TimeUnit.SECONDS.toNanos(10)) == PortalResult.ACCEPTED) {
                accepted.incrementAndGet();
            }
            if (i == N / 2) {
                va.migration().transition(MigrationState.RUNNING_P2P); // runs on: a DSA does no P2P DMA
            }
        }
        assertEquals(MigrationState.RUNNING_P2P, va.migration().state());
        assertEquals(N, accepted.get());
        va.migration().transition(MigrationState.STOP);
        final int captured = va.migration() instanceof VdevMigration vm ? vm.capturedCount() : -1;

        // quiesced: guest memory does not change any more, MMIO reads still answer, writes change nothing
        final byte[] stopped = ram(ga);
        final long gensts = va.mmioRead(0, Bar0Layout.GENSTS, 4);
        final long genctrl = va.mmioRead(0, Bar0Layout.GENCTRL, 4);
        va.mmioWrite(0, Bar0Layout.GENCTRL, 4, genctrl ^ 0x3);
        Thread.sleep(100);
        assertArrayEquals(stopped, ram(ga), "guest memory changed while the device was stopped");
        assertEquals(gensts, va.mmioRead(0, Bar0Layout.GENSTS, 4));
        assertEquals(genctrl, va.mmioRead(0, Bar0Layout.GENCTRL, 4), "a register write changed a stopped device");
        // a store while stopped is captured (accepted, like the WQ would), never run here
        final Descriptor late = driver.descriptor().opcode(Opcode.FILL)
            .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD)
            .completionAddress(lateRecord).fillPattern(0x1122_3344_5566_7788L).destination(fillDst).transferSize(64);
        assertEquals(PortalResult.ACCEPTED, driver.submitUser(0, late, p, false));
        Thread.sleep(50);
        assertArrayEquals(stopped, ram(ga), "a store to a stopped device ran");

        va.migration().transition(MigrationState.STOP_COPY);
        final byte[] stream = drain(va.migration());
        assertTrue(stream.length > 0);
        final GuestDomain gb = ramCopy(b, ga);
        final VirtualDsa vb = b.mdev().create(VdevType.SHARED_WQ, gb);
        assertNotEquals(va.hostWq(0), vb.hostWq(0), "the destination's host WQ index should differ");
        resume(vb, stream);
        va.migration().transition(MigrationState.STOP); // the source closes its stream and stays stopped

        // the guest's PASID is the same number over another host PASID
        final int hostA = ga.iommu().hostPasid(p.pasid());
        final int hostB = gb.iommu().hostPasid(p.pasid());
        assertTrue(hostB > 0);
        assertNotEquals(hostA, hostB, "host PASIDs should differ between the hosts");

        // every descriptor completes exactly once: records in the destination's copy of guest RAM
        final long recordsGpa = p.pageTables().physicalAddress(records);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (int i = 0; i < N; i++) {
            while (gb.memory().read(recordsGpa + 32L * i, 1)[0] == 0) {
                assertTrue(System.nanoTime() < deadline, "descriptor " + i + " never completed");
                Thread.sleep(1);
            }
            assertEquals(1, gb.memory().read(recordsGpa + 32L * i, 1)[0] & 0x7F, "descriptor " + i + " status");
        }
        // the destination bytes are the source's (a plain comparison, page by page through the guest's tables)
        for (int i = 0; i < N * SIZE; i += 4096) {
            final long gpa = p.pageTables().physicalAddress(dst + i);
            assertArrayEquals(Arrays.copyOfRange(data, i, i + 4096), gb.memory().read(gpa, 4096),
                "destination page at +" + i);
        }
        // the store captured while stopped ran on the destination, after everything before it
        final long lateGpa = p.pageTables().physicalAddress(lateRecord);
        while (gb.memory().read(lateGpa, 1)[0] == 0) {
            assertTrue(System.nanoTime() < deadline, "the store captured while stopped never completed");
            Thread.sleep(1);
        }
        final long fillGpa = p.pageTables().physicalAddress(fillDst);
        assertEquals(0x1122_3344_5566_7788L, MemorySegment.ofArray(gb.memory().read(fillGpa, 8))
            .get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        assertTrue(captured >= 1, "at least the stopped store was captured: " + captured);
        // the source's copy of the guest never saw a write after the stop
        assertArrayEquals(stopped, ram(ga));
    }

    @Test
    void aTruncatedOrForeignStreamFailsTheArcIntoErrorAndLeavesTheDestinationReset() throws Exception {
        final Host a = host(0, 16);
        final Guest g = guest(a, WqSetup.shared(0, 16, 0));
        final GuestDomain ga = g.domain();
        final VirtualDsa va = g.vdev();
        final GuestDriver driver = g.driver();
        va.migration().transition(MigrationState.STOP_COPY);
        final byte[] stream = drain(va.migration());

        final Host b = host(1, 16);
        final GuestDomain gb = track(b.guest("vm"));
        final VirtualDsa vb = b.mdev().create(VdevType.SHARED_WQ, gb);
        vb.migration().transition(MigrationState.RESUMING);
        feed(vb.migration(), Arrays.copyOf(stream, stream.length - 9));
        final MigrationArcException e = assertThrows(MigrationArcException.class,
            () -> vb.migration().transition(MigrationState.STOP));
        assertEquals(MigrationState.ERROR, vb.migration().state());
        assertThrows(ForbiddenTransitionException.class, () -> vb.migration().transition(MigrationState.RUNNING));
        assertEquals(Bar0Layout.GENSTS_DISABLED, vb.registers().deviceState(),
            "a failed restore left the device enabled: " + e);
        assertEquals(0, vb.config().read(0x04, 2) & 0x6, "a failed restore left memory decoding or bus mastering on");
        vb.migration().resetDevice();
        assertEquals(MigrationState.RUNNING, vb.migration().state());

        // a dedicated-WQ device cannot take a shared-WQ device's state: refused at the compatibility section
        final GuestDomain gc = track(b.guest("vm2"));
        final VirtualDsa vc = b.mdev().create(VdevType.DEDICATED_WQ, gc);
        vc.migration().transition(MigrationState.RESUMING);
        assertThrows(MigrationStreamException.class, () -> feed(vc.migration(), stream));
    }

    @Test
    void preCopyStreamsTheCompatibilitySectionEarlyAndReportsItsBytes() throws Exception {
        final Host a = host(0, 16);
        final Guest g = guest(a, WqSetup.shared(0, 16, 0));
        final GuestDomain ga = g.domain();
        final VirtualDsa va = g.vdev();
        final GuestDriver driver = g.driver();
        assertEquals(7, va.migration().features(), "STOP_COPY | P2P | PRE_COPY");
        va.migration().transition(MigrationState.PRE_COPY);
        final PrecopyInfo before = va.migration().precopyInfo();
        assertTrue(before.initialBytes() > 0);
        assertEquals(0, before.dirtyBytes());
        final ByteBuffer all = ByteBuffer.allocate(1 << 16);
        int n;
        int total = 0;
        while ((n = va.migration().read(all)) > 0) {
            total += n;
        }
        assertEquals(SavingChannel.ENOMSG, n, "pre-copy has nothing more for now");
        assertEquals(before.initialBytes(), total);
        assertEquals(0, va.migration().precopyInfo().initialBytes());
        // the device still runs in PRE_COPY; PRE_COPY -> STOP_COPY goes through PRE_COPY_P2P and the same stream
        va.migration().transition(MigrationState.STOP_COPY);
        final byte[] rest = drain(va.migration());
        assertTrue(rest.length > 0);
        assertThrows(IllegalStateException.class, () -> va.migration().precopyInfo());
        // the initial part and the rest make one stream a destination takes
        final byte[] whole = new byte[total + rest.length];
        System.arraycopy(all.array(), 0, whole, 0, total);
        System.arraycopy(rest, 0, whole, total, rest.length);
        final Host b = host(3, 16);
        final GuestDomain gb = ramCopy(b, ga);
        final VirtualDsa vb = b.mdev().create(VdevType.SHARED_WQ, gb);
        resume(vb, whole);
        assertEquals(Bar0Layout.GENSTS_ENABLED, vb.mmioRead(0, Bar0Layout.GENSTS, 4) & 3);
    }

    @Test
    void aHandleValueThatChangedIsReportedRevokedOnTheDestination() throws Exception {
        final Host a = host(0, 16);
        final Guest g = guest(a, WqSetup.shared(0, 16, 0));
        final GuestDomain ga = g.domain();
        final VirtualDsa va = g.vdev();
        final GuestDriver driver = g.driver();
        final int handle = driver.interruptHandle(0);
        va.migration().transition(MigrationState.STOP_COPY);
        final byte[] stream = drain(va.migration());

        final Host b = host(1, 16);
        // the destination's handle table already hands out what the source's guest held
        final GuestDomain other = track(b.guest("other"));
        final VirtualDsa taken = b.mdev().create(VdevType.DEDICATED_WQ, other);
        for (int v = 1; v < VirtualDsa.VECTORS; v++) {
            taken.handles().request(v);
        }
        final GuestDomain gb = ramCopy(b, ga);
        final VirtualDsa vb = b.mdev().create(VdevType.SHARED_WQ, gb);
        final List<Integer> vectors = new ArrayList<>();
        vb.msiSink((vector, address, data) -> vectors.add(vector));
        resume(vb, stream);
        assertNotEquals(0, vb.mmioRead(0, Bar0Layout.INTCAUSE, 4) & Bar0Layout.INTCAUSE_HANDLE_REVOKED,
            "handle " + handle + " changed value: the guest must be told");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!vectors.contains(0)) {
            assertTrue(System.nanoTime() < deadline, "no misc interrupt for the revoked handles");
            Thread.sleep(1);
        }
    }

    @Test
    void aDescriptorWaitingOnAnUnansweredPageRequestCompletesAsAFaultWhenTheDeviceStops() throws Exception {
        final Host a = host(0, 16);
        final Guest g = guest(a, WqSetup.shared(0, 16, 0).withBlockOnFault(true));
        final GuestDomain ga = g.domain();
        final VirtualDsa va = g.vdev();
        final GuestDriver driver = g.driver();
        final GuestProcess p = driver.newProcess("app");
        final AtomicInteger asked = new AtomicInteger();
        ga.iommu().pageRequestHandler(r -> asked.incrementAndGet()); // a stopped guest: never answers
        final long dst = p.allocateOnDemand(8192);
        final long rec = p.allocate(4096);
        final Descriptor d = driver.descriptor().opcode(Opcode.FILL)
            .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD
                | DescriptorFlags.BLOCK_ON_FAULT)
            .completionAddress(rec).fillPattern(0x55).destination(dst).transferSize(8192);
        assertEquals(PortalResult.ACCEPTED, driver.submitUser(0, d, p, false));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (asked.get() == 0) {
            assertTrue(System.nanoTime() < deadline, "no page request");
            Thread.sleep(1);
        }
        final long t0 = System.nanoTime();
        va.migration().transition(MigrationState.STOP);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "STOP waited out the page request");
        final byte[] record = p.read(rec, 32);
        assertEquals(0x04, record[0] & 0x7F, "status: page fault, invalid page response (resumable)");
        assertEquals(0, MemorySegment.ofArray(record).get(ValueLayout.JAVA_INT_UNALIGNED, 4), "bytes completed");
        assertEquals(dst, MemorySegment.ofArray(record).get(ValueLayout.JAVA_LONG_UNALIGNED, 8), "fault address");
        // cancelled migration: back to RUNNING, page requests reach the guest again
        va.migration().transition(MigrationState.RUNNING);
        assertFalse(((VdevMigration) va.migration()).stopped());
    }
}
