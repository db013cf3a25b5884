package io.softdsa.iommu;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.iommu.AddressSpace.PageSize;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.softdsa.testing.TestData.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 11 item 2: no host address survives a blocking page request. Every page request here is served by a handler
 * that, besides mapping the faulting page, moves <em>every other</em> page of the tenant to a fresh frame (copying
 * its bytes, as page migration or swap-out-and-in would) and poisons the old frame. An operation that kept a host
 * address from before the request then reads poison (a wrong result) or writes into a frame the tenant no longer
 * has (a changed poison frame). Each case checks its output against a plain loop and every poisoned frame byte by
 * byte.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StaleTranslationTest {
    private static final int PASID = 9;
    private static final int PAGE = 4096;
    private static final byte POISON = (byte) 0xA5;

    /** The tenant's pages as the test knows them: va -> frame now behind it. */
    private static final class Tenant {
        final SvaFixture f;
        final AddressSpace as;
        final Map<Long, Long> pages = new HashMap<>();
        /** Bytes a lazily mapped page gets when it is first touched. */
        final Map<Long, byte[]> lazyContent = new HashMap<>();
        final List<Long> poisoned = new ArrayList<>();
        int requests;

        Tenant(SvaFixture f) {
            this.f = f;
            this.as = f.iommu.bind(PASID);
            f.iommu.pageRequests().handler((request, responder) -> {
                requests++;
                migrateAllBut(request.pageAddress());
                final long frame = f.memory.frames().allocateFrame();
                final byte[] content = lazyContent.get(request.pageAddress());
                if (content != null) {
                    MemorySegment.copy(MemorySegment.ofArray(content), 0, f.memory.segment(), frame, PAGE);
                }
                as.map(request.pageAddress(), frame, PAGE, AddressSpace.RW_USER);
                pages.put(request.pageAddress(), frame);
                responder.respond(PageRequest.RESPONSE_SUCCESS);
            });
        }

        /** {@code pages} mapped pages holding {@code content}. */
        long mapped(byte[] content) {
            final long va = as.reserve(content.length, PageSize.SIZE_4K);
            for (int off = 0; off < content.length; off += PAGE) {
                final long frame = f.memory.frames().allocateFrame();
                MemorySegment.copy(MemorySegment.ofArray(content), off, f.memory.segment(), frame, PAGE);
                as.map(va + off, frame, PAGE, AddressSpace.RW_USER);
                pages.put(va + off, frame);
            }
            return va;
        }

        /** Unmapped pages that get {@code content} (or zeros) when the device first touches them. */
        long lazy(int length, byte[] content) {
            final long va = as.reserve(length, PageSize.SIZE_4K);
            if (content != null) {
                for (int off = 0; off < length; off += PAGE) {
                    lazyContent.put(va + off, java.util.Arrays.copyOfRange(content, off, off + PAGE));
                }
            }
            return va;
        }

        private void migrateAllBut(long faulting) {
            for (Map.Entry<Long, Long> e : pages.entrySet()) {
                if (e.getKey() == faulting) {
                    continue;
                }
                final long old = e.getValue();
                final long moved = f.memory.frames().allocateFrame();
                MemorySegment.copy(f.memory.segment(), old, f.memory.segment(), moved, PAGE);
                as.map(e.getKey(), moved, PAGE, AddressSpace.RW_USER); // replaces the leaf and invalidates
                f.memory.segment().asSlice(old, PAGE).fill(POISON);
                poisoned.add(old);
                e.setValue(moved);
            }
        }

        byte[] read(long va, int length) {
            return as.read(va, length);
        }

        void assertPoisonIntact() {
            for (long frame : poisoned) {
                final MemorySegment s = f.memory.segment().asSlice(frame, PAGE);
                for (int i = 0; i < PAGE; i++) {
                    if (s.get(ValueLayout.JAVA_BYTE, i) != POISON) {
                        throw new AssertionError("the device wrote into a frame the tenant no longer maps: host 0x"
                            + Long.toHexString(frame + i));
                    }
                }
            }
        }

        int run(Descriptor d) {
            return f.run(d.pasid(PASID).addFlags(0x02), f.record(as)); // block on fault
        }
    }

    private static Descriptor op(SvaFixture f, int opcode, long src, long dst, long size) {
        return f.client.descriptor().opcode(opcode).source(src).destination(dst).transferSize(size);
    }

    @Test
    void memmoveCopiesFromTheSourceAsItIsAfterThePageResponse() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f);
            final byte[] data = random(4 * PAGE, 1);
            final long src = t.mapped(data);
            final long dst = t.lazy(4 * PAGE, null);
            assertEquals(0x01, t.run(op(f, Opcode.MEMMOVE, src, dst, data.length)));
            assertEquals(4, t.requests);
            assertArrayEquals(data, t.read(dst, data.length));
            t.assertPoisonIntact();
        }
    }

    @Test
    void dualcastWritesNoDestinationFrameTheTenantGaveUp() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f);
            final byte[] data = random(2 * PAGE, 2);
            final long src = t.mapped(data);
            final long dst1 = t.mapped(new byte[2 * PAGE]);
            final long dst2 = t.lazy(2 * PAGE, null);
            assertEquals(0x01, t.run(op(f, Opcode.DUALCAST, src, dst1, data.length).u64(40, dst2)));
            assertArrayEquals(data, t.read(dst1, data.length));
            assertArrayEquals(data, t.read(dst2, data.length));
            t.assertPoisonIntact();
        }
    }

    @Test
    void copyWithCrcCopiesAndSumsTheCurrentSource() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f);
            final byte[] data = random(3 * PAGE, 3);
            final long src = t.mapped(data);
            final long dst = t.lazy(3 * PAGE, null);
            final SvaFixture.VaRecord cr = f.record(t.as);
            assertEquals(0x01, f.run(op(f, Opcode.COPY_CRC, src, dst, data.length).pasid(PASID).addFlags(0x02), cr));
            assertArrayEquals(data, t.read(dst, data.length));
            assertEquals(crc32c(data), cr.cr.crcValue());
            t.assertPoisonIntact();
        }
    }

    @Test
    void compareReadsBothSourcesFromOnePass() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f);
            final byte[] data = random(3 * PAGE, 4);
            final long a = t.mapped(data);
            final long b = t.lazy(3 * PAGE, data); // the same bytes, faulted in page by page
            final SvaFixture.VaRecord cr = f.record(t.as);
            assertEquals(0x01, f.run(op(f, Opcode.COMPARE, a, b, data.length).pasid(PASID).addFlags(0x02), cr));
            assertEquals(0, cr.cr.result(), "equal sources compare equal");
            t.assertPoisonIntact();
        }
    }

    @Test
    void createDeltaComparesTheSourcesAsTheyAreAfterAppending() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f);
            final byte[] one = random(2 * PAGE, 5);
            final byte[] two = one.clone();
            final int[] differing = {3, 100, 300, 700, 1000}; // 100 and 300 share the first page with 3
            for (int w : differing) {
                two[8 * w] ^= 0x5A;
            }
            final long src1 = t.mapped(one);
            final long src2 = t.mapped(two);
            final long delta = t.lazy(2 * PAGE, null); // the first append faults
            final SvaFixture.VaRecord cr = f.record(t.as);
            final Descriptor d = op(f, Opcode.CREATE_DELTA, src1, src2, one.length).u64(40, delta).u32(48, 800);
            assertEquals(0x01, f.run(d.pasid(PASID).addFlags(0x02), cr));
            assertEquals(1, cr.cr.result());
            final byte[] record = t.read(delta, 10 * differing.length);
            for (int i = 0; i < differing.length; i++) {
                final MemorySegment e = MemorySegment.ofArray(record).asSlice(10L * i, 10);
                assertEquals(differing[i], Short.toUnsignedInt(e.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0)));
                assertArrayEquals(java.util.Arrays.copyOfRange(two, 8 * differing[i], 8 * differing[i] + 8),
                    e.asSlice(2, 8).toArray(ValueLayout.JAVA_BYTE));
            }
            assertEquals(10L * differing.length, cr.cr.u32(16) & 0xFFFF_FFFFL, "delta record size");
            t.assertPoisonIntact();
        }
    }

    @Test
    void applyDeltaReadsEachEntryAfterTheLastPageResponse() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f);
            final int entries = 400; // 4000 bytes of record: one page
            final byte[] record = new byte[PAGE];
            final MemorySegment r = MemorySegment.ofArray(record);
            final byte[] expected = new byte[4 * PAGE];
            final SplittableRandom rnd = new SplittableRandom(6);
            for (int i = 0; i < entries; i++) {
                final int index = i * 5; // spread over the 4 destination pages
                final long data = rnd.nextLong();
                r.set(ValueLayout.JAVA_SHORT_UNALIGNED, 10L * i, (short) index);
                r.set(ValueLayout.JAVA_LONG_UNALIGNED, 10L * i + 2, data);
                MemorySegment.ofArray(expected).set(ValueLayout.JAVA_LONG_UNALIGNED, 8L * index, data);
            }
            final long deltaVa = t.mapped(record);
            final long dst = t.lazy(4 * PAGE, null);
            final Descriptor d = op(f, Opcode.APPLY_DELTA, deltaVa, dst, expected.length).u32(40, 10 * entries);
            assertEquals(0x01, t.run(d));
            assertArrayEquals(expected, t.read(dst, expected.length));
            t.assertPoisonIntact();
        }
    }

    @Test
    void difInsertWritesTheBlockItReadNotAStaleFrame() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f);
            final byte[] data = random(8 * 512, 7);
            final long src = t.mapped(data);
            final long dst = t.lazy(2 * PAGE + PAGE, null); // 8 × 520 bytes
            assertEquals(0x01, t.run(op(f, Opcode.DIF_INSERT, src, dst, data.length)));
            final byte[] out = t.read(dst, 8 * 520);
            for (int k = 0; k < 8; k++) {
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 512 * k, 512 * k + 512),
                    java.util.Arrays.copyOfRange(out, 520 * k, 520 * k + 512), "block " + k);
                final int guard = ((out[520 * k + 512] & 0xFF) << 8) | (out[520 * k + 513] & 0xFF);
                assertEquals(crc16T10(data, 512 * k, 512), guard, "guard of block " + k);
            }
            t.assertPoisonIntact();
        }
    }

    /** CRC-32C as DSA reports it with seed 0 (fact sheet section 8: reflected, init ~0, final xor ~0). */
    private static int crc32c(byte[] data) {
        final java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(data);
        return (int) c.getValue();
    }

    /** CRC-16 T10-DIF, bit by bit (polynomial 0x8BB7, init 0, not reflected). */
    private static int crc16T10(byte[] data, int offset, int length) {
        int crc = 0;
        for (int i = offset; i < offset + length; i++) {
            crc ^= (data[i] & 0xFF) << 8;
            for (int b = 0; b < 8; b++) {
                crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x8BB7) & 0xFFFF : (crc << 1) & 0xFFFF;
            }
        }
        return crc;
    }
}
