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
import io.softdsa.memory.Le;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 item 5: in a nested walk, setting accessed/dirty in a guest page-table entry is a DMA write into guest
 * memory, so it needs stage-2 write permission (else the host's stage-2 fault path) and is dirty-logged. The guest
 * page-table pages are found by an independent walk of the guest tables in this test.
 */
@Timeout(60)
class NestedAccessedDirtyTest {
    private static final long GUEST_RAM = 8L << 20;
    private static final long ACCESSED = 1L << 5;
    private static final long DIRTY = 1L << 6;
    private static final long ADDRESS = 0x000F_FFFF_FFFF_F000L;

    private HostMemory memory;
    private ScalableModeIommu iommu;
    private Device device;
    private DsaClient client;
    private SecondLevelTables s2;
    private GuestPhysicalMemory guest;
    private AddressSpace stage1;
    private int hostPasid;

    @BeforeEach
    void setUp() {
        memory = HostMemory.allocate(128L << 20);
        iommu = new ScalableModeIommu(memory);
        final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
            .wq(WqConfig.builder(0).shared().size(16).group(0).pasidEnabled(true).build())
            .build();
        device = Device.create(memory, cfg, DeviceOptions.defaults().sva(iommu).threading(Threading.INVOKER));
        device.enableAll();
        client = DsaClient.open(device, 0);
        s2 = iommu.newSecondLevel();
        guest = GuestPhysicalMemory.backed(memory, s2, GUEST_RAM, PageSize.SIZE_4K);
        hostPasid = iommu.allocatePasid();
        stage1 = AddressSpace.inGuest(guest, 5, 4, (p, va, len) -> iommu.iotlb().invalidateRange(hostPasid, va, len));
        iommu.bindNested(hostPasid, stage1.root(), 4, false, s2);
    }

    @AfterEach
    void tearDown() {
        assertEquals(0, device.internalErrors());
        client.close();
        device.close();
        memory.close();
    }

    /** Guest-physical addresses of the four entries a 4-level walk of {@code va} uses, PML4E first. */
    private long[] entryGpas(long va) {
        final long[] out = new long[4];
        long table = stage1.root();
        for (int level = 4; level >= 1; level--) {
            final long gpa = table + ((va >>> (12 + 9 * (level - 1))) & 511) * 8;
            out[4 - level] = gpa;
            table = entry(gpa) & ADDRESS;
        }
        return out;
    }

    private long entry(long gpa) {
        return Le.getLongVolatile(memory.segment(), guest.toHost(gpa));
    }

    private int run(Descriptor d, CompletionRecord cr) {
        cr.arm();
        assertTrue(device.wq(0).portal().enqcmd(d.segment(), d.offset(), hostPasid));
        while (device.invokeEngines() > 0) {
            // drive
        }
        return cr.status();
    }

    @Test
    void accessedAndDirtyUpdatesNeedStage2WriteAndTakeTheHostsFaultPath() {
        final long src = stage1.allocate(4096, AddressSpace.RW_USER);
        final long rec = stage1.allocate(4096, AddressSpace.RW_USER);
        final CompletionRecord cr = new CompletionRecord(memory.segment(), stage1.hostAddress(rec));
        final long dst = stage1.allocate(4096, AddressSpace.RW_USER);
        stage1.write(src, MemorySegment.ofArray(new byte[4096]));
        // the host write-protects every guest page-table page the destination's walk uses (as for migration)
        final Set<Long> tablePages = new LinkedHashSet<>();
        for (long gpa : entryGpas(dst)) {
            tablePages.add(gpa & ~4095L);
        }
        for (long page : tablePages) {
            s2.map(page, s2.hostAddress(page), 4096, false);
        }
        final List<long[]> faults = new ArrayList<>();
        s2.faultHandler((gpa, write) -> {
            faults.add(new long[] {gpa, write ? 1 : 0});
            final long page = gpa & ~4095L;
            s2.map(page, s2.hostAddress(page), 4096, true); // the host's fault path makes it writable again
            return true;
        });
        assertEquals(0x01, run(client.descriptor().opcode(Opcode.MEMMOVE).pasid(5).source(src).destination(dst)
            .transferSize(4096).completionAddress(rec).flags(0x0C), cr));
        final Set<Long> faulted = new LinkedHashSet<>();
        for (long[] f : faults) {
            assertEquals(1, f[1], "an accessed/dirty update is a write");
            faulted.add(f[0] & ~4095L);
        }
        assertEquals(tablePages, faulted, "every write-protected page-table page went through the host's fault path");
        final long[] gpas = entryGpas(dst);
        for (long gpa : gpas) {
            assertTrue((entry(gpa) & ACCESSED) != 0, "accessed set once stage 2 allowed it");
        }
        assertTrue((entry(gpas[3]) & DIRTY) != 0, "dirty in the leaf of the written page");
    }

    @Test
    void aHostThatRefusesTheWriteLeavesTheWriteProtectedTableUnchanged() {
        final long rec = stage1.allocate(4096, AddressSpace.RW_USER);
        stage1.reserve(4L << 20, PageSize.SIZE_2M); // the destination's leaf table is another page than the record's
        final long dst = stage1.allocate(4096, AddressSpace.RW_USER);
        final CompletionRecord cr = new CompletionRecord(memory.segment(), stage1.hostAddress(rec));
        assertNotEquals(entryGpas(rec)[3] & ~4095L, entryGpas(dst)[3] & ~4095L);
        final long leafGpa = entryGpas(dst)[3];
        final long leafPage = leafGpa & ~4095L;
        final byte[] before = guest.read(leafPage, 4096);
        s2.map(leafPage, s2.hostAddress(leafPage), 4096, false);
        s2.faultHandler((gpa, write) -> false);
        final int status = run(client.descriptor().opcode(Opcode.FILL).pasid(5).destination(dst).transferSize(64)
            .completionAddress(rec).flags(0x0C), cr);
        assertEquals(0x22, status, "a stage-2 refusal is a translation error, never the guest's page fault");
        assertEquals(0, entry(leafGpa) & (ACCESSED | DIRTY), "no bit set through a read-only stage-2 page");
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, guest.read(leafPage, 4096));
    }

    @Test
    void accessedAndDirtyUpdatesAreDirtyLogged() {
        final long src = stage1.allocate(4096, AddressSpace.RW_USER);
        final long rec = stage1.allocate(4096, AddressSpace.RW_USER);
        final CompletionRecord cr = new CompletionRecord(memory.segment(), stage1.hostAddress(rec));
        final long dst = stage1.allocate(4096, AddressSpace.RW_USER);
        stage1.write(src, MemorySegment.ofArray(new byte[4096]));
        s2.startDirtyLogging();
        assertEquals(0x01, run(client.descriptor().opcode(Opcode.MEMMOVE).pasid(5).source(src).destination(dst)
            .transferSize(4096).completionAddress(rec).flags(0x0C), cr));
        final long[] bitmap = s2.reportAndClearDirty(0, GUEST_RAM, 12);
        final Set<Long> expected = new LinkedHashSet<>();
        for (long va : new long[] {src, dst, rec}) {
            for (long gpa : entryGpas(va)) {
                expected.add(gpa & ~4095L); // each entry got accessed (and the written leaves dirty): a DMA write
            }
        }
        expected.add(stage1.physicalAddress(dst) & ~4095L);
        expected.add(stage1.physicalAddress(rec) & ~4095L);
        for (long page : expected) {
            assertTrue((bitmap[(int) (page >>> 18)] & (1L << (page >>> 12))) != 0,
                "guest page 0x" + Long.toHexString(page) + " was written by the device");
        }
        long count = 0;
        for (long w : bitmap) {
            count += Long.bitCount(w);
        }
        assertEquals(expected.size(), count, "and nothing else (the source page was only read)");
    }

    /** Writes one page through the guest's stage 1 with dirty logging on; returns the written page's guest address. */
    private long writtenPageWithLoggingOn() {
        final long rec = stage1.allocate(4096, AddressSpace.RW_USER);
        final CompletionRecord cr = new CompletionRecord(memory.segment(), stage1.hostAddress(rec));
        final long dst = stage1.allocate(4096, AddressSpace.RW_USER);
        s2.startDirtyLogging();
        assertEquals(0x01, run(client.descriptor().opcode(Opcode.FILL).pasid(5).destination(dst).transferSize(4096)
            .completionAddress(rec).flags(0x0C), cr));
        return stage1.physicalAddress(dst) & ~4095L;
    }

    private static boolean reported(long[] bitmap, long page) {
        return (bitmap[(int) (page >>> 18)] & (1L << (page >>> 12))) != 0;
    }

    @Test
    void aDirtyPageTheHostRemapsBeforeTheReportIsStillReportedOnce() {
        final long page = writtenPageWithLoggingOn();
        // the host moves the page (a fresh leaf without D) between the write and the harvest, as a balloon or
        // compaction would: the write happened and the destination must copy the page again
        s2.map(page, s2.hostAddress(page), 4096, true);
        assertTrue(reported(s2.reportAndClearDirty(0, GUEST_RAM, 12), page), "the write to the old leaf counts");
        assertTrue(!reported(s2.reportAndClearDirty(0, GUEST_RAM, 12), page), "and is reported once");
    }

    @Test
    void aDirtyPageTheHostUnmapsBeforeTheReportIsStillReported() {
        final long page = writtenPageWithLoggingOn();
        final long host = s2.hostAddress(page);
        s2.unmap(page, 4096);
        assertTrue(reported(s2.reportAndClearDirty(0, GUEST_RAM, 12), page), "the write before the unmap counts");
        s2.map(page, host, 4096, true);
    }

    @Test
    void aDepartedDirtyPageIsReportedOnlyByAReportThatCoversIt() {
        final long page = writtenPageWithLoggingOn();
        s2.map(page, s2.hostAddress(page), 4096, true);
        final long other = page == 0 ? 4096 : 0;
        final long[] elsewhere = s2.reportAndClearDirty(other, 4096, 12);
        assertEquals(0, elsewhere[0] & 1L, "a report of another page does not consume it");
        final long[] here = s2.reportAndClearDirty(page, 4096, 12);
        assertEquals(1L, here[0] & 1L);
    }

    @Test
    void startingALogAgainForgetsPagesThatDepartedDirtyBefore() {
        final long page = writtenPageWithLoggingOn();
        s2.map(page, s2.hostAddress(page), 4096, true);
        s2.stopDirtyLogging();
        s2.startDirtyLogging();
        assertTrue(!reported(s2.reportAndClearDirty(0, GUEST_RAM, 12), page), "the new log holds only new writes");
    }

    @Test
    void aDirtyPageTheHostPromotesIntoALargePageIsStillReported() {
        final long page = writtenPageWithLoggingOn();
        final long region = page & -(2L << 20);
        // the host collapses the 512 small pages around it into one 2 MiB page (as khugepaged would): the old leaf
        // table goes, and with it the dirty bit the device set
        s2.map(region, 32L << 20, 2L << 20, true, PageSize.SIZE_2M);
        assertEquals((32L << 20) + (page - region), s2.hostAddress(page), "the large page is in place");
        assertTrue(reported(s2.reportAndClearDirty(region, 2L << 20, 12), page - region),
            "the write to the small page counts");
        final long[] again = s2.reportAndClearDirty(region, 2L << 20, 12);
        for (long w : again) {
            assertEquals(0, w, "reported once, and the new large page was never written");
        }
    }
}
