package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.userspace.UserProcess;
import io.softdsa.mdev.userspace.UserspaceDmaDriver;
import io.softdsa.mdev.userspace.WqFile;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 items 4 and 6 from the tenants' side: no descriptor of a process or guest — top-level or inside a batch —
 * raises a handle that is not its own (the host's misc handle 0 included); a guest's MSI sink and page-request
 * handler never run on a host engine thread, so one that blocks forever stalls neither the shared host engine nor
 * another guest.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TenantCallbackIsolationTest {
    private static final long WAIT = TimeUnit.SECONDS.toNanos(10);

    private static byte[] bytes(Descriptor d) {
        return d.segment().asSlice(d.offset(), 64).toArray(ValueLayout.JAVA_BYTE);
    }

    /** A no-op with a completion record at {@code record} and an interrupt request on {@code handle}. */
    private static Descriptor noopInterrupting(Descriptor d, long record, int handle) {
        return d.clear().opcode(Opcode.NOOP).flags(DescriptorFlags.COMPLETION_ADDRESS_VALID
            | DescriptorFlags.REQUEST_COMPLETION_RECORD | DescriptorFlags.REQUEST_COMPLETION_INTERRUPT)
            .completionAddress(record).interruptHandle(handle);
    }

    @Test
    void aProcessesBatchCannotRaiseTheHostsMiscHandle() {
        try (MdevFixture f = new MdevFixture(); Arena arena = Arena.ofConfined()) {
            final UserspaceDmaDriver driver = f.track(new UserspaceDmaDriver(f.host));
            final UserProcess p = f.track(driver.spawn("p"));
            final WqFile file = driver.open(p, "app");
            final long list = p.allocate(4096);
            final long records = p.allocate(4096);
            final Descriptor d = Descriptor.allocate(arena);
            p.write(list, bytes(noopInterrupting(d, records + 32, 0)));              // the host's misc entry
            p.write(list + 64, bytes(noopInterrupting(d, records + 64, 0)));
            final long before = f.host.interruptHandles().count(0);
            final CompletionRecord batch = p.completionRecord(records);
            batch.arm();
            assertTrue(file.portal().submit(d.clear().opcode(Opcode.BATCH).source(list).transferSize(2)
                .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD)
                .completionAddress(records)));
            assertEquals(0x05, batch.await(new BackoffIdleStrategy(), WAIT), "batch fail");
            assertEquals(0x19, p.completionRecord(records + 32).status(), "inner 0: not the process's handle");
            assertEquals(0x19, p.completionRecord(records + 64).status(), "inner 1");
            assertEquals(before, f.host.interruptHandles().count(0), "the host's misc interrupt was not raised");
        }
    }

    @Test
    void aGuestsBatchCannotRaiseTheHostsOrAnotherGuestsHandle() {
        try (MdevFixture f = new MdevFixture(); Arena arena = Arena.ofConfined()) {
            final GuestDomain g1 = f.guest("vm1");
            final GuestDriver k1 = f.driver(f.vdev(VdevType.DEDICATED_WQ, g1), g1);
            k1.bringUp(false, DeviceSetup.oneGroup(1, WqSetup.dedicatedKernel(0, 16, 0)));
            final GuestDomain g2 = f.guest("vm2");
            final GuestDriver k2 = f.driver(f.vdev(VdevType.SHARED_WQ, g2), g2);
            k2.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0)));
            final int own = k1.interruptHandle(0);
            final int foreign = k2.interruptHandle(0);
            assertTrue(own > 0 && foreign > 0 && own != foreign);
            final long list = k1.allocateDma(4096);
            final long records = k1.allocateDma(4096);
            final Descriptor d = Descriptor.allocate(arena);
            g1.memory().write(list, bytes(noopInterrupting(d, records + 32, 0)));         // the host's
            g1.memory().write(list + 64, bytes(noopInterrupting(d, records + 64, foreign))); // another guest's
            g1.memory().write(list + 128, bytes(noopInterrupting(d, records + 96, own)));   // its own
            final long hostMisc = f.host.interruptHandles().count(0);
            final CompletionRecord batch = k1.completionRecord(records).arm();
            assertEquals(PortalResult.POSTED, k1.submitKernel(0, d.clear().opcode(Opcode.BATCH).source(list)
                .transferSize(3).flags(DescriptorFlags.COMPLETION_ADDRESS_VALID
                    | DescriptorFlags.REQUEST_COMPLETION_RECORD).completionAddress(records), true));
            assertEquals(0x05, batch.await(new BackoffIdleStrategy(), WAIT));
            assertEquals(0x19, k1.completionRecord(records + 32).status(), "the host's handle 0");
            assertEquals(0x19, k1.completionRecord(records + 64).status(), "the other guest's handle");
            assertEquals(0x01, k1.completionRecord(records + 96).status(), "its own handle");
            assertEquals(hostMisc, f.host.interruptHandles().count(0));
            assertEquals(0, f.host.interruptHandles().count(foreign));
            assertTrue(k1.awaitInterrupts(1, 1, WAIT), "its own interrupt arrived on its vector");
        }
    }

    @Test
    void aGuestSinkThatBlocksForeverStallsNeitherTheHostEngineNorAnotherGuest() throws Exception {
        final CountDownLatch never = new CountDownLatch(1);
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g1 = f.guest("vm1");
            final VirtualDsa dev1 = f.vdev(VdevType.DEDICATED_WQ, g1);
            final GuestDriver k1 = f.driver(dev1, g1);
            k1.bringUp(false, DeviceSetup.oneGroup(1, WqSetup.dedicatedKernel(0, 16, 0)));
            final GuestDomain g2 = f.guest("vm2");
            final VirtualDsa dev2 = f.vdev(VdevType.SHARED_WQ, g2);
            final GuestDriver k2 = f.driver(dev2, g2);
            k2.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0)));
            assertEquals(f.host.device().wq(dev1.hostWq(0)).config().groupId(),
                f.host.device().wq(dev2.hostWq(0)).config().groupId(), "both guests share one host engine");
            final Set<String> sinkThreads = ConcurrentHashMap.newKeySet();
            final CountDownLatch entered = new CountDownLatch(1);
            dev1.msiSink((vector, address, data) -> {  // a hostile guest interrupt controller
                sinkThreads.add(Thread.currentThread().getName());
                entered.countDown();
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            final long src = k1.allocateDma(8192);
            final long rec = k1.allocateDma(4096);
            for (int i = 0; i < 3; i++) {
                final CompletionRecord cr = k1.completionRecord(rec).arm();
                k1.submitKernel(0, MdevFixture.memmove(k1.descriptor(), src, src + 4096, 256, rec)
                    .addFlags(DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(k1.interruptHandle(0)),
                    true);
                assertEquals(0x01, cr.await(new BackoffIdleStrategy(), WAIT), "guest 1 descriptor " + i);
                assertTrue(entered.await(10, TimeUnit.SECONDS));
            }
            assertTrue(sinkThreads.stream().noneMatch(n -> n.contains("-engine")), sinkThreads.toString());
            // the other guest, on the same host engine, gets its completions and its interrupts
            final GuestProcess app2 = k2.newProcess("app2");
            final long src2 = app2.allocate(8192);
            final long rec2 = app2.allocate(4096);
            final byte[] data = MdevFixture.random(4096, 3);
            app2.write(src2, data);
            final CompletionRecord cr2 = app2.completionRecord(rec2).arm();
            assertEquals(PortalResult.ACCEPTED, k2.submitUser(0, MdevFixture.memmove(k2.descriptor(), src2,
                src2 + 4096, 4096, rec2).addFlags(DescriptorFlags.REQUEST_COMPLETION_INTERRUPT)
                .interruptHandle(k2.interruptHandle(0)), app2, false));
            assertEquals(0x01, cr2.await(new BackoffIdleStrategy(), WAIT));
            assertArrayEquals(data, app2.read(src2 + 4096, 4096));
            assertTrue(k2.awaitInterrupts(1, 1, WAIT), "guest 2's interrupt");
            // guest 1's posted-interrupt descriptor is a host frame in host memory (where a dirty logger sees it)
            final long pid = dev1.postedInterrupts().descriptor().address();
            assertTrue(f.memory.frames().isAllocated(pid & ~0xFFFL));
            assertTrue(f.host.interruptHandles().count(k1.interruptHandle(0)) >= 3);
        } finally {
            never.countDown();
        }
    }

    @Test
    void aGuestPageRequestHandlerThatNeverReturnsStallsNeitherTheHostEngineNorAnotherGuest() throws Exception {
        final CountDownLatch never = new CountDownLatch(1);
        try (MdevFixture f = new MdevFixture()) {
            final GuestDomain g1 = f.guest("vm1");
            final GuestDriver k1 = f.driver(f.vdev(VdevType.SHARED_WQ, g1), g1);
            k1.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0).withBlockOnFault(true)));
            final GuestDomain g2 = f.guest("vm2");
            final VirtualDsa dev2 = f.vdev(VdevType.SHARED_WQ, g2);
            final GuestDriver k2 = f.driver(dev2, g2);
            k2.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0)));
            final Set<String> handlerThreads = ConcurrentHashMap.newKeySet();
            g1.iommu().pageRequestTimeout(TimeUnit.MILLISECONDS.toNanos(300));
            final GuestProcess app = k1.newProcess("app");
            final long src = app.allocate(4096);
            final long lazy = app.allocateOnDemand(4096);
            final long rec = app.allocate(4096);
            g1.iommu().pageRequestHandler(request -> { // a hostile guest IOMMU driver
                handlerThreads.add(Thread.currentThread().getName());
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            final CompletionRecord cr = app.completionRecord(rec).arm();
            assertEquals(PortalResult.ACCEPTED, k1.submitUser(0, MdevFixture.memmove(k1.descriptor(), src, lazy,
                4096, rec).addFlags(DescriptorFlags.BLOCK_ON_FAULT), app, false));
            assertEquals(0x04, cr.await(new BackoffIdleStrategy(), WAIT), "ends at guest 1's own deadline");
            assertEquals(1, g1.iommu().pageRequestTimeouts());
            assertTrue(handlerThreads.stream().noneMatch(n -> n.contains("-engine")), handlerThreads.toString());
            // the host engine is free for the other guest while guest 1's handler is still stuck
            final GuestProcess app2 = k2.newProcess("app2");
            final long src2 = app2.allocate(8192);
            final long rec2 = app2.allocate(4096);
            final CompletionRecord cr2 = app2.completionRecord(rec2).arm();
            assertEquals(PortalResult.ACCEPTED, k2.submitUser(0, MdevFixture.memmove(k2.descriptor(), src2,
                src2 + 4096, 4096, rec2), app2, false));
            assertEquals(0x01, cr2.await(new BackoffIdleStrategy(), WAIT));
            assertEquals(f.host.device().wq(dev2.hostWq(0)).config().groupId(),
                f.host.device().wq(2).config().groupId(), "on the host engine guest 1's WQs use");
        } finally {
            never.countDown();
        }
    }
}
