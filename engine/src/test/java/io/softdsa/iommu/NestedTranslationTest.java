package io.softdsa.iommu;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace.PageSize;
import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

import static io.softdsa.testing.TestData.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fact sheet section 13, two-stage translation: a guest's page tables in guest memory, stage 2 owned by the host. */
class NestedTranslationTest {
    private static final long GUEST_RAM = 32L << 20;
    private HostMemory memory;
    private ScalableModeIommu iommu;
    private Device device;
    private DsaClient client;

    @BeforeEach
    void setUp() {
        memory = HostMemory.allocate(256L << 20);
        iommu = new ScalableModeIommu(memory);
        // WQ 0: shared, PASID-enabled (guest PASIDs arrive translated by ENQCMD); WQ 1: dedicated, PASID programmed
        final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
            .wq(WqConfig.builder(0).shared().size(16).group(0).pasidEnabled(true).blockOnFault(true).build())
            .wq(WqConfig.builder(1).dedicated().size(16).group(0).build())
            .build();
        device = Device.create(memory, cfg, DeviceOptions.defaults().sva(iommu).threading(Threading.INVOKER));
        device.enableAll();
        client = DsaClient.open(device, 0);
    }

    @AfterEach
    void tearDown() {
        assertEquals(0, device.internalErrors());
        client.close();
        device.close();
        memory.close();
    }

    /**
     * A guest process's 4-level tables (guest PASID 9) in {@code guest}, bound nested as {@code hostPasid} over
     * {@code s2}; the guest's invalidations are forwarded to the IOTLB.
     */
    private AddressSpace bindGuestProcess(GuestPhysicalMemory guest, int hostPasid, SecondLevelTables s2) {
        final AddressSpace stage1 = AddressSpace.inGuest(guest, 9, 4,
            (p, va, len) -> iommu.iotlb().invalidateRange(hostPasid, va, len));
        iommu.bindNested(hostPasid, stage1.root(), 4, false, s2);
        return stage1;
    }

    private int enqcmdAndRun(Descriptor d, int hostPasid, CompletionRecord cr) {
        cr.arm();
        assertTrue(device.wq(0).portal().enqcmd(d.segment(), d.offset(), hostPasid));
        while (device.invokeEngines() > 0) {
            // drive
        }
        return cr.status();
    }

    @Test
    void guestPageTablesInGuestMemoryTranslateThroughStage2() {
        final SecondLevelTables s2 = iommu.newSecondLevel();
        final GuestPhysicalMemory guest = GuestPhysicalMemory.backed(memory, s2, GUEST_RAM);
        final int guestPasid = 5;
        final AtomicInteger guestInvalidations = new AtomicInteger();
        final int hostPasid = iommu.allocatePasid();
        final AddressSpace stage1 = AddressSpace.inGuest(guest, guestPasid, 4, (p, va, len) -> {
            guestInvalidations.incrementAndGet();
            iommu.iotlb().invalidateRange(hostPasid, va, len); // the host forwards the guest's invalidation
        });
        iommu.bindNested(hostPasid, stage1.root(), 4, false, s2);
        final long src = stage1.allocate(3 * 4096 + 100, AddressSpace.RW_USER);
        final long dst = stage1.allocate(3 * 4096 + 100, AddressSpace.RW_USER);
        final long rec = stage1.allocate(4096, AddressSpace.RW_USER);
        final byte[] data = random(3 * 4096 + 100, 1);
        stage1.write(src, MemorySegment.ofArray(data));
        final CompletionRecord cr = new CompletionRecord(memory.segment(), stage1.hostAddress(rec));
        final Descriptor d = client.descriptor().opcode(Opcode.MEMMOVE).pasid(guestPasid).source(src)
            .destination(dst).transferSize(data.length).completionAddress(rec).flags(0x0C);
        assertEquals(0x01, enqcmdAndRun(d, hostPasid, cr));
        assertArrayEquals(data, stage1.read(dst, data.length));
        assertTrue(guestInvalidations.get() > 0);
        // guest-physical addresses are what the guest tables hold
        assertTrue(stage1.physicalAddress(src) < GUEST_RAM);
        // a stage-1 fault is the guest's page fault, at the guest virtual address
        stage1.unmap(dst + 4096, 4096);
        assertEquals(0x03, enqcmdAndRun(d, hostPasid, cr));
        assertEquals(dst + 4096, cr.faultAddress());
        assertEquals(4096, cr.bytesCompleted());
        assertTrue(cr.faultWasWrite());
    }

