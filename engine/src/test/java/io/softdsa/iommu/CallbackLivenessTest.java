package io.softdsa.iommu;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace.PageSize;
import io.softdsa.memory.HostMemory;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 item 6: no callback (interrupt handler, page-request handler) runs on an engine thread, so none can stall
 * an engine or another owner: a handler that unmaps, throws an Error, blocks forever or never answers. Each test is
 * bounded; on the seed each of them hangs or fails (see the report of the branch).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CallbackLivenessTest {
    private static final int PASID = 0x77;
    private static final int OTHER_PASID = 0x78;
    private static final long WAIT = TimeUnit.SECONDS.toNanos(10);

    private static Descriptor memmove(SvaFixture f, int pasid, long src, long dst, long size) {
        return f.client.descriptor().opcode(Opcode.MEMMOVE).pasid(pasid).source(src).destination(dst)
            .transferSize(size);
    }

    /** Submits {@code d} with a record at {@code r} and waits (bounded) for it; 0 if it never completed. */
    private static int runBounded(SvaFixture f, Descriptor d, SvaFixture.VaRecord r) {
        d.completionAddress(r.va).addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID
            | DescriptorFlags.REQUEST_COMPLETION_RECORD);
        r.cr.arm();
        assertTrue(f.client.trySubmit(d), "WQ full");
        return r.cr.await(new BackoffIdleStrategy(), WAIT);
    }

    private static boolean await(CountDownLatch latch) throws InterruptedException {
        return latch.await(10, TimeUnit.SECONDS);
    }

    private static boolean isEngineThread(Thread t) {
        return t.getName().contains("-engine");
    }

    // ---- completion interrupts

    @Test
    void anInterruptHandlerThatUnmapsDoesNotDeadlockTheEngineOnItsOwnEpoch() throws Exception {
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 1)) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long src = as.allocate(4096, AddressSpace.RW_USER);
            final long dst = as.allocate(4096, AddressSpace.RW_USER);
            final long victim = as.allocate(4096, AddressSpace.RW_USER);
            final CountDownLatch unmapped = new CountDownLatch(1);
            final AtomicReference<Thread> handlerThread = new AtomicReference<>();
            f.device.interrupts().handler(3, h -> {
                handlerThread.set(Thread.currentThread());
                as.unmap(victim, 4096); // an IOTLB invalidation: waits for every engine to let go of its epoch
                unmapped.countDown();
            });
            final SvaFixture.VaRecord cr = f.record(as);
            assertEquals(0x01, runBounded(f, memmove(f, PASID, src, dst, 4096)
                .addFlags(DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(3), cr));
            assertTrue(await(unmapped), "the handler's unmap returned");
            assertFalse(isEngineThread(handlerThread.get()), handlerThread.get().getName());
            assertTrue(as.hostAddress(victim) < 0, "unmapped");
            // the engine and later invalidations go on
            assertEquals(0x01, runBounded(f, memmove(f, PASID, src, dst, 4096), cr));
            as.unmap(dst, 4096);
            assertEquals(1, f.device.interrupts().count(3));
        }
    }

    @Test
    void anInterruptHandlerThatThrowsAnErrorIsCountedAndTheEngineRunsOn() throws Exception {
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 1)) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long buf = as.allocate(4096, AddressSpace.RW_USER);
            final AtomicInteger calls = new AtomicInteger();
            final CountDownLatch three = new CountDownLatch(3);
            f.device.interrupts().handler(3, h -> {
                calls.incrementAndGet();
                three.countDown();
                throw new OutOfMemoryError("hostile handler");
            });
            final SvaFixture.VaRecord cr = f.record(as);
            for (int i = 0; i < 3; i++) {
                assertEquals(0x01, runBounded(f, memmove(f, PASID, buf, buf + 2048, 1024)
                    .addFlags(DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(3), cr), "descriptor " + i);
                // one at a time: each raise comes after the previous delivery (no coalescing)
                final long deadline = System.nanoTime() + WAIT;
                while (calls.get() <= i && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
            }
            assertTrue(await(three), "every raise delivered although each delivery threw");
            // the delivery thread counts a failure after the handler has thrown, i.e. after its countDown above
            final long counted = System.nanoTime() + WAIT;
            while (f.device.interrupts().handlerFailures() < 3 && System.nanoTime() - counted < 0) {
                Thread.onSpinWait();
            }
            assertEquals(3, f.device.interrupts().handlerFailures());
            assertTrue(f.device.interrupts().lastHandlerFailure() instanceof OutOfMemoryError);
        }
    }

    @Test
    void aBlockedHandlerStallsNeitherTheEngineNorAnotherOwnersInterrupts() throws Exception {
        final HostMemory memory = HostMemory.allocate(32L << 20);
        final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
            .wq(WqConfig.builder(0).shared().size(16).group(0).build())
            .wq(WqConfig.builder(1).shared().size(16).group(0).build())
            .build();
        final Device device = Device.create(memory, cfg, DeviceOptions.defaults());
        final CountDownLatch never = new CountDownLatch(1);
        try (DsaClient host = DsaClient.open(device, 0); DsaClient tenant = DsaClient.open(device, 1)) {
            device.enableAll();
            device.wq(1).interruptOwner(77);
            device.interrupts().owner(5, 77);
            final CountDownLatch blockedEntered = new CountDownLatch(1);
            final CountDownLatch tenantInterrupt = new CountDownLatch(1);
            final Set<String> deliveryThreads = ConcurrentHashMap.newKeySet();
            device.interrupts().handler(3, h -> {
                deliveryThreads.add(Thread.currentThread().getName());
                blockedEntered.countDown();
                try {
                    never.await(); // blocks "forever"
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            device.interrupts().handler(5, h -> {
                deliveryThreads.add(Thread.currentThread().getName());
                tenantInterrupt.countDown();
            });
            final CompletionRecord cr = host.completionRecord();
            final Descriptor d = host.descriptor().opcode(Opcode.NOOP).completionAddress(cr.address())
                .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD
                    | DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(3);
            cr.arm();
            assertTrue(host.trySubmit(d));
            assertEquals(0x01, cr.await(new BackoffIdleStrategy(), WAIT));
            assertTrue(await(blockedEntered));
            // the host's handler is stuck; the engine and the tenant's interrupts are not
            for (int i = 0; i < 10; i++) {
                cr.arm();
                assertTrue(host.trySubmit(d));
                assertEquals(0x01, cr.await(new BackoffIdleStrategy(), WAIT), "host descriptor " + i);
            }
            final CompletionRecord tcr = tenant.completionRecord();
            tcr.arm();
            assertTrue(tenant.trySubmit(tenant.descriptor().opcode(Opcode.NOOP).completionAddress(tcr.address())
                .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD
                    | DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(5)));
            assertEquals(0x01, tcr.await(new BackoffIdleStrategy(), WAIT));
            assertTrue(await(tenantInterrupt), "the other owner's interrupt was delivered");
            assertEquals(2, deliveryThreads.size(), "one delivery thread per owner: " + deliveryThreads);
            assertTrue(deliveryThreads.stream().noneMatch(n -> n.contains("-engine")), deliveryThreads.toString());
            assertEquals(11, device.interrupts().count(3));
        } finally {
            never.countDown();
            device.close();
            memory.close();
        }
    }

    @Test
    void aHandlerMayCallBackIntoTheDevice() throws Exception {
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 1)) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long buf = as.allocate(4096, AddressSpace.RW_USER);
            final SvaFixture.VaRecord inner = f.record(as);
            final CountDownLatch done = new CountDownLatch(1);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            f.device.interrupts().handler(3, h -> {
                try {
                    f.device.interrupts().release(3);             // releases its own handle
                    final DsaClient c = DsaClient.open(f.device, 0);
                    final Descriptor d = c.descriptor().opcode(Opcode.MEMMOVE).pasid(PASID).source(buf)
                        .destination(buf + 2048).transferSize(64).completionAddress(inner.va)
                        .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD
                            | DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(3);
                    inner.cr.arm();
                    assertTrue(c.trySubmit(d));                    // submits from the handler
                    assertEquals(0x19, inner.cr.await(new BackoffIdleStrategy(), WAIT), "its handle is gone");
                    f.iommu.iotlb().invalidateAll();                // and invalidates
                } catch (Throwable t) {
                    failure.set(t);
                } finally {
                    done.countDown();
                }
            });
            final SvaFixture.VaRecord cr = f.record(as);
            assertEquals(0x01, runBounded(f, memmove(f, PASID, buf, buf + 1024, 64)
                .addFlags(DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(3), cr));
            assertTrue(await(done));
            assertEquals(null, failure.get());
        }
    }

    // ---- page requests

    @Test
    void aPageRequestHandlerThatNeverReturnsEndsAtTheDeadlineCountedFromTheRaise() throws Exception {
        final CountDownLatch never = new CountDownLatch(1);
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 1)) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long src = as.allocate(4096, AddressSpace.RW_USER);
            final long lazy = as.reserve(4096, PageSize.SIZE_4K);
            final AtomicReference<Thread> handlerThread = new AtomicReference<>();
            f.iommu.pageRequests().timeout(TimeUnit.MILLISECONDS.toNanos(200));
            f.iommu.pageRequests().handler((request, responder) -> {
                handlerThread.set(Thread.currentThread());
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            final SvaFixture.VaRecord cr = f.record(as);
            for (int i = 0; i < 2; i++) { // the second fails at once: the handler is stuck past the timeout
                assertEquals(0x04, runBounded(f, memmove(f, PASID, src, lazy, 4096)
                    .addFlags(DescriptorFlags.BLOCK_ON_FAULT), cr), "request " + i);
                assertEquals(0, cr.cr.bytesCompleted());
                assertEquals(lazy, cr.cr.faultAddress());
            }
            assertEquals(1, f.iommu.pageRequests().timeouts());
            assertEquals(1, f.iommu.pageRequests().defaultOwner().failedFast());
            assertFalse(isEngineThread(handlerThread.get()), handlerThread.get().getName());
            // the engine is free: a descriptor that faults nowhere completes
            final long dst = as.allocate(4096, AddressSpace.RW_USER);
            assertEquals(0x01, runBounded(f, memmove(f, PASID, src, dst, 4096), cr));
        } finally {
            never.countDown();
        }
    }

    @Test
    void aResponseAfterTheDeadlineIsIgnored() throws Exception {
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 1)) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long src = as.allocate(4096, AddressSpace.RW_USER);
            final long lazy = as.reserve(4096, PageSize.SIZE_4K);
            final AtomicReference<PageRequestHandler.PageResponder> late = new AtomicReference<>();
            f.iommu.pageRequests().timeout(TimeUnit.MILLISECONDS.toNanos(100));
            f.iommu.pageRequests().handler((request, responder) -> late.set(responder)); // answers too late
            final SvaFixture.VaRecord cr = f.record(as);
            assertEquals(0x04, runBounded(f, memmove(f, PASID, src, lazy, 4096)
                .addFlags(DescriptorFlags.BLOCK_ON_FAULT), cr));
            as.map(lazy, f.memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
            late.get().respond(PageRequest.RESPONSE_SUCCESS);
            assertEquals(1, f.iommu.pageRequests().defaultOwner().ignoredResponses());
            // the next request is answered in time and succeeds: the late answer did not leak into it
            as.unmap(lazy, 4096);
            f.iommu.pageRequests().timeout(TimeUnit.SECONDS.toNanos(30));
            f.iommu.pageRequests().handler((request, responder) -> {
                as.map(request.pageAddress(), f.memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
                responder.respond(PageRequest.RESPONSE_SUCCESS);
            });
            assertEquals(0x01, runBounded(f, memmove(f, PASID, src, lazy, 4096)
                .addFlags(DescriptorFlags.BLOCK_ON_FAULT), cr));
            assertEquals(1, f.iommu.pageRequests().defaultOwner().ignoredResponses());
        }
    }

    @Test
    void aPageRequestHandlerThatThrowsAnErrorFailsOnlyThatRequest() throws Exception {
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 1)) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long src = as.allocate(4096, AddressSpace.RW_USER);
            final long lazy = as.reserve(4096, PageSize.SIZE_4K);
            final AtomicInteger calls = new AtomicInteger();
            f.iommu.pageRequests().handler((request, responder) -> {
                if (calls.incrementAndGet() == 1) {
                    throw new AssertionError("hostile page-request handler");
                }
                as.map(request.pageAddress(), f.memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
                responder.respond(PageRequest.RESPONSE_SUCCESS);
            });
            final SvaFixture.VaRecord cr = f.record(as);
            assertEquals(0x04, runBounded(f, memmove(f, PASID, src, lazy, 4096)
                .addFlags(DescriptorFlags.BLOCK_ON_FAULT), cr), "the throwing handler's request fails");
            assertEquals(0x01, runBounded(f, memmove(f, PASID, src, lazy, 4096)
                .addFlags(DescriptorFlags.BLOCK_ON_FAULT), cr), "the engine survived and serves the next");
            assertEquals(1, f.iommu.pageRequests().defaultOwner().handlerFailures());
            assertEquals(0, f.device.internalErrors());
        }
    }

    @Test
    void eachOwnerIsServedOnItsOwnThreadWithItsOwnTimeout() throws Exception {
        final CountDownLatch releaseA = new CountDownLatch(1);
        // three engines: all but one may wait on page requests at once, and A's stuck request holds one of the two
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 3)) {
            final AddressSpace a = f.iommu.bind(PASID);
            final AddressSpace b = f.iommu.bind(OTHER_PASID);
            final long aSrc = a.allocate(4096, AddressSpace.RW_USER);
            final long aLazy = a.reserve(4096, PageSize.SIZE_4K);
            final long bSrc = b.allocate(4096, AddressSpace.RW_USER);
            final long bLazy = b.reserve(4096, PageSize.SIZE_4K);
            final CountDownLatch aEntered = new CountDownLatch(1);
            final AtomicReference<Thread> aThread = new AtomicReference<>();
            final AtomicReference<Thread> bThread = new AtomicReference<>();
            final PageRequestService.Owner ownerA = f.iommu.pageRequests().owner("a", (request, responder) -> {
                aThread.set(Thread.currentThread());
                aEntered.countDown();
                try {
                    releaseA.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                a.map(request.pageAddress(), f.memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
                responder.respond(PageRequest.RESPONSE_SUCCESS);
            }).timeout(TimeUnit.SECONDS.toNanos(50));
            final PageRequestService.Owner ownerB = f.iommu.pageRequests().owner("b", (request, responder) -> {
                bThread.set(Thread.currentThread());
                b.map(request.pageAddress(), f.memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
                responder.respond(PageRequest.RESPONSE_SUCCESS);
            }).timeout(TimeUnit.MILLISECONDS.toNanos(500));
            f.iommu.pageRequests().route(PASID, ownerA);
            f.iommu.pageRequests().route(OTHER_PASID, ownerB);
            final SvaFixture.VaRecord aRecord = f.record(a);
            final Descriptor da = memmove(f, PASID, aSrc, aLazy, 4096).addFlags(DescriptorFlags.BLOCK_ON_FAULT
                | DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD)
                .completionAddress(aRecord.va);
            aRecord.cr.arm();
            assertTrue(f.client.trySubmit(da));
            assertTrue(await(aEntered), "A's request delivered");
            // A's handler is stuck on A's thread; B's request is served meanwhile, on B's own thread
            final SvaFixture.VaRecord bRecord = f.record(b);
            assertEquals(0x01, runBounded(f, memmove(f, OTHER_PASID, bSrc, bLazy, 4096)
                .addFlags(DescriptorFlags.BLOCK_ON_FAULT), bRecord));
            assertEquals(0, aRecord.cr.rawStatus(), "A still waits for its response");
            assertNotEquals(aThread.get(), bThread.get());
            assertFalse(isEngineThread(aThread.get()) || isEngineThread(bThread.get()));
            releaseA.countDown();
            assertEquals(0x01, aRecord.cr.await(new BackoffIdleStrategy(), WAIT));
            assertEquals(0, ownerA.timeouts() + ownerB.timeouts());
            assertEquals(1, ownerA.delivered());
            assertEquals(1, ownerB.delivered());
        } finally {
            releaseA.countDown();
        }
    }
}
