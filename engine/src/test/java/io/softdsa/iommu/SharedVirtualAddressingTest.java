package io.softdsa.iommu;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Threading;
import io.softdsa.iommu.AddressSpace.PageSize;
import io.softdsa.testing.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.softdsa.testing.TestData.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fact sheet sections 10 and 13: every descriptor address translated through real page tables. */
class SharedVirtualAddressingTest {
    private static final int PASID = 0x1234;

    /** Maps {@code pages} 4 KiB pages at a fresh VA onto shuffled, non-adjacent frames. */
    private static long mapScattered(SvaFixture f, AddressSpace as, int pages, long seed) {
        final List<Long> frames = new ArrayList<>();
        for (int i = 0; i < pages * 2; i++) {
            frames.add(f.memory.frames().allocateFrame());
        }
        Collections.shuffle(frames, new java.util.Random(seed));
        final long va = as.reserve((long) pages * 4096, PageSize.SIZE_4K);
        for (int i = 0; i < pages; i++) {
            as.map(va + 4096L * i, frames.get(i), 4096, AddressSpace.RW_USER);
        }
        return va;
    }

    private static Descriptor memmove(SvaFixture f, long src, long dst, long size) {
        return f.client.descriptor().opcode(Opcode.MEMMOVE).pasid(PASID).source(src).destination(dst)
            .transferSize(size);
    }