    /**
     * Nested, the same rule as a stage-2-only PASID: the host's stage-2 handler, resolving a miss on the second page
     * of a fill's two-page run, takes the run's first page away (unmap, poison) and backs the second; the engine must
     * write the first page's new frame only, never the one given up.
     */
    @Test
    void aStage2ResolutionLaterInARunVoidsTheRunsEarlierPages() {
        final SecondLevelTables s2 = iommu.newSecondLevel();
        final long backing = memory.frames().allocateContiguous(GUEST_RAM, 4096);
        final long[] gpa = {-1, -1}; // the destination's two guest pages, once known
        final long fresh = memory.frames().allocateFrame();
        s2.faultHandler((faultGpa, write) -> {
            final long page = faultGpa & ~4095L;
            if (page == gpa[1]) {
                s2.unmap(gpa[0], 4096); // invalidates; from its return the old frame is not the guest's
                memory.segment().asSlice(backing + gpa[0], 4096).fill((byte) 0xA5);
                s2.map(page, backing + page, 4096, true);
                return true;
            }
            s2.map(page, page == gpa[0] ? fresh : backing + page, 4096, true);
            return true;
        });
        final GuestPhysicalMemory guest = new GuestPhysicalMemory(memory, s2, GUEST_RAM);
        final int hostPasid = iommu.allocatePasid();
        final AddressSpace stage1 = bindGuestProcess(guest, hostPasid, s2);
        final long rec = stage1.allocate(4096, AddressSpace.RW_USER);
        final byte[] data = new byte[2 * 4096];
        java.util.Arrays.fill(data, (byte) 0x5A);
        // two adjacent guest pages: the first backed now (one host-contiguous run with the second's backing to
        // come), the second not, so the device's access to it misses in stage 2
        final long g = guest.frames().allocateContiguous(2 * 4096, 4096);
        final long dst = stage1.reserve(2 * 4096, PageSize.SIZE_4K);
        stage1.map(dst, g, 2 * 4096, AddressSpace.RW_USER);
        s2.map(g, backing + g, 4096, true);
        gpa[0] = g;
        gpa[1] = g + 4096;
        final CompletionRecord cr = new CompletionRecord(memory.segment(), stage1.hostAddress(rec));
        // a fill: one operand, so its first step asks for the whole two-page run
        assertEquals(0x01, enqcmdAndRun(client.descriptor().opcode(Opcode.FILL).pasid(9)
            .fillPattern(0x5A5A_5A5A_5A5A_5A5AL).destination(dst).transferSize(2 * 4096).completionAddress(rec)
            .flags(0x0C), hostPasid, cr));
        final MemorySegment given = memory.segment().asSlice(backing + gpa[0], 4096);
        for (int i = 0; i < 4096; i++) {
            if (given.get(ValueLayout.JAVA_BYTE, i) != (byte) 0xA5) {
                throw new AssertionError("the device wrote the frame the host took away, at byte " + i);
            }
        }
        assertArrayEquals(java.util.Arrays.copyOf(data, 4096), bytesAt(fresh), "the first page's new frame");
        assertArrayEquals(data, stage1.read(dst, 2 * 4096));
    }

