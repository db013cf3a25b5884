package io.softdsa.reliability.exhaustion;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.device.Threading;
import io.softdsa.device.WorkQueue;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.PageRequest;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;
import io.softdsa.memory.HostMemoryExhaustedException;
import io.softdsa.testing.Devices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Running out of host memory, PASIDs, interrupt handles and WQ capacity ends in a clear exception at the API, or in
 * the fact sheet's status or SWERR code at the device — and the device keeps working afterwards. Statuses are the
 * fact sheet's literals.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExhaustionTest {
    private static final int PASID = 0x42;

    /** A device driven by the test thread, over a scalable-mode IOMMU, with a small interrupt table. */
    private static final class Rig implements AutoCloseable {
        final HostMemory memory;
        final ScalableModeIommu iommu;
        final Device device;
        final Arena arena = Arena.ofConfined();
        final Descriptor d = Descriptor.allocate(arena);

        Rig(long memoryBytes, int wqSize, int threshold) {
            memory = HostMemory.allocate(memoryBytes);
            iommu = new ScalableModeIommu(memory);
            final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
                .wq(WqConfig.builder(0).shared().size(wqSize).threshold(threshold).group(0).pasidEnabled(true)
                    .blockOnFault(true).maxTransferSize(1L << 20).maxBatchSize(8).build())
                .wq(WqConfig.builder(1).dedicated().size(wqSize).group(0).maxTransferSize(1L << 20).build())
                .build();
            device = Device.create(memory, cfg, DeviceOptions.defaults().sva(iommu).threading(Threading.INVOKER)
                .capabilities(DeviceCapabilities.defaults().withInterruptHandles(4)));
            device.enableAll();
        }

        void drive() {
            Devices.drive(device);
        }

        /** A physical-address memmove on the dedicated WQ, run to its end; returns the status. */
        int physicalMemmove(int size) {
            try (HostBuffer src = memory.allocateBuffer(size); HostBuffer dst = memory.allocateBuffer(size);
                 HostBuffer rec = memory.allocateBuffer(4096)) {
                src.segment().fill((byte) 0x3C);
                final CompletionRecord cr = new CompletionRecord(memory.segment(), rec.address()).arm();
                d.clear().opcode(0x03).flags(0x0C).completionAddress(rec.address()).source(src.address())
                    .destination(dst.address()).transferSize(size);
                device.wq(1).portal().movdir64b(d);
                drive();
                assertEquals(-1, src.segment().mismatch(dst.segment()), "the copy after exhaustion");
                return cr.status();
            }
        }

        @Override
        public void close() {
            Devices.closeChecked(device, device, memory, arena);
        }
    }

    @Test
    void hostMemoryExhaustionIsAClearExceptionAndEndsBlockOnFaultWithStatus04() {
        try (Rig rig = new Rig(16L << 20, 16, 16)) {
            final AddressSpace as = rig.iommu.bind(PASID);
            final long recordVa = as.allocate(4096, AddressSpace.RW_USER);
            final long srcVa = as.allocate(8192, AddressSpace.RW_USER);
            final long lazyDst = as.reserve(8192, AddressSpace.PageSize.SIZE_4K);
            // page requests map a fresh frame, or answer Invalid Request when there is none
            rig.iommu.pageRequests().handler((request, responder) -> {
                try {
                    final long frame = rig.memory.frames().allocateFrame();
                    as.map(request.pageAddress(), frame, 4096, AddressSpace.RW_USER);
                    responder.respond(PageRequest.RESPONSE_SUCCESS);
                } catch (HostMemoryExhaustedException e) {
                    responder.respond(PageRequest.RESPONSE_INVALID_REQUEST);
                }
            });
            final List<HostBuffer> hog = new ArrayList<>();
            final HostMemoryExhaustedException e = assertThrows(HostMemoryExhaustedException.class, () -> {
                while (true) {
                    hog.add(rig.memory.allocateBuffer(1L << 20));
                }
            });
            assertTrue(e.getMessage().contains("host memory exhausted"), e.getMessage());
            while (true) { // the last frames too
                try {
                    hog.add(rig.memory.allocateBuffer(4096));
                } catch (HostMemoryExhaustedException full) {
                    break;
                }
            }
            assertEquals(0, rig.memory.frames().freeFrames());
            assertThrows(HostMemoryExhaustedException.class, () -> as.allocate(4096, AddressSpace.RW_USER));

            final CompletionRecord cr = new CompletionRecord(rig.memory.segment(), as.hostAddress(recordVa)).arm();
            rig.d.clear().opcode(0x03).pasid(PASID).flags(0x0C | 0x02).completionAddress(recordVa).source(srcVa)
                .destination(lazyDst).transferSize(8192);
            assertTrue(rig.device.wq(0).portal().boundTo(PASID).enqcmd(rig.d));
            rig.drive();
            assertEquals(0x04, cr.status(), "BOF fault with no frame to give: page fault, invalid page response");
            assertEquals(0, cr.bytesCompleted());

            hog.forEach(HostBuffer::close); // memory comes back: the same descriptor now completes
            cr.arm();
            assertTrue(rig.device.wq(0).portal().boundTo(PASID).enqcmd(rig.d));
            rig.drive();
            assertEquals(0x01, cr.status());
            assertEquals(0x01, rig.physicalMemmove(64 << 10));
        }
    }

    @Test
    void pasidExhaustionIsAClearExceptionAndAnUnboundPasidIsStatus22() {
        try (Rig rig = new Rig(8L << 20, 16, 16)) {
            // the 20-bit PASID space: every PASID handed out, then a clear exception; a freed one comes back
            int allocated = 0;
            IllegalStateException spent = null;
            try {
                while (true) {
                    rig.iommu.allocatePasid();
                    allocated++;
                }
            } catch (IllegalStateException ex) {
                spent = ex;
            }
            assertEquals((1 << 20) - 1, allocated, "PASIDs 1 .. 2^20 - 1");
            assertTrue(spent.getMessage().contains("PASID space exhausted"), spent.getMessage());
            rig.iommu.freePasid(0x5555);
            assertEquals(0x5555, rig.iommu.allocatePasid());
            assertThrows(IllegalArgumentException.class, () -> rig.iommu.bind(1 << 20));
            rig.iommu.bind(PASID);
            assertThrows(IllegalStateException.class, () -> rig.iommu.bind(PASID), "a PASID binds once");
            // every bind takes page-table frames: bind until host memory runs out
            final List<AddressSpace> bound = new ArrayList<>();
            final HostMemoryExhaustedException e = assertThrows(HostMemoryExhaustedException.class, () -> {
                for (int p = 0x1000; ; p++) {
                    bound.add(rig.iommu.bind(p));
                }
            });
            assertTrue(e.getMessage().contains("exhausted"), e.getMessage());
            assertTrue(bound.size() > 100, "binds before exhaustion: " + bound.size());
            // an unbound PASID is a translation error (0x22), not a fault and not a crash
            bound.forEach(AddressSpace::unbind);
            final AddressSpace as = rig.iommu.bind(0x77);
            final long recordVa = as.allocate(4096, AddressSpace.RW_USER);
            final CompletionRecord cr = new CompletionRecord(rig.memory.segment(), as.hostAddress(recordVa)).arm();
            rig.d.clear().opcode(0x04).flags(0x0C).completionAddress(recordVa).destination(0x1000).transferSize(64);
            final int mark = rig.device.swerr().history().size();
            assertTrue(rig.device.wq(0).portal().boundTo(0x1234).enqcmd(rig.d)); // PASID 0x1234: never bound
            rig.drive();
            final List<SwerrEntry> errors = rig.device.swerr().history();
            assertTrue(errors.size() > mark && errors.get(errors.size() - 1).errorCode() == 0x1A
                    || cr.status() == 0x22,
                "an unbound PASID cannot even reach its record: SWERR 0x1A, or 0x22 in the record");
            // the device and a freshly bound PASID keep working
            rig.d.clear().opcode(0x04).flags(0x0C).completionAddress(recordVa)
                .destination(as.allocate(4096, AddressSpace.RW_USER)).fillPattern(7).transferSize(4096);
            cr.arm();
            assertTrue(rig.device.wq(0).portal().boundTo(0x77).enqcmd(rig.d));
            rig.drive();
            assertEquals(0x01, cr.status());
            assertEquals(0x01, rig.physicalMemmove(4096));
        }
    }

    @Test
    void interruptHandleExhaustionIsAClearExceptionAndARevokedHandleIsStatus19() {
        try (Rig rig = new Rig(8L << 20, 16, 16)) {
            final var table = rig.device.interrupts();
            final IllegalStateException e = assertThrows(IllegalStateException.class, table::allocate);
            assertTrue(e.getMessage().contains("no interrupt handle available"), e.getMessage());
            table.release(2);
            try (HostBuffer rec = rig.memory.allocateBuffer(4096)) {
                final CompletionRecord cr = new CompletionRecord(rig.memory.segment(), rec.address()).arm();
                rig.d.clear().opcode(0x00).flags(0x0C | 0x10).completionAddress(rec.address()).interruptHandle(2);
                rig.device.wq(1).portal().movdir64b(rig.d);
                rig.drive();
                assertEquals(0x19, cr.status(), "RCI with a released handle: invalid interrupt handle");
                assertEquals(2, table.allocate(), "the released handle is the one handed out again");
                final long before = table.count(2);
                cr.arm();
                rig.device.wq(1).portal().movdir64b(rig.d);
                rig.drive();
                assertEquals(0x01, cr.status());
                assertEquals(before + 1, table.count(2), "the interrupt was raised");
            }
            assertEquals(0x01, rig.physicalMemmove(4096));
        }
    }

    @Test
    void wqCapacityExhaustionIsRetryOnSharedWqsAndSwerr30OnDedicatedOnes() {
        try (Rig rig = new Rig(8L << 20, 4, 2);
             HostBuffer rec = rig.memory.allocateBuffer(4096)) {
            final WorkQueue shared = rig.device.wq(0);
            final WorkQueue dedicated = rig.device.wq(1);
            rig.d.clear().opcode(0x00).flags(0x0C).completionAddress(rec.address());
            // the limited portal says retry at the threshold (2), the unlimited one at the size (4)
            assertTrue(shared.limitedPortal().enqcmd(rig.d));
            assertTrue(shared.limitedPortal().enqcmd(rig.d));
            assertTrue(!shared.limitedPortal().enqcmd(rig.d), "retry at the threshold");
            assertTrue(shared.unlimitedPortal().enqcmd(rig.d));
            assertTrue(shared.unlimitedPortal().enqcmd(rig.d));
            assertTrue(!shared.unlimitedPortal().enqcmd(rig.d), "retry when full");
            assertEquals(4, shared.occupancy());
            // a full dedicated WQ drops the fifth MOVDIR64B into SWERR with code 0x30 and the descriptor's bytes
            final int mark = rig.device.swerr().history().size();
            for (int i = 0; i < 5; i++) {
                dedicated.portal().movdir64b(rig.d);
            }
            final List<SwerrEntry> errors = rig.device.swerr().history();
            assertEquals(mark + 1, errors.size());
            final SwerrEntry drop = errors.get(errors.size() - 1);
            assertEquals(0x30, drop.errorCode());
            assertEquals(1, drop.wqIndex());
            assertEquals(rec.address(), java.lang.foreign.MemorySegment.ofArray(drop.descriptor())
                .get(ValueLayout.JAVA_LONG_UNALIGNED, 8));
            // the engine empties both; everything accepted completes, and both WQs take work again
            final long completed = rig.device.completedDescriptors();
            rig.drive();
            assertEquals(completed + 8, rig.device.completedDescriptors());
            assertTrue(shared.limitedPortal().enqcmd(rig.d));
            rig.drive();
            assertEquals(0x01, rig.physicalMemmove(4096));
        }
    }
}
