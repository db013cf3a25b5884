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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

import static io.softdsa.testing.Fixture.bytes;
import static io.softdsa.testing.Fixture.fillRandom;
import static io.softdsa.testing.References.referenceDelta;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Create delta record (0x07) and apply delta record (0x08) against a plain reference of fact sheet section 7, every
 * status they can produce, and partial completion (section 10). Offsets and codes are literals from the fact sheet.
 */
class DeltaRecordTest extends SharedWqTestBase {

    private Descriptor create(long src1, long src2, long size, long delta, long maxDelta) {
        return f.client.descriptor().opcode(Opcode.CREATE_DELTA).source(src1).destination(src2).transferSize(size)
            .u64(40, delta).u32(48, (int) maxDelta);
    }

    private Descriptor apply(long delta, long deltaSize, long dst, long size) {
        return f.client.descriptor().opcode(Opcode.APPLY_DELTA).source(delta).destination(dst).transferSize(size)
            .u32(40, (int) deltaSize);
    }

    private static void changeWords(MemorySegment s, int words, long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final long count = s.byteSize() / 8;
        for (int i = 0; i < words; i++) {
            final long at = 8 * r.nextLong(count) + r.nextInt(8);
            s.set(ValueLayout.JAVA_BYTE, at, (byte) (s.get(ValueLayout.JAVA_BYTE, at) ^ (1 + r.nextInt(255))));
        }
    }

    private long memoryEnd() {
        return f.memory.size();
    }

    @ParameterizedTest
    @CsvSource({"8, 1", "64, 3", "4096, 40", "4104, 100", "65536, 500", "524288, 2000", "524288, 1"})
    void createThenApplyReproducesSource2(int size, int changes) {
        final HostBuffer s1 = f.buffer(size);
        final HostBuffer s2 = f.buffer(size);
        fillRandom(s1.segment(), size);
        MemorySegment.copy(s1.segment(), 0, s2.segment(), 0, size);
        changeWords(s2.segment(), changes, changes);
        final byte[] expected = referenceDelta(bytes(s1.segment()), bytes(s2.segment()));
        final int max = Math.max(80, (size / 8) * 10);
        final HostBuffer delta = f.buffer(max);
        assertEquals(0x01, f.run(create(s1.address(), s2.address(), size, delta.address(), max), cr));
        assertEquals(1, cr.result());
        assertEquals(expected.length, cr.deltaRecordSize());
        assertEquals(0, cr.bytesCompleted());
        assertArrayEquals(expected, bytes(delta.segment().asSlice(0, expected.length)));

        final HostBuffer copy = f.buffer(size);
        MemorySegment.copy(s1.segment(), 0, copy.segment(), 0, size);
        assertEquals(0x01, f.run(apply(delta.address(), expected.length, copy.address(), size), cr));
        assertArrayEquals(bytes(s2.segment()), bytes(copy.segment()));
    }

    @Test
    void allWordsDifferent() {
        final int size = 800;
        final HostBuffer s1 = f.buffer(size);
        final HostBuffer s2 = f.buffer(size);
        s2.segment().fill((byte) 1);
        final HostBuffer delta = f.buffer(1000);
        assertEquals(0x01, f.run(create(s1.address(), s2.address(), size, delta.address(), 1000), cr));
        assertEquals(1, cr.result());
        assertEquals(1000, cr.deltaRecordSize());
        assertArrayEquals(referenceDelta(bytes(s1.segment()), bytes(s2.segment())), bytes(delta.segment()));
        assertEquals(0x01, f.run(apply(delta.address(), 1000, s1.address(), size), cr));
        assertArrayEquals(bytes(s2.segment()), bytes(s1.segment()));
    }

    @Test
    void identicalSourcesGiveResultZeroAndAnEmptyRecord() {
        final HostBuffer s1 = f.buffer(4096);
        final HostBuffer s2 = f.buffer(4096);
        fillRandom(s1.segment(), 1);
        MemorySegment.copy(s1.segment(), 0, s2.segment(), 0, 4096);
        final HostBuffer delta = f.buffer(80);
        delta.segment().fill((byte) 0x33);
        assertEquals(0x01, f.run(create(s1.address(), s2.address(), 4096, delta.address(), 80), cr));
        assertEquals(0, cr.result());
        assertEquals(0, cr.deltaRecordSize());
        for (byte b : bytes(delta.segment())) {
            assertEquals((byte) 0x33, b, "nothing written");
        }
    }