    private byte[] bytesAt(long host) {
        return memory.segment().asSlice(host, 4096).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void stage2MissesAreResolvedByTheHostAndNeverSeenByTheGuest() {
        final SecondLevelTables s2 = iommu.newSecondLevel();
        final AtomicInteger stage2Faults = new AtomicInteger();
        final long backing = memory.frames().allocateContiguous(GUEST_RAM, 4096);
        s2.faultHandler((gpa, write) -> { // lazily back guest RAM, one page at a time
            stage2Faults.incrementAndGet();
            final long page = gpa & ~4095L;
            s2.map(page, backing + page, 4096, true);
            return true;
        });
        final GuestPhysicalMemory guest = new GuestPhysicalMemory(memory, s2, GUEST_RAM);
        final int hostPasid = iommu.allocatePasid();
        final AddressSpace stage1 = bindGuestProcess(guest, hostPasid, s2);
        final long src = stage1.allocate(8 * 4096, AddressSpace.RW_USER);
        final long dst = stage1.allocate(8 * 4096, AddressSpace.RW_USER);
        final long rec = stage1.allocate(4096, AddressSpace.RW_USER);
        final byte[] data = random(8 * 4096, 2);
        stage1.write(src, MemorySegment.ofArray(data));
        final int cpuFaults = stage2Faults.get();
        // the host drops part of the guest's backing behind its back (as after swapping it out)
        final long dstGpa = stage1.physicalAddress(dst + 2 * 4096);
        s2.unmap(dstGpa, 4096);
        final CompletionRecord cr = new CompletionRecord(memory.segment(), stage1.hostAddress(rec));
        assertEquals(0x01, enqcmdAndRun(client.descriptor().opcode(Opcode.MEMMOVE).pasid(9).source(src)
            .destination(dst).transferSize(8 * 4096).completionAddress(rec).flags(0x0C), hostPasid, cr));
        assertTrue(stage2Faults.get() > cpuFaults, "the device's stage-2 miss went to the host");
        assertArrayEquals(data, stage1.read(dst, 8 * 4096));
        // a host that cannot back the page fails the access as a translation error, not a guest page fault
        s2.unmap(dstGpa, 4096);
        s2.faultHandler((gpa, write) -> false);
        assertEquals(0x22, enqcmdAndRun(client.descriptor().opcode(Opcode.MEMMOVE).pasid(9).source(src)
            .destination(dst).transferSize(8 * 4096).completionAddress(rec).flags(0x0C), hostPasid, cr));
    }

    @Test
    void secondLevelOnlyForAGuestWqWithoutPasid() {
        final SecondLevelTables s2 = iommu.newSecondLevel();
        final GuestPhysicalMemory guest = GuestPhysicalMemory.backed(memory, s2, GUEST_RAM);
        final int hostPasid = iommu.allocatePasid();
        iommu.bindSecondLevel(hostPasid, s2);
        // the host programs its dedicated WQ with the guest's host PASID; the guest uses guest-physical addresses
        device.wq(1).disable();
        device.configureWq(WqConfig.builder(1).dedicated().size(16).group(0).pasid(true, hostPasid).build());
        device.wq(1).enable();
        final long src = guest.allocateContiguous(3 * 4096, 4096);
        final long dst = guest.allocateContiguous(3 * 4096, 4096);
        final long rec = guest.allocateFrame();
        final byte[] data = random(3 * 4096, 3);
        guest.write(src, MemorySegment.ofArray(data));
        final CompletionRecord cr = new CompletionRecord(memory.segment(), guest.toHost(rec)).arm();
        final Descriptor d = client.descriptor().opcode(Opcode.MEMMOVE).source(src).destination(dst)
            .transferSize(data.length).completionAddress(rec).flags(0x0C);
        device.wq(1).portal().movdir64b(d);
        while (device.invokeEngines() > 0) {
            // drive
        }
        assertEquals(0x01, cr.status());
        assertArrayEquals(data, guest.read(dst, data.length));
        // beyond guest RAM: nothing in stage 2, no host handler: a translation error in the guest's record
        assertEquals(0x22, enqcmdAndRun(client.descriptor().opcode(Opcode.FILL).destination(GUEST_RAM + 4096)
            .transferSize(64).completionAddress(rec).flags(0x0C), hostPasid, cr));
    }

    @Test
    void dirtyLogReportsExactlyThePagesDmaWrote() {
        final SecondLevelTables s2 = iommu.newSecondLevel();
        final GuestPhysicalMemory guest = GuestPhysicalMemory.backed(memory, s2, GUEST_RAM, PageSize.SIZE_4K);
        final int hostPasid = iommu.allocatePasid();
        iommu.bindSecondLevel(hostPasid, s2);
        final long rec = guest.allocateFrame();
        final long src = guest.allocateContiguous(4096, 4096);
        s2.startDirtyLogging();
        assertEquals(0, bits(s2.reportAndClearDirty(0, GUEST_RAM, 12)), "clean right after start");
        final long[] targets = {0x10_0000, 0x10_3000, 0x40_1000};
        final CompletionRecord cr = new CompletionRecord(memory.segment(), guest.toHost(rec));
        for (long t : targets) {
            assertEquals(0x01, enqcmdAndRun(client.descriptor().opcode(Opcode.MEMMOVE).source(src).destination(t + 8)
                .transferSize(64).completionAddress(rec).flags(0x0C), hostPasid, cr));
        }
        final long[] bitmap = s2.reportAndClearDirty(0, GUEST_RAM, 12);
        for (long t : targets) {
            assertTrue((bitmap[(int) (t >>> 18)] & (1L << (t >>> 12))) != 0, "page 0x" + Long.toHexString(t));
        }
        assertTrue((bitmap[(int) (rec >>> 18)] & (1L << (rec >>> 12))) != 0, "the completion record page too");
        assertEquals(targets.length + 1, bits(bitmap), "only DMA writes are logged (the source was only read)");
        assertEquals(0, bits(s2.reportAndClearDirty(0, GUEST_RAM, 12)), "report clears");
        assertEquals(0x01, enqcmdAndRun(client.descriptor().opcode(Opcode.FILL).destination(targets[0])
            .transferSize(8192).completionAddress(rec).flags(0x0C), hostPasid, cr));
        final long[] again = s2.reportAndClearDirty(0x10_0000, 0x1_0000, 12);
        assertEquals(0b11, again[0] & 0xF, "two pages written again, relative to the range start");
        assertThrows(IllegalArgumentException.class, () -> s2.reportAndClearDirty(100, 4096, 12));
    }

    @Test
    void dirtyLogGranularityIsTheStage2PageSize() {
        final SecondLevelTables s2 = iommu.newSecondLevel();
        final GuestPhysicalMemory guest = GuestPhysicalMemory.backed(memory, s2, GUEST_RAM); // 2 MiB pages
        final int hostPasid = iommu.allocatePasid();
        iommu.bindSecondLevel(hostPasid, s2);
        final long rec = 0x20_0000; // the second 2 MiB page
        final CompletionRecord cr = new CompletionRecord(memory.segment(), guest.toHost(rec));
        s2.startDirtyLogging();
        assertEquals(0x01, enqcmdAndRun(client.descriptor().opcode(Opcode.FILL).destination(0x20_1000)
            .transferSize(64).completionAddress(rec).flags(0x0C), hostPasid, cr));
        final long[] bitmap = s2.reportAndClearDirty(0, GUEST_RAM, 12);
        assertEquals(512, bits(bitmap), "one 2 MiB stage-2 page: 512 dirty 4 KiB pages");
        assertEquals(-1L, bitmap[8], "bits 512..575: the second 2 MiB page");
        assertEquals(0, bits(s2.reportAndClearDirty(0, GUEST_RAM, 12)), "cleared by the report");
        assertEquals(0x01, enqcmdAndRun(client.descriptor().opcode(Opcode.FILL).destination(0x20_1000)
            .transferSize(64).completionAddress(rec).flags(0x0C), hostPasid, cr));
        assertEquals(1, bits(s2.reportAndClearDirty(0x20_0000, 0x20_0000, 21)), "one bit at 2 MiB granularity");
    }

    @Test
    void hostPasidsAreAllocatedAndFreed() {
        final int a = iommu.allocatePasid();
        final int b = iommu.allocatePasid();
        assertTrue(a >= 1 && b >= 1 && a != b, "PASID 0 is never handed out");
        iommu.freePasid(a);
        assertThrows(IllegalArgumentException.class, () -> iommu.freePasid(a));
        final AddressSpace bound = iommu.bind(a + 1000);
        for (int i = 0; i < 2000; i++) {
            assertFalse(iommu.allocatePasid() == a + 1000, "a bound PASID is not handed out");
        }
        bound.unbind();
    }

    private static int bits(long[] bitmap) {
        int n = 0;
        for (long w : bitmap) {
            n += Long.bitCount(w);
        }
        return n;
    }
}