    @Test
    void copiesCrossPageBoundariesAtEveryAlignmentClass() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long src = mapScattered(f, as, 4, 1);
            final long dst = mapScattered(f, as, 4, 2);
            final byte[] data = random(4 * 4096, 3);
            as.write(src, MemorySegment.ofArray(data));
            final SvaFixture.VaRecord cr = f.record(as);
            final int[] offsets = {0, 1, 7, 8, 63, 64, 511, 2048, 4095};
            final int[] sizes = {1, 4095, 4096, 4097, 8191, 8193};
            for (int so : offsets) {
                for (int dOff : offsets) {
                    for (int size : sizes) {
                        if (so + size > 4 * 4096 || dOff + size > 4 * 4096) {
                            continue;
                        }
                        as.write(dst, MemorySegment.ofArray(new byte[4 * 4096]));
                        assertEquals(0x01, f.run(memmove(f, src + so, dst + dOff, size), cr),
                            "src+" + so + " dst+" + dOff + " size " + size);
                        final byte[] expected = new byte[4 * 4096];
                        System.arraycopy(data, so, expected, dOff, size);
                        assertArrayEquals(expected, as.read(dst, 4 * 4096));
                    }
                }
            }
        }
    }

    @Test
    void mixesOf4K2MAnd1GPages() {
        try (SvaFixture f = new SvaFixture((2L << 30) + (64L << 20), Threading.INVOKER, 1)) {
            final AddressSpace as = f.iommu.bind(PASID);
            // one virtual range: [4 KiB pages x 16][2 MiB page][1 GiB page] back to back, physically scattered
            final long base = 0x4000_0000_0000L - (2L << 20) - (16 * 4096L); // so the 1 GiB page is 1 GiB aligned
            final long oneGig = f.memory.frames().allocate1G();
            final long twoMeg = f.memory.frames().allocate2M();
            for (int i = 0; i < 16; i++) {
                as.map(base + 4096L * i, f.memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
            }
            as.map(base + 16 * 4096L, twoMeg, 2L << 20, AddressSpace.RW_USER, PageSize.SIZE_2M);
            as.map(base + 16 * 4096L + (2L << 20), oneGig, 1L << 30, AddressSpace.RW_USER, PageSize.SIZE_1G);
            final int size = 3 << 20;
            final long src = base + 1000;                        // 4K pages -> 2M page -> 1G page
            final long dst = base + 16 * 4096L + (2L << 20) + (5L << 20) + 77; // inside the 1G page
            final byte[] data = random(size, 9);
            as.write(src, MemorySegment.ofArray(data));
            final SvaFixture.VaRecord cr = f.record(as);
            assertEquals(0x01, f.run(memmove(f, src, dst, size), cr));
            assertArrayEquals(data, as.read(dst, size));
            // and back, from the 1G page across into the 2M and 4K pages
            final byte[] data2 = random(size, 10);
            as.write(dst, MemorySegment.ofArray(data2));
            assertEquals(0x01, f.run(memmove(f, dst, src, size), cr));
            assertArrayEquals(data2, as.read(src, size));
            // leaves got their accessed and dirty bits
            assertTrue((as.leafEntry(src) & PagingLayout.ACCESSED) != 0);
            assertTrue((as.leafEntry(dst) & PagingLayout.DIRTY) != 0, "1 GiB leaf dirty after a write");
            assertTrue((as.leafEntry(base + 16 * 4096L) & PagingLayout.DIRTY) != 0, "2 MiB leaf dirty");
        }
    }

    @Test
    void fiveLevelPagingReachesAboveFourLevelSpace() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final AddressSpace as5 = f.iommu.bind(PASID, 5, false);
            final long high = 1L << 50; // canonical only with 5 levels
            final long frame = f.memory.frames().allocateFrame();
            as5.map(high, frame, 4096, AddressSpace.RW_USER);
            final AddressSpace as4 = f.iommu.bind(PASID + 1);
            final long low = as4.allocate(4096, AddressSpace.RW_USER);
            final SvaFixture.VaRecord cr5 = f.record(as5);
            final SvaFixture.VaRecord cr = f.record(as4);
            assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.FILL).pasid(PASID).destination(high)
                .fillPattern(0x0101010101010101L).transferSize(4096), cr5));
            assertEquals(1, as5.read(high, 1)[0]);
            assertEquals(0x22, f.run(f.client.descriptor().opcode(Opcode.FILL).pasid(PASID + 1).destination(high)
                .transferSize(64), cr), "non-canonical for 4-level paging");
            assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.FILL).pasid(PASID + 1).destination(low)
                .transferSize(64), cr));
        }
    }

    @Test
    void readAndWriteAndPrivilegeFaults() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long src = as.allocate(3 * 4096, AddressSpace.RW_USER);
            final long dst = as.allocate(3 * 4096, AddressSpace.RW_USER);
            final SvaFixture.VaRecord cr = f.record(as);
            // unmapped middle source page: read fault after one page
            as.unmap(src + 4096, 4096);
            assertEquals(0x03, f.run(memmove(f, src, dst, 3 * 4096), cr));
            assertFalse(cr.cr.faultWasWrite(), "bit 7 = 0: read fault");
            assertEquals(src + 4096, cr.cr.faultAddress());
            assertEquals(4096, cr.cr.bytesCompleted());
            // read-only destination: write fault
            as.map(src + 4096, f.memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
            as.protect(dst + 8192, 4096, AddressSpace.READ | AddressSpace.USER);
            assertEquals(0x03, f.run(memmove(f, src + 100, dst + 100, 3 * 4096 - 200), cr));
            assertTrue(cr.cr.faultWasWrite(), "bit 7 = 1: write fault");
            assertEquals(dst + 8192, cr.cr.faultAddress());
            assertEquals(8192 - 100, cr.cr.bytesCompleted());
            assertEquals(0x83, cr.cr.rawStatus());
            // supervisor-only page with Priv = 0: fault; Priv = 1 without SRE: fault
            as.protect(dst, 4096, AddressSpace.READ | AddressSpace.WRITE);
            assertEquals(0x03, f.run(memmove(f, src, dst, 64), cr));
            // Priv = 1 without SRE: every access faults, the completion record's too, so SWERR tells
            f.client.trySubmit(memmove(f, src, dst, 64).priv(true));
            f.device.invokeEngines();
            assertEquals(0x03, f.device.swerr().history().getLast().errorCode(), "Priv needs SRE for the PASID");
            assertEquals(src, f.device.swerr().history().getLast().faultAddress());
        }
    }

    @Test
    void supervisorRequestsWithSre() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final AddressSpace as = f.iommu.bind(PASID, 4, true);
            final long kernel = as.allocate(4096, AddressSpace.READ | AddressSpace.WRITE); // supervisor page
            final SvaFixture.VaRecord cr = f.record(as);
            assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.FILL).pasid(PASID).priv(true)
                .destination(kernel).fillPattern(-1).transferSize(4096), cr));
            assertEquals(0x03, f.run(f.client.descriptor().opcode(Opcode.FILL).pasid(PASID)
                .destination(kernel).transferSize(4096), cr), "Priv = 0 on a supervisor page");
        }
    }

    @Test
    void unboundPasidIsATranslationError() {
        try (SvaFixture f = SvaFixture.invoker()) {
            // no completion record (CRAV = 0): the 0x22 goes to SWERR
            f.client.trySubmit(memmove(f, 0x1000_0000_0000L, 0x1000_0001_0000L, 64));
            f.device.invokeEngines();
            assertEquals(0x22, f.device.swerr().history().getLast().errorCode());
            assertEquals(PASID, f.device.swerr().history().getLast().pasid());
            // with a record: the record itself cannot be translated either, so SWERR says 0x1A at its address
            f.client.trySubmit(memmove(f, 0x1000_0000_0000L, 0x1000_0001_0000L, 64)
                .completionAddress(0x2000_0000_0000L).addFlags(0x0C));
            f.device.invokeEngines();
            assertEquals(0x1A, f.device.swerr().history().getLast().errorCode());
            assertEquals(0x2000_0000_0000L, f.device.swerr().history().getLast().faultAddress());
            final AddressSpace as = f.iommu.bind(PASID);
            final SvaFixture.VaRecord cr = f.record(as);
            final long buf = as.allocate(8192, AddressSpace.RW_USER);
            assertEquals(0x01, f.run(memmove(f, buf, buf + 4096, 64), cr));
            final AddressSpace other = f.iommu.bind(PASID + 1);
            final SvaFixture.VaRecord otherRecord = f.record(other);
            assertEquals(0x03, f.run(f.client.descriptor().opcode(Opcode.MEMMOVE).pasid(PASID + 1)
                .source(buf).destination(buf + 4096).transferSize(64), otherRecord),
                "a buffer of another process: not mapped in this PASID, a page fault");
            as.unbind();
            f.client.trySubmit(memmove(f, buf, buf + 4096, 64));
            f.device.invokeEngines();
            assertEquals(0x22, f.device.swerr().history().getLast().errorCode(), "gone after unbind");
        }
    }

    @Test
    void partialCompletionThenResumeGivesTheBytesOfAnUnfaultedRun() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final AddressSpace as = f.iommu.bind(PASID);
            final int size = 10 * 4096 + 333;
            final long src = mapScattered(f, as, 11, 4);
            final long dst = mapScattered(f, as, 12, 5);
            final byte[] data = random(size, 6);
            as.write(src, MemorySegment.ofArray(data));
            final long hole = dst + 6 * 4096;
            final long frame = as.hostAddress(hole);
            as.unmap(hole, 4096);
            final SvaFixture.VaRecord cr = f.record(as);
            assertEquals(0x03, f.run(memmove(f, src + 11, dst + 11, size - 11), cr));
            final long done = cr.cr.bytesCompleted();
            assertEquals(6 * 4096 - 11, done);
            as.map(hole, frame, 4096, AddressSpace.RW_USER);
            assertEquals(0, cr.cr.result(), "forward copy: resume by advancing both addresses");
            assertEquals(0x01, f.run(memmove(f, src + 11 + done, dst + 11 + done, size - 11 - done), cr));
            final byte[] expected = new byte[size];
            System.arraycopy(data, 11, expected, 11, size - 11);
            final byte[] got = as.read(dst, size);
            System.arraycopy(new byte[11], 0, got, 0, 11);
            assertArrayEquals(expected, got);

            // CRC resumes with the record's CRC as the seed
            as.unmap(src + 4 * 4096, 4096);
            assertEquals(0x03, f.run(f.client.descriptor().opcode(Opcode.CRC_GENERATION).pasid(PASID).source(src)
                .transferSize(size), cr));
            final long crcDone = cr.cr.bytesCompleted();
            final int partial = cr.cr.crcValue();
            as.map(src + 4 * 4096, f.memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
            as.write(src + 4 * 4096, MemorySegment.ofArray(java.util.Arrays.copyOfRange(data, 4 * 4096, 5 * 4096)));
            assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.CRC_GENERATION).pasid(PASID)
                .source(src + crcDone).transferSize(size - crcDone).crcSeed(partial), cr));
            final java.util.zip.CRC32C reference = new java.util.zip.CRC32C();
            reference.update(data);
            assertEquals((int) reference.getValue(), cr.cr.crcValue());
        }
    }

    /** Create delta stops at a faulting page of source 2; resuming as section 10 says yields a record that applies. */
    @Test
    void createDeltaResumesAfterAPageFault() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final AddressSpace as = f.iommu.bind(PASID);
            final int size = 4 * 4096;
            final long s1 = mapScattered(f, as, 4, 21);
            final long s2 = mapScattered(f, as, 4, 22);
            final long delta = as.allocate(8192, AddressSpace.RW_USER);
            final long target = as.allocate(size, AddressSpace.RW_USER);
            final byte[] a = random(size, 23);
            final byte[] b = a.clone();
            for (int w = 0; w < size / 8; w += 37) {
                b[8 * w] ^= 0x5A;
            }
            as.write(s1, MemorySegment.ofArray(a));
            as.write(s2, MemorySegment.ofArray(b));
            as.write(target, MemorySegment.ofArray(a));
            final long hole = as.hostAddress(s2 + 2 * 4096);
            as.unmap(s2 + 2 * 4096, 4096);
            final SvaFixture.VaRecord cr = f.record(as);
            final int max = 2000;
            assertEquals(0x03, f.run(f.client.descriptor().opcode(Opcode.CREATE_DELTA).pasid(PASID).source(s1)
                .destination(s2).transferSize(size).u64(40, delta).u32(48, max), cr));
            final long compared = cr.cr.bytesCompleted();
            final long written = cr.cr.u32(16);
            assertEquals(2 * 4096, compared, "source bytes compared before the faulting page");
            assertEquals(s2 + 2 * 4096, cr.cr.faultAddress());
            as.map(s2 + 2 * 4096, hole, 4096, AddressSpace.RW_USER);
            assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.CREATE_DELTA).pasid(PASID)
                .source(s1 + compared).destination(s2 + compared).transferSize(size - compared)
                .u64(40, delta + written).u32(48, (int) (max - written)), cr));
            final long written2 = cr.cr.u32(16);
            // apply each part at its own offset: the indices of the second part restart at the resumed source
            if (written > 0) {
                assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.APPLY_DELTA).pasid(PASID).source(delta)
                    .destination(target).transferSize(compared).u32(40, (int) written), cr));
            }
            assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.APPLY_DELTA).pasid(PASID)
                .source(delta + written).destination(target + compared).transferSize(size - compared)
                .u32(40, (int) written2), cr));
            assertArrayEquals(b, as.read(target, size));
        }
    }

    @Test
    void backwardOverlappingMoveResumesByShrinkingTheSize() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long buf = mapScattered(f, as, 6, 7);
            final byte[] data = random(6 * 4096, 8);
            as.write(buf, MemorySegment.ofArray(data));
            final int size = 4 * 4096;
            final long src = buf + 100;
            final long dst = buf + 4096 + 300; // overlapping, destination above source: runs backwards
            final long frame = as.hostAddress(buf + 4096);
            as.unmap(buf + 4096, 4096); // a page in the middle of both buffers
            final SvaFixture.VaRecord cr = f.record(as);
            assertEquals(0x03, f.run(memmove(f, src, dst, size), cr));
            assertEquals(1, cr.cr.result(), "backward copy");
            final long done = cr.cr.bytesCompleted();
            as.map(buf + 4096, frame, 4096, AddressSpace.RW_USER);
            assertEquals(0x01, f.run(memmove(f, src, dst, size - done), cr));
            final byte[] expected = data.clone();
            System.arraycopy(data, 100, expected, 4096 + 300, size);
            assertArrayEquals(expected, as.read(buf, 6 * 4096));
        }
    }

    @Test
    void contiguousFramesComeBackAsOneRun() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long contiguous = as.allocate(1 << 20, AddressSpace.RW_USER, PageSize.SIZE_4K, true);
            final long scattered = mapScattered(f, as, 256, 11);
            final Translation t = new Translation().context(true, PASID, false);
            assertEquals(Iommu.OK, f.iommu.translate(t, contiguous, 1 << 20, Translation.READ));
            assertEquals(1 << 20, t.length, "256 adjacent frames: one 1 MiB run");
            assertEquals(as.hostAddress(contiguous), t.hostAddress);
            assertEquals(Iommu.OK, f.iommu.translate(t, scattered + 100, 1 << 20, Translation.READ));
            assertEquals(4096 - 100, t.length, "shuffled frames: one page at a time");
            f.iommu.quiesce(t);
        }
    }

    @Test
    void staleIotlbEntryIsUsedUntilSoftwareInvalidates() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long va = as.allocate(4096, AddressSpace.RW_USER);
            final long dst = as.allocate(4096, AddressSpace.RW_USER);
            final long oldFrame = as.hostAddress(va);
            f.memory.segment().asSlice(oldFrame, 4096).fill((byte) 0xAA);
            final SvaFixture.VaRecord cr = f.record(as);
            assertEquals(0x01, f.run(memmove(f, va, dst, 64), cr)); // caches the translation
            final long newFrame = f.memory.frames().allocateFrame();
            f.memory.segment().asSlice(newFrame, 4096).fill((byte) 0xBB);
            as.invalidateOnChange(false);                            // a driver that forgets
            as.map(va, newFrame, 4096, AddressSpace.RW_USER);
            assertEquals(0x01, f.run(memmove(f, va, dst, 64), cr));
            assertEquals((byte) 0xAA, as.read(dst, 1)[0], "the stale translation is still used");
            f.iommu.iotlb().invalidateRange(PASID, va, 4096);
            assertEquals(0x01, f.run(memmove(f, va, dst, 64), cr));
            assertEquals((byte) 0xBB, as.read(dst, 1)[0], "after invalidation the new mapping is used");
            // PASID-wide and global invalidation work as well
            as.map(va, oldFrame, 4096, AddressSpace.RW_USER);
            f.iommu.iotlb().invalidatePasid(PASID);
            assertEquals(0x01, f.run(memmove(f, va, dst, 64), cr));
            assertEquals((byte) 0xAA, as.read(dst, 1)[0]);
            as.map(va, newFrame, 4096, AddressSpace.RW_USER);
            f.iommu.iotlb().invalidateAll();
            assertEquals(0x01, f.run(memmove(f, va, dst, 64), cr));
            assertEquals((byte) 0xBB, as.read(dst, 1)[0]);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void blockOnFaultMapsPagesOnDemandDuringA64MiBMove() {
        try (SvaFixture f = new SvaFixture(256L << 20, Threading.THREAD_PER_ENGINE, 2)) {
            final AddressSpace as = f.iommu.bind(PASID);
            final int size = 64 << 20;
            final long src = as.allocate(size, AddressSpace.RW_USER, PageSize.SIZE_4K, true);
            final long dst = as.reserve(size, PageSize.SIZE_2M); // nothing mapped yet
            final long dstFrames = f.memory.frames().allocateContiguous(size, 2L << 20);
            final byte[] pattern = random(4096, 12);
            for (long off = 0; off < size; off += 4096) {
                pattern[0] = (byte) (off >>> 12);
                pattern[1] = (byte) (off >>> 20);
                as.write(src + off, MemorySegment.ofArray(pattern));
            }
            final AtomicInteger requests = new AtomicInteger();
            f.iommu.pageRequests().handler((request, responder) -> {
                requests.incrementAndGet();
                assertEquals(PASID, request.pasid());
                assertTrue(request.write());
                // fault-around: map the whole 2 MiB-aligned region of the faulting page, like a kernel would
                final long region = request.pageAddress() & -(2L << 20);
                as.map(region, dstFrames + (region - dst), 2L << 20, AddressSpace.RW_USER);
                responder.respond(PageRequest.RESPONSE_SUCCESS);
            });
            final SvaFixture.VaRecord cr = f.record(as);
            assertEquals(0x01, f.run(memmove(f, src, dst, size).addFlags(0x02), cr));
            assertEquals(size / (2 << 20), requests.get(), "one page request per 2 MiB region");
            assertEquals(-1, MemorySegment.mismatch(f.memory.segment(), as.hostAddress(src), as.hostAddress(src) + size,
                f.memory.segment(), dstFrames, dstFrames + size));
        }
    }

    @Test
    void blockOnFaultWithAnInvalidResponseCompletesWith04() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long src = as.allocate(8192, AddressSpace.RW_USER);
            final long dst = as.allocate(4096, AddressSpace.RW_USER);
            as.reserve(4096, PageSize.SIZE_4K); // keep the page after dst unmapped
            f.iommu.pageRequests().handler((request, responder) ->
                responder.respond(PageRequest.RESPONSE_INVALID_REQUEST));
            final SvaFixture.VaRecord cr = f.record(as);
            assertEquals(0x04, f.run(memmove(f, src, dst, 8192).addFlags(0x02), cr));
            assertEquals(4096, cr.cr.bytesCompleted());
            assertEquals(dst + 4096, cr.cr.faultAddress());
            assertTrue(cr.cr.faultWasWrite());
            // without BOF in the descriptor the same fault is a plain 0x03
            assertEquals(0x03, f.run(memmove(f, src, dst, 8192), cr));
            assertEquals(1, f.iommu.pageRequests().requests());
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void oneEngineWaitingOnAPageRequestDoesNotStallTheOther() throws Exception {
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 2)) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long src = as.allocate(4096, AddressSpace.RW_USER);
            final long lazy = as.reserve(4096, PageSize.SIZE_4K);
            final long dst = as.allocate(4096, AddressSpace.RW_USER);
            final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            final java.util.concurrent.atomic.AtomicReference<PageRequestHandler.PageResponder> pending =
                new java.util.concurrent.atomic.AtomicReference<>();
            f.iommu.pageRequests().handler((request, responder) -> pending.set(responder)); // answer later
            final SvaFixture.VaRecord blockedRecord = f.record(as);
            final CompletionRecord blocked = blockedRecord.cr;
            final Descriptor d = memmove(f, src, lazy, 4096).addFlags(0x0E).completionAddress(blockedRecord.va);
            blocked.arm();
            assertTrue(f.client.trySubmit(d));
            while (pending.get() == null) {
                Thread.onSpinWait();
            }
            // the other engine keeps serving the WQ
            final SvaFixture.VaRecord cr = f.record(as);
            for (int i = 0; i < 100; i++) {
                assertEquals(0x01, f.run(memmove(f, src, dst, 4096), cr));
            }
            assertEquals(0, blocked.rawStatus(), "still waiting for its page response");
            as.map(lazy, f.memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
            pending.get().respond(PageRequest.RESPONSE_SUCCESS);
            assertEquals(0x01, blocked.await(new org.agrona.concurrent.BackoffIdleStrategy(), 10_000_000_000L));
            release.countDown();
        }
    }

    /**
     * Engines copy from one virtual page continuously while the test remaps it and, as soon as the invalidation
     * returns, scribbles over the old frame. A copy that used the old translation after that would carry the scribble.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void afterInvalidationReturnsNoEngineUsesTheOldMapping() throws Exception {
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 2)) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long va = as.allocate(4096, AddressSpace.RW_USER);
            final int slots = 16;
            final long dst = as.allocate(4096L * slots, AddressSpace.RW_USER);
            long frame = as.hostAddress(va);
            byte value = 1;
            f.memory.segment().asSlice(frame, 4096).fill(value);
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicInteger scribbled = new AtomicInteger();
            final AtomicInteger checked = new AtomicInteger();
            final Thread submitter = Thread.ofPlatform().start(() -> {
                final CompletionRecord[] records = new CompletionRecord[slots];
                final Descriptor[] ds = new Descriptor[slots];
                for (int i = 0; i < slots; i++) {
                    final SvaFixture.VaRecord r = f.record(as);
                    records[i] = r.cr;
                    ds[i] = memmove(f, va, dst + 4096L * i, 4096).completionAddress(r.va).addFlags(0x0C);
                }
                while (!stop.get()) {
                    for (int i = 0; i < slots; i++) {
                        records[i].arm();
                        while (!f.client.trySubmit(ds[i])) {
                            Thread.onSpinWait();
                        }
                    }
                    for (int i = 0; i < slots; i++) {
                        while (records[i].rawStatus() == 0) {
                            Thread.onSpinWait();
                        }
                        final byte[] got = as.read(dst + 4096L * i, 4096);
                        for (byte b : got) {
                            if (b == (byte) 0xEE) {
                                scribbled.incrementAndGet();
                                break;
                            }
                        }
                        checked.incrementAndGet();
                    }
                }
            });
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int round = 0; (round < 300 || checked.get() < 5_000) && System.nanoTime() < deadline; round++) {
                if (round % 2 == 0) {
                    Thread.yield(); // give the submitter's copies room to interleave with remaps
                }
                final long newFrame = f.memory.frames().allocateFrame();
                value = (byte) (value == (byte) 0xED ? 1 : value + 1); // never the scribble value 0xEE
                f.memory.segment().asSlice(newFrame, 4096).fill(value);
                as.map(va, newFrame, 4096, AddressSpace.RW_USER); // invalidates and waits
                f.memory.segment().asSlice(frame, 4096).fill((byte) 0xEE);
                f.memory.frames().free(frame, 4096);
                frame = newFrame;
            }
            stop.set(true);
            submitter.join();
            assertTrue(checked.get() >= 5_000, "copies checked: " + checked.get());
            assertEquals(0, scribbled.get(), "a copy used a translation after its invalidation returned");
        }
    }

    /**
     * The handshake itself: a translation context that still holds a translation from before an invalidation keeps
     * the invalidation waiting, even when it translates another address meanwhile; it returns only once the context
     * quiesces (its descriptor ends).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void invalidationWaitsForAnEngineThatStillHoldsAnOlderTranslation() throws Exception {
        try (SvaFixture f = SvaFixture.invoker()) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long a = as.allocate(4096, AddressSpace.RW_USER);
            final long b = as.allocate(4096, AddressSpace.RW_USER);
            final Translation t = new Translation().context(true, PASID, false);
            assertEquals(Iommu.OK, f.iommu.translate(t, a, 4096, Translation.READ)); // holds a's translation
            final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            final Thread invalidator = Thread.ofPlatform().start(() -> {
                f.iommu.iotlb().invalidateRange(PASID, a, 4096);
                done.countDown();
            });
            assertFalse(done.await(200, TimeUnit.MILLISECONDS), "must wait while a's old translation is held");
            assertEquals(Iommu.OK, f.iommu.translate(t, b, 4096, Translation.READ)); // a later translation ...
            assertFalse(done.await(200, TimeUnit.MILLISECONDS), "... does not release a's old translation");
            f.iommu.quiesce(t);                                                       // the descriptor ends
            assertTrue(done.await(30, TimeUnit.SECONDS), "returns once the engine holds nothing");
            invalidator.join();
        }
    }

    @Test
    void pasidDisabledWqIgnoresTheDescriptorPasid() {
        try (Fixture f = Fixture.sharedWq()) {
            final CompletionRecord cr = f.client.completionRecord();
            final var b = f.buffer(128);
            assertEquals(0x01, f.run(f.client.descriptor().opcode(Opcode.FILL).pasid(77).destination(b.address())
                .fillPattern(0x0707070707070707L).transferSize(128), cr), "physical address, PASID ignored");
            assertNotEquals(0, b.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
        }
    }
}