    @Test
    void recordTooSmallGivesResultTwoWithWhatFitted() {
        final int size = 4096;
        final HostBuffer s1 = f.buffer(size);
        final HostBuffer s2 = f.buffer(size);
        for (int w = 0; w < 20; w++) {
            s2.segment().set(ValueLayout.JAVA_BYTE, 8L * (10 * w + 3) + 5, (byte) (w + 1));
        }
        final byte[] full = referenceDelta(bytes(s1.segment()), bytes(s2.segment()));
        assertEquals(200, full.length);
        final HostBuffer delta = f.buffer(4096);
        delta.segment().fill((byte) 0x44);
        assertEquals(0x01, f.run(create(s1.address(), s2.address(), size, delta.address(), 90), cr));
        assertEquals(2, cr.result());
        assertEquals(90, cr.deltaRecordSize(), "nine whole entries fitted");
        assertArrayEquals(Arrays.copyOf(full, 90), bytes(delta.segment().asSlice(0, 90)));
        assertEquals((byte) 0x44, delta.segment().get(ValueLayout.JAVA_BYTE, 90), "nothing past the maximum");
    }

    @ParameterizedTest
    @CsvSource({
        "0, 1, 0x01",   // identical, mask bit 0: expects 0
        "0, 6, 0x02",   // identical, mask expects 1 or 2
        "0, 0, 0x02",   // empty mask: nothing is expected
        "1, 2, 0x01",   // different, mask bit 1: expects 1
        "1, 5, 0x02",   // different, mask expects 0 or 2
        "2, 4, 0x01",   // overflow, mask bit 2: expects 2
        "2, 3, 0x02"})  // overflow, mask expects 0 or 1
    void checkResultUsesTheExpectedResultMask(int result, int mask, String status) {
        final int size = 4096;
        final HostBuffer s1 = f.buffer(size);
        final HostBuffer s2 = f.buffer(size);
        final int changes = result == 0 ? 0 : result == 1 ? 3 : 30;
        for (int w = 0; w < changes; w++) {
            s2.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 8L * w * 10, -1L);
        }
        final HostBuffer delta = f.buffer(4096);
        final Descriptor d = create(s1.address(), s2.address(), size, delta.address(), 100).flags(0x80).u8(56, mask);
        assertEquals(Integer.decode(status), f.run(d, cr));
        assertEquals(result, cr.result());
    }

    @Test
    void createSizeAndAlignmentErrorsInValidationOrder() {
        final HostBuffer a = f.buffer(0x81000);
        final HostBuffer b = f.buffer(0x81000);
        final HostBuffer delta = f.buffer(4096);
        final long s1 = a.address();
        final long s2 = b.address();
        final long dl = delta.address();
        assertEquals(0x13, f.run(create(s1, s2, 0, dl, 80), cr), "size 0");
        assertEquals(0x13, f.run(create(s1, s2, 12, dl, 80), cr), "size not a multiple of 8");
        assertEquals(0x13, f.run(create(s1, s2, 0x80008, dl, 80), cr), "size above 512 KiB");
        assertEquals(0x01, f.run(create(s1, s2, 0x80000, dl, 80), cr), "exactly 512 KiB");
        assertEquals(0x15, f.run(create(s1, s2, 64, dl, 85), cr), "maximum not a multiple of 10");
        assertEquals(0x15, f.run(create(s1, s2, 64, dl, 70), cr), "maximum below 80");
        assertEquals(0x15, f.run(create(s1, s2, 64, dl, 0), cr), "maximum 0");
        assertEquals(0x1C, f.run(create(s1 + 4, s2, 64, dl, 80), cr), "source 1 misaligned");
        assertEquals(0x1C, f.run(create(s1, s2 + 1, 64, dl, 80), cr), "source 2 misaligned");
        assertEquals(0x1C, f.run(create(s1, s2, 64, dl + 2, 80), cr), "delta record misaligned");
        // first failing step decides: size (7) before delta size (7, later) before alignment (8)
        assertEquals(0x13, f.run(create(s1 + 1, s2, 12, dl, 85), cr));
        assertEquals(0x15, f.run(create(s1 + 1, s2, 64, dl, 85), cr));
    }

    @Test
    void applyValidationErrors() {
        final HostBuffer delta = f.buffer(4096);
        final HostBuffer dst = f.buffer(4096);
        final long dl = delta.address();
        final long d = dst.address();
        assertEquals(0x13, f.run(apply(dl, 10, d, 0), cr), "size 0");
        assertEquals(0x13, f.run(apply(dl, 10, d, 12), cr), "size not a multiple of 8");
        assertEquals(0x15, f.run(apply(dl, 0, d, 64), cr), "delta size 0");
        assertEquals(0x15, f.run(apply(dl, 15, d, 64), cr), "delta size not a multiple of 10");
        assertEquals(0x1C, f.run(apply(dl + 2, 10, d, 64), cr), "delta record misaligned");
        assertEquals(0x1C, f.run(apply(dl, 10, d + 4, 64), cr), "destination misaligned");
        assertEquals(0x16, f.run(apply(d + 64, 10, d, 72), cr), "delta record inside the destination");
        assertEquals(0x16, f.run(apply(d, 20, d + 16, 64), cr), "destination starts inside the delta record");
        assertEquals(0x01, f.run(apply(d + 64, 10, d, 64), cr), "adjacent is fine");
        assertEquals(0x13, f.run(apply(dl + 2, 15, d, 12), cr), "size (7) before alignment (8)");
        assertEquals(0x15, f.run(apply(dl + 2, 15, d, 64), cr), "delta size (7) before alignment (8)");
        assertEquals(0x1C, f.run(apply(d + 2, 10, d, 64), cr), "alignment (8) before overlap (9)");
    }

    private static void entry(MemorySegment s, int at, int index, long data) {
        s.set(ValueLayout.JAVA_BYTE, at, (byte) index);
        s.set(ValueLayout.JAVA_BYTE, at + 1, (byte) (index >>> 8));
        for (int i = 0; i < 8; i++) {
            s.set(ValueLayout.JAVA_BYTE, at + 2 + i, (byte) (data >>> (8 * i)));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 2})
    void applyStopsAtAnIndexNotAboveThePreviousOne(int thirdIndex) {
        final HostBuffer delta = f.buffer(4096);
        final HostBuffer dst = f.buffer(4096);
        entry(delta.segment(), 0, 1, 0x1111_1111_1111_1111L);
        entry(delta.segment(), 10, 3, 0x3333_3333_3333_3333L);
        entry(delta.segment(), 20, thirdIndex, 0x7777_7777_7777_7777L);
        entry(delta.segment(), 30, 9, 0x9999_9999_9999_9999L);
        assertEquals(0x07, f.run(apply(delta.address(), 40, dst.address(), 4096), cr));
        assertEquals(20, cr.bytesCompleted(), "two entries consumed");
        assertEquals(0x1111_1111_1111_1111L, dst.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 8));
        assertEquals(0x3333_3333_3333_3333L, dst.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 24));
        assertEquals(0, dst.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 72), "nothing after the bad entry");
    }

    @Test
    void applyStopsAtAnIndexOutOfRange() {
        final HostBuffer delta = f.buffer(4096);
        final HostBuffer dst = f.buffer(4096);
        entry(delta.segment(), 0, 0, 5);
        entry(delta.segment(), 10, 7, 6);  // 8 * 7 = 56 < 64
        entry(delta.segment(), 20, 8, 7);  // 8 * 8 = 64 >= 64
        assertEquals(0x08, f.run(apply(delta.address(), 30, dst.address(), 64), cr));
        assertEquals(20, cr.bytesCompleted());
        assertEquals(6, dst.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 56));
        assertEquals(0, dst.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 64), "not written past the size");
        assertEquals(0x01, f.run(apply(delta.address(), 20, dst.address(), 64), cr), "the first two are fine");
    }

    @Test
    void createFaultOnSourceGivesBytesComparedAndEntriesWritten() {
        final long end = memoryEnd();
        final long s1 = end - 4096;
        final HostBuffer s2 = f.buffer(8192);
        f.mem().asSlice(s1, 4096).fill((byte) 0);
        s2.segment().set(ValueLayout.JAVA_BYTE, 3 * 8, (byte) 9);     // word 3
        s2.segment().set(ValueLayout.JAVA_BYTE, 600 * 8, (byte) 9);   // word 600, beyond the end of memory
        final HostBuffer delta = f.buffer(4096);
        assertEquals(0x22, f.run(create(s1, s2.address(), 8192, delta.address(), 100), cr));
        assertEquals(4096, cr.bytesCompleted(), "source bytes compared");
        assertEquals(10, cr.deltaRecordSize(), "one entry written");
        assertEquals(end, cr.faultAddress());
        assertFalse(cr.faultWasWrite());
        assertEquals(3, delta.segment().get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void createFaultOnDeltaRecordCountsOnlyWholeEntries() {
        final long end = memoryEnd();
        final long deltaAddress = end - 24; // two entries fit, the third straddles the end of memory
        final HostBuffer s1 = f.buffer(4096);
        final HostBuffer s2 = f.buffer(4096);
        for (int w : new int[] {2, 5, 9, 11}) {
            s2.segment().set(ValueLayout.JAVA_BYTE, 8L * w, (byte) 0xEE);
        }
        final byte[] expected = referenceDelta(bytes(s1.segment()), bytes(s2.segment()));
        assertEquals(0x22, f.run(create(s1.address(), s2.address(), 4096, deltaAddress, 100), cr));
        assertEquals(9 * 8, cr.bytesCompleted(), "word 9 not done");
        assertEquals(20, cr.deltaRecordSize());
        assertEquals(end, cr.faultAddress());
        assertArrayEquals(Arrays.copyOf(expected, 20), bytes(f.mem().asSlice(deltaAddress, 20)));
    }

    @Test
    void applyFaultOnDeltaRecordGivesBytesConsumed() {
        final long end = memoryEnd();
        final long deltaAddress = end - 32; // three entries, then the fourth straddles the end of memory
        final MemorySegment record = f.mem().asSlice(deltaAddress, 32);
        entry(record, 0, 0, 10);
        entry(record, 10, 1, 11);
        entry(record, 20, 2, 12);
        record.set(ValueLayout.JAVA_BYTE, 30, (byte) 3);
        record.set(ValueLayout.JAVA_BYTE, 31, (byte) 0);
        final HostBuffer dst = f.buffer(64);
        assertEquals(0x22, f.run(apply(deltaAddress, 50, dst.address(), 64), cr));
        assertEquals(30, cr.bytesCompleted());
        assertEquals(end, cr.faultAddress());
        assertEquals(12, dst.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 16));
        assertEquals(0, dst.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 24));
    }

    @Test
    void applyFaultOnDestinationGivesBytesConsumed() {
        final long end = memoryEnd();
        final long dst = end - 64;
        f.mem().asSlice(dst, 64).fill((byte) 0);
        final HostBuffer delta = f.buffer(4096);
        entry(delta.segment(), 0, 1, 0x55);
        entry(delta.segment(), 10, 10, 0x66); // destination + 80: past the end of memory
        assertEquals(0x22, f.run(apply(delta.address(), 20, dst, 128), cr));
        assertEquals(10, cr.bytesCompleted());
        assertEquals(end + 16, cr.faultAddress());
        assertEquals(0x55, f.mem().get(ValueLayout.JAVA_LONG_UNALIGNED, dst + 8));
    }

    /** Section 10's resume of apply delta: delta address += n, delta size -= n, at an entry boundary. */
    @Test
    void applyInTwoPartsAtAnEntryBoundary() {
        final int size = 8192;
        final HostBuffer s1 = f.buffer(size);
        final HostBuffer s2 = f.buffer(size);
        fillRandom(s1.segment(), 17);
        MemorySegment.copy(s1.segment(), 0, s2.segment(), 0, size);
        changeWords(s2.segment(), 300, 5);
        final HostBuffer delta = f.buffer(10 * 1024);
        assertEquals(0x01, f.run(create(s1.address(), s2.address(), size, delta.address(), 10 * 1024), cr));
        final long full = cr.deltaRecordSize();
        // split at a multiple of 40 bytes: an entry boundary that keeps the second part 8-byte aligned
        final HostBuffer copy = f.buffer(size);
        MemorySegment.copy(s1.segment(), 0, copy.segment(), 0, size);
        final long first = (full / 80) * 40;
        assertEquals(0x01, f.run(apply(delta.address(), first, copy.address(), size), cr));
        assertEquals(0x01, f.run(apply(delta.address() + first, full - first, copy.address(), size), cr));
        assertArrayEquals(bytes(s2.segment()), bytes(copy.segment()));
    }

    // ---- issue 11 item 12

    @Test
    void createDeltaWithItsRecordOverlappingASourceIsOverlappingBuffers() {
        final HostBuffer s = f.buffer(4096);
        final HostBuffer other = f.buffer(4096);
        fillRandom(s.segment(), 12);
        // the record starts 8 bytes into source 2: writing it would change what is being compared
        assertEquals(0x16, f.run(create(other.address(), s.address(), 1024, s.address() + 8, 90), cr));
        assertEquals(0x16, f.run(create(s.address() + 1024, other.address(), 1024, s.address() + 2040, 90), cr),
            "the record's last bytes overlap source 1");
        assertEquals(0x01, f.run(create(other.address(), s.address(), 1024, s.address() + 1024, 90), cr),
            "adjacent is not overlapping");
    }

    @Test
    void createDeltaAfterAShortAccessOfItsSourceInTheSameBatchComparesWholeWords() {
        // a 5-byte move leaves the engine a 5-byte translation of source 1; the create delta in the same batch must
        // not take it as the whole run (it once saw a run shorter than a word and failed with 0x20)
        final HostBuffer s1 = f.buffer(64);
        final HostBuffer s2 = f.buffer(64);
        final HostBuffer scratch = f.buffer(64);
        final HostBuffer delta = f.buffer(80);
        fillRandom(s1.segment(), 13);
        MemorySegment.copy(s1.segment(), 0, s2.segment(), 0, 64);
        s2.segment().set(ValueLayout.JAVA_BYTE, 20, (byte) (s1.segment().get(ValueLayout.JAVA_BYTE, 20) ^ 1));
        final HostBuffer list = f.buffer(128);
        final CompletionRecord[] inner = {f.client.completionRecord(), f.client.completionRecord()};
        final Descriptor move = new Descriptor(list.segment(), 0).opcode(Opcode.MEMMOVE).source(s1.address())
            .destination(scratch.address()).transferSize(5).completionAddress(inner[0].address()).flags(0x0C)
            .opcode(Opcode.MEMMOVE);
        final Descriptor make = new Descriptor(list.segment(), 64).opcode(Opcode.CREATE_DELTA).source(s1.address())
            .destination(s2.address()).transferSize(64).u64(40, delta.address()).u32(48, 80)
            .completionAddress(inner[1].address()).flags(0x0C).opcode(Opcode.CREATE_DELTA);
        inner[0].arm();
        inner[1].arm();
        final int batch = f.run(f.client.descriptor().opcode(Opcode.BATCH).source(list.address()).transferSize(2), cr);
        assertEquals(0x01, inner[0].status());
        assertEquals(0x01, inner[1].status());
        assertEquals(0x01, batch);
        assertEquals(1, inner[1].result());
        assertEquals(10, inner[1].u32(16));
        assertArrayEquals(referenceDelta(bytes(s1.segment()), bytes(s2.segment())),
            bytes(delta.segment().asSlice(0, 10)));
    }
}
