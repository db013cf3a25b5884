package io.softdsa.iommu;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.engine.Engine;
import io.softdsa.iommu.AddressSpace.PageSize;
import io.softdsa.memory.HostMemory;
import io.softdsa.client.DsaClient;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 items 7, 9, 10 and 11: an engine survives anything thrown on it, lets go of its translation epoch within
 * a bounded amount of work, leaks nothing across reconfigurations, and is never driven by two threads at once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EngineLivenessTest {
    private static final int PASID = 5;

    private static DeviceConfig oneSharedWq(int engines) {
        final Integer[] ids = new Integer[engines];
        for (int i = 0; i < engines; i++) {
            ids[i] = i;
        }
        return DeviceConfig.builder("dsa0").group(GroupConfig.of(0, ids))
            .wq(WqConfig.builder(0).shared().size(32).group(0).pasidEnabled(true).blockOnFault(true)
                .maxTransferSize(1L << 31).maxBatchSize(64).build())
            .build();
    }

    private static Descriptor memmove(DsaClient client, long src, long dst, long size) {
        return client.descriptor().opcode(Opcode.MEMMOVE).pasid(PASID).source(src).destination(dst).transferSize(size);
    }

    private static int await(CompletionRecord cr) {
        cr.await(new BackoffIdleStrategy(), TimeUnit.SECONDS.toNanos(30));
        return cr.status();
    }

    /** Item 7: an Error thrown on the engine thread (here by the page-fault path) kills neither it nor its epoch. */
    @Test
    void anErrorOnTheEngineThreadCompletesTheDescriptorAndTheEngineGoesOn() {
        try (HostMemory memory = HostMemory.allocate(64L << 20)) {
            final ScalableModeIommu iommu = new ScalableModeIommu(memory);
            final DeviceOptions options = DeviceOptions.defaults().sva(iommu)
                .pageFaultHandler((t, address, access) -> {
                    throw new OutOfMemoryError("planted: a page-fault path that throws an Error");
                });
            try (Device dsa = Device.create(memory, oneSharedWq(1), options);
                 DsaClient client = DsaClient.open(dsa, 0)) {
                dsa.enableAll();
                final AddressSpace as = iommu.bind(PASID);
                final long src = as.allocate(8192, AddressSpace.RW_USER);
                final long lazy = as.reserve(8192, PageSize.SIZE_4K);
                final long dst = as.allocate(8192, AddressSpace.RW_USER);
                final long crVa = as.allocate(4096, AddressSpace.RW_USER);
                final CompletionRecord cr = new CompletionRecord(memory.segment(), as.hostAddress(crVa));
                as.write(src, MemorySegment.ofArray(new byte[] {1, 2, 3, 4}));

                cr.arm();
                assertTrue(client.trySubmit(memmove(client, src, lazy, 8192).addFlags(0x0E).completionAddress(crVa)));
                assertEquals(0x20, await(cr), "the descriptor that met the Error completes as a hardware error");
                assertEquals(1, dsa.errors().internalErrors());
                assertTrue(dsa.errors().distinctErrors().get(0).contains("planted"), "the Error is logged");

                iommu.iotlb().invalidateAll(); // would hang if the engine had died holding its epoch
                cr.arm();
                assertTrue(client.trySubmit(memmove(client, src, dst, 8192).addFlags(0x0C).completionAddress(crVa)));
                assertEquals(0x01, await(cr), "the same engine thread runs the next descriptor");
                assertEquals(4, as.read(dst, 4)[3]);
                assertEquals(0, dsa.errors().engineThreadErrors());
            }
        }
    }

    /**
     * Item 9: an IOTLB invalidation does not wait for another tenant's whole descriptor. A DIX generate over 256 MiB
     * takes hundreds of milliseconds; once it has started, an invalidation returns while it is still running.
     */
    @Test
    void anInvalidationReturnsWhileAHugeDescriptorIsStillRunning() {
        try (HostMemory memory = HostMemory.allocate(320L << 20)) {
            final ScalableModeIommu iommu = new ScalableModeIommu(memory);
            try (Device dsa = Device.create(memory, oneSharedWq(1), DeviceOptions.defaults().sva(iommu).busySpin());
                 DsaClient client = DsaClient.open(dsa, 0)) {
                dsa.enableAll();
                final AddressSpace as = iommu.bind(PASID);
                final long size = 256L << 20;
                final long src = as.allocate(size, AddressSpace.RW_USER, PageSize.SIZE_2M, true);
                final long tuples = as.allocate(size / 512 * 8, AddressSpace.RW_USER, PageSize.SIZE_2M, true);
                final long crVa = as.allocate(4096, AddressSpace.RW_USER);
                final CompletionRecord cr = new CompletionRecord(memory.segment(), as.hostAddress(crVa));
                final long firstTuple = as.hostAddress(tuples);
                memory.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, firstTuple, -1L);
                cr.arm();
                assertTrue(client.trySubmit(client.descriptor().opcode(Opcode.DIX_GENERATE).pasid(PASID).source(src)
                    .destination(tuples).transferSize(size).addFlags(0x0C).completionAddress(crVa)));
                while (memory.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, firstTuple) == -1L) {
                    Thread.onSpinWait(); // the engine has started (and holds an epoch)
                }
                iommu.iotlb().invalidatePasid(PASID + 1); // another tenant's invalidation
                assertEquals(0, cr.status(), "the invalidation returned before the descriptor completed");
                assertEquals(0x01, await(cr));
            }
        }
    }

    /** Item 10: 10,000 reconfigurations leave no IOTLB slot, arena or thread behind. */
    @Test
    void tenThousandReconfigurationsLeakNothing() {
        try (HostMemory memory = HostMemory.allocate(64L << 20)) {
            final ScalableModeIommu iommu = new ScalableModeIommu(memory);
            try (Device dsa = Device.create(memory, oneSharedWq(2),
                DeviceOptions.defaults().sva(iommu).threading(Threading.INVOKER))) {
                final AddressSpace as = iommu.bind(PASID);
                final long src = as.allocate(4096, AddressSpace.RW_USER);
                final long dst = as.allocate(4096, AddressSpace.RW_USER);
                final long crVa = as.allocate(4096, AddressSpace.RW_USER);
                final CompletionRecord cr = new CompletionRecord(memory.segment(), as.hostAddress(crVa));
                final int threadsBefore = Thread.activeCount();
                long directBefore = 0;
                for (int cycle = 0; cycle < 10_000; cycle++) {
                    dsa.configure(oneSharedWq(1 + (cycle & 1)));
                    dsa.enableAll();
                    try (DsaClient client = DsaClient.open(dsa, 0)) {
                        cr.arm();
                        assertTrue(client.trySubmit(memmove(client, src, dst, 64).addFlags(0x0C)
                            .completionAddress(crVa)));
                        while (dsa.invokeEngines() > 0) {
                            // drive
                        }
                        assertEquals(0x01, cr.status(), "cycle " + cycle);
                    }
                    dsa.disable();
                    if (cycle == 999) {
                        directBefore = directMemoryUsed();
                    }
                }
                assertEquals(0, dsa.internalErrors());
                final long growth = directMemoryUsed() - directBefore;
                assertTrue(growth < 64 * 1024, "native memory grew by " + growth + " bytes over 9,000 cycles");
                assertTrue(Thread.activeCount() <= threadsBefore + 1, "threads left behind");
            }
        }
    }

    /** Item 11: an engine that runs on its own thread refuses to be invoked as well. */
    @Test
    void invokeOnAThreadedEngineIsRefused() {
        try (HostMemory memory = HostMemory.allocate(16L << 20);
             Device dsa = Device.create(memory, DeviceConfig.singleWq(io.softdsa.device.config.WqMode.SHARED, 16, 1))) {
            dsa.enableAll();
            final Engine engine = dsa.engines().get(0);
            final IllegalStateException e = assertThrows(IllegalStateException.class, engine::invoke);
            assertTrue(e.getMessage().contains("THREAD_PER_ENGINE"), e.getMessage());
            dsa.disable();
            assertEquals(0, engine.invoke(), "once its thread has stopped, the engine may be invoked");
        }
    }

    /**
     * Native memory in use once the collector has let go of what nothing reaches any more: an engine's fetch and list
     * buffers are an automatic arena's (see Descriptor.allocateOwned), freed after the engine is unreachable, not at
     * its close. So a leak here is memory something still holds.
     */
    private static long directMemoryUsed() {
        long used = directMemoryNow();
        for (int i = 0; i < 20; i++) {
            System.gc();
            try {
                Thread.sleep(20); // the cleaner thread frees an unreachable arena's memory after the collection
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            final long now = directMemoryNow();
            if (now >= used && i >= 2) {
                return now;
            }
            used = Math.min(used, now);
        }
        return used;
    }

    private static long directMemoryNow() {
        long used = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            used += pool.getMemoryUsed();
        }
        return used;
    }

    /** Abort PASID waits for that PASID's running descriptors only, not for another tenant's blocked one. */
    @Test
    void abortPasidDoesNotWaitForAnotherPasidsDescriptorBlockedOnAPageRequest() throws Exception {
        try (HostMemory memory = HostMemory.allocate(64L << 20)) {
            final ScalableModeIommu iommu = new ScalableModeIommu(memory);
            final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            try (Device dsa = Device.create(memory, oneSharedWq(2), DeviceOptions.defaults().sva(iommu));
                 DsaClient client = DsaClient.open(dsa, 0)) {
                dsa.enableAll();
                final AddressSpace blocked = iommu.bind(PASID);
                final long src = blocked.allocate(4096, AddressSpace.RW_USER);
                final long lazy = blocked.reserve(4096, PageSize.SIZE_4K);
                final long crVa = blocked.allocate(4096, AddressSpace.RW_USER);
                final CompletionRecord cr = new CompletionRecord(memory.segment(), blocked.hostAddress(crVa));
                final java.util.concurrent.CountDownLatch raised = new java.util.concurrent.CountDownLatch(1);
                iommu.pageRequests().handler((request, responder) -> {
                    raised.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    responder.respond(PageRequest.RESPONSE_INVALID_REQUEST);
                });
                cr.arm();
                assertTrue(client.trySubmit(memmove(client, src, lazy, 4096).addFlags(0x0E).completionAddress(crVa)));
                assertTrue(raised.await(30, TimeUnit.SECONDS), "the page request was raised");
                final Thread aborter = new Thread(() -> dsa.wq(0).abortPasid(PASID + 1));
                aborter.start();
                aborter.join(TimeUnit.SECONDS.toMillis(20));
                assertTrue(!aborter.isAlive(), "Abort PASID of another PASID waited for the blocked descriptor");
                assertEquals(0, cr.status(), "the blocked descriptor is still waiting on its page request");
                release.countDown();
                assertEquals(0x04, await(cr), "once answered it completes");
            } finally {
                release.countDown();
            }
        }
    }
}
