package io.softdsa.ops;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.memory.HostBuffer;
import io.softdsa.testing.Fixture;
import io.softdsa.testing.SharedWqTestBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static io.softdsa.testing.Fixture.bytes;
import static io.softdsa.testing.Fixture.fillRandom;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Cache flush (0x20) and translation fetch (0x0A): both only translate (fact sheet section 7), so they must leave
 * memory alone, fail exactly where a write (flush) or read (fetch) would, and report progress in bytes.
 */
class CacheFlushAndTranslationFetchTest extends SharedWqTestBase {

    private Descriptor flush(long dst, long size) {
        return f.client.descriptor().opcode(Opcode.CACHE_FLUSH).destination(dst).transferSize(size);
    }

    /** Start at bytes 16-23, region size at 32, stride at 48. */
    private Descriptor fetch(long start, long size, int stride) {
        return f.client.descriptor().opcode(Opcode.TRANSLATION_FETCH).source(start).transferSize(size)
            .u32(48, stride);
    }

    @ParameterizedTest
    @CsvSource({"1, 0", "4096, 0", "100000, 0", "100000, 256", "12345, 8192"}) // flags: cache control 0x100
    void cacheFlushLeavesMemoryUnchanged(int size, int flags) {
        final HostBuffer b = f.buffer(size);
        fillRandom(b.segment(), size);
        final byte[] before = bytes(b.segment());
        assertEquals(0x01, f.run(flush(b.address(), size).addFlags(flags), cr));
        assertEquals(0, cr.bytesCompleted());
        assertArrayEquals(before, bytes(b.segment()));
    }

    @Test
    void cacheFlushSizeZeroOrAboveTheMaximum() {
        final HostBuffer b = f.buffer(4096);
        assertEquals(0x13, f.run(flush(b.address(), 0), cr));
        assertEquals(0x13, f.run(flush(b.address(), (1L << 31) + 1), cr));
    }

    @Test
    void cacheFlushFaultsLikeAWriteAtTheEndOfHostMemory() {
        final long end = f.memory.size();
        assertEquals(0x22, f.run(flush(end - 5000, 8192), cr));
        assertEquals(5000, cr.bytesCompleted());
        assertEquals(end, cr.faultAddress());
        assertFalse(cr.faultWasWrite(), "a translation error is not a page fault: no write bit");
        assertEquals(0x22, f.run(flush(end + 4096, 64), cr));
        assertEquals(0, cr.bytesCompleted());
        assertEquals(end + 4096, cr.faultAddress());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 8, 4096, 10000, 1 << 20})
    void translationFetchMovesNoData(int stride) {
        final int size = 64 * 1024;
        final HostBuffer b = f.buffer(size);
        fillRandom(b.segment(), stride);
        final byte[] before = bytes(b.segment());
        assertEquals(0x01, f.run(fetch(b.address() + 100, size - 100, stride), cr));
        assertEquals(0, cr.bytesCompleted());
        assertArrayEquals(before, bytes(b.segment()));
    }

    @Test
    void translationFetchSizeZeroOrAboveTheMaximum() {
        assertEquals(0x13, f.run(fetch(0x10000, 0, 0), cr));
        assertEquals(0x13, f.run(fetch(0x10000, 0x8000_0001L, 0), cr));
    }

    @Test
    void translationFetchOfEveryPageFaultsLikeAReadAtTheEndOfHostMemory() {
        final long end = f.memory.size();
        assertEquals(0x22, f.run(fetch(end - 3 * 4096 - 10, 5 * 4096, 0), cr));
        assertEquals(3 * 4096 + 10, cr.bytesCompleted(), "every page up to the end was translated");
        assertEquals(end, cr.faultAddress());
        assertFalse(cr.faultWasWrite());
    }

    @Test
    void translationFetchWithAStrideTranslatesOnlyTheStridesPages() {
        final long end = f.memory.size();
        final long start = end - 4096;
        // stride 0: the second page lies outside host memory
        assertEquals(0x22, f.run(fetch(start, 8192, 0), cr));
        assertEquals(4096, cr.bytesCompleted());
        // a stride of 8192 only visits start: the page outside is never translated
        assertEquals(0x01, f.run(fetch(start, 8192, 8192), cr));
        // a stride of 3000 visits start, +3000 (same page) and +6000 (outside)
        assertEquals(0x22, f.run(fetch(start, 8192, 3000), cr));
        assertEquals(6000, cr.bytesCompleted());
        assertEquals(start + 6000, cr.faultAddress());
        // from the last in-memory page, strides of 4096 reach the first page outside at +4096 from a later start
        assertEquals(0x22, f.run(fetch(end - 3 * 4096 + 16, 4 * 4096, 4096), cr));
        assertEquals(3 * 4096, cr.bytesCompleted());
        assertEquals(end + 16, cr.faultAddress());
    }
}
