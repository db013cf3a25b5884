package io.softdsa.ops;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.memory.HostBuffer;
import io.softdsa.testing.Fixture;
import io.softdsa.testing.References;
import io.softdsa.testing.SharedWqTestBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static io.softdsa.testing.Fixture.bytes;
import static io.softdsa.testing.Fixture.fillRandom;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every core operation against a plain reference loop or a fact-sheet check value (expected values are literals). */
class CoreOperationsTest extends SharedWqTestBase {


    @Test
    void noopSucceeds() {
        assertEquals(0x01, f.run(desc(Opcode.NOOP), cr));
        assertEquals(0, cr.bytesCompleted());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 8, 63, 64, 4095, 4096, 4097, 65536 + 13, 1 << 20})
    void memmoveCopiesExactly(int size) {
        final HostBuffer src = f.buffer(size);
        final HostBuffer dst = f.buffer(size + 64);
        fillRandom(src.segment(), size);
        dst.segment().fill((byte) 0x5A);
        assertEquals(0x01, f.run(desc(Opcode.MEMMOVE).source(src.address()).destination(dst.address())
            .transferSize(size), cr));
        assertArrayEquals(bytes(src.segment()), bytes(dst.segment().asSlice(0, size)));
        for (int i = size; i < size + 64; i++) {
            assertEquals((byte) 0x5A, dst.segment().get(ValueLayout.JAVA_BYTE, i), "byte past the end untouched");
        }
        assertEquals(0, cr.bytesCompleted());
    }

    /** Overlap in both directions behaves as memmove: compare with a plain loop over a copy of the original. */
    @ParameterizedTest
    @CsvSource({"0,100,1000", "100,0,1000", "0,1,8192", "1,0,8192", "4000,4100,9000", "4100,4000,9000",
        "10,10,500"})
    void memmoveOverlapIsMemmove(int srcOff, int dstOff, int size) {
        final HostBuffer buf = f.buffer(32768);
        fillRandom(buf.segment(), 42);
        final byte[] before = bytes(buf.segment());
        final byte[] expected = before.clone();
        final byte[] tmp = new byte[size];
        for (int i = 0; i < size; i++) {
            tmp[i] = before[srcOff + i];
        }
        for (int i = 0; i < size; i++) {
            expected[dstOff + i] = tmp[i];
        }
        assertEquals(0x01, f.run(desc(Opcode.MEMMOVE).source(buf.address() + srcOff)
            .destination(buf.address() + dstOff).transferSize(size), cr));
        assertArrayEquals(expected, bytes(buf.segment()));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 8, 15, 16, 17, 255, 256, 257, 4096, 10_000, 70_001})
    void fillRepeatsEightBytePattern(int size) {
        final HostBuffer dst = f.buffer(size + 16);
        dst.segment().fill((byte) 0x77);
        final long pattern = 0x0807_0605_0403_0201L;
        assertEquals(0x01, f.run(desc(Opcode.FILL).fillPattern(pattern).destination(dst.address())
            .transferSize(size), cr));
        for (int i = 0; i < size; i++) {
            assertEquals((byte) ((i % 8) + 1), dst.segment().get(ValueLayout.JAVA_BYTE, i), "byte " + i);
        }
        assertEquals((byte) 0x77, dst.segment().get(ValueLayout.JAVA_BYTE, size), "cut at size");
    }

    @ParameterizedTest
    @ValueSource(ints = {5, 16, 31, 300, 5000})
    void fillRepeatsSixteenBytePattern(int size) {
        final HostBuffer dst = f.buffer(size);
        final Descriptor d = desc(Opcode.FILL).fillPattern(0x0706_0504_0302_0100L)
            .fillPatternHigh(0x0F0E_0D0C_0B0A_0908L).destination(dst.address()).transferSize(size)
            .flags(0x40000);
        assertEquals(0x01, f.run(d, cr));
        for (int i = 0; i < size; i++) {
            assertEquals((byte) (i % 16), dst.segment().get(ValueLayout.JAVA_BYTE, i), "byte " + i);
        }
    }

    @Test
    void compareEqualAndExactMismatchOffset() {
        final int size = 100_000;
        final HostBuffer a = f.buffer(size);
        final HostBuffer b = f.buffer(size);
        fillRandom(a.segment(), 7);
        MemorySegment.copy(a.segment(), 0, b.segment(), 0, size);
        assertEquals(0x01, f.run(desc(Opcode.COMPARE).source(a.address()).destination(b.address())
            .transferSize(size), cr));
        assertEquals(0, cr.result());
        for (int at : new int[] {0, 1, 4095, 4096, 77_777, size - 1}) {
            MemorySegment.copy(a.segment(), 0, b.segment(), 0, size);
            b.segment().set(ValueLayout.JAVA_BYTE, at, (byte) ~a.segment().get(ValueLayout.JAVA_BYTE, at));
            assertEquals(0x01, f.run(desc(Opcode.COMPARE).source(a.address()).destination(b.address())
                .transferSize(size), cr));
            assertEquals(1, cr.result());
            assertEquals(at, cr.bytesCompleted(), "exact offset of the first difference");
        }
    }

    @Test
    void compareCheckResultGivesFalsePredicate() {
        final HostBuffer a = f.buffer(64);
        final HostBuffer b = f.buffer(64);
        b.segment().set(ValueLayout.JAVA_BYTE, 10, (byte) 1);
        // expected 0 (equal) but they differ -> 0x02
        assertEquals(0x02, f.run(desc(Opcode.COMPARE).source(a.address()).destination(b.address())
            .transferSize(64).flags(0x80).expectedResult(0), cr));
        assertEquals(1, cr.result());
        assertEquals(10, cr.bytesCompleted());
        // expected 1 and they differ -> 0x01
        assertEquals(0x01, f.run(desc(Opcode.COMPARE).source(a.address()).destination(b.address())
            .transferSize(64).flags(0x80).expectedResult(1), cr));
    }

    @Test
    void comparePatternRoundsOffsetDownToEightExceptInFinalPartialWord() {
        final int size = 8 * 1000 + 5;
        final HostBuffer s = f.buffer(size);
        final long pattern = 0x1122_3344_5566_7788L;
        for (int i = 0; i < size; i++) {
            s.segment().set(ValueLayout.JAVA_BYTE, i, (byte) (pattern >>> (8 * (i % 8))));
        }
        assertEquals(0x01, f.run(desc(Opcode.COMPARE_PATTERN).source(s.address()).comparePattern(pattern)
            .transferSize(size), cr));
        assertEquals(0, cr.result());
        s.segment().set(ValueLayout.JAVA_BYTE, 4099, (byte) 0);
        assertEquals(0x01, f.run(desc(Opcode.COMPARE_PATTERN).source(s.address()).comparePattern(pattern)
            .transferSize(size), cr));
        assertEquals(1, cr.result());
        assertEquals(4096, cr.bytesCompleted(), "4099 rounded down to a multiple of 8");
        s.segment().set(ValueLayout.JAVA_BYTE, 4099, (byte) (pattern >>> 24));
        s.segment().set(ValueLayout.JAVA_BYTE, 8002, (byte) 0);
        assertEquals(0x01, f.run(desc(Opcode.COMPARE_PATTERN).source(s.address()).comparePattern(pattern)
            .transferSize(size), cr));
        assertEquals(8002, cr.bytesCompleted(), "exact inside the final partial word");
    }

    private long ascii(String text) {
        final byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        final HostBuffer buf = f.buffer(Math.max(1, b.length));
        MemorySegment.copy(MemorySegment.ofArray(b), 0, buf.segment(), 0, b.length);
        return buf.address();
    }

    @ParameterizedTest
    @CsvSource({
        "0, 0, E3069283",
        "FFFFFFFF, 0, A71C05DF",
        "12345678, 0, 27D87B6A",
        "0, 40000, A8F022A0",
        "0, 20000, 045FC71A",
        "0, 60000, C052A8C8"})
    void crcCheckValuesOfTheFactSheet(String seedHex, String flagsHex, String expectedHex) {
        final long src = ascii("123456789");
        final Descriptor d = desc(Opcode.CRC_GENERATION).source(src).transferSize(9)
            .crcSeed((int) Long.parseLong(seedHex, 16)).flags(Integer.parseInt(flagsHex, 16));
        assertEquals(0x01, f.run(d, cr));
        assertEquals((int) Long.parseLong(expectedHex, 16), cr.crcValue());
        assertEquals(0, cr.u32(20), "upper 4 bytes of the CRC field are 0 for CRC-32");
    }

    @Test
    void crcChainsThroughTheSeed() {
        assertEquals(0x01, f.run(desc(Opcode.CRC_GENERATION).source(ascii("12345")).transferSize(5), cr));
        final int first = cr.crcValue();
        assertEquals(0x01, f.run(desc(Opcode.CRC_GENERATION).source(ascii("6789")).transferSize(4)
            .crcSeed(first), cr));
        assertEquals(0xE3069283, cr.crcValue());
    }

    @Test
    void crcOfRfc3720Vectors() {
        final HostBuffer b = f.buffer(32);
        assertEquals(0x01, f.run(desc(Opcode.CRC_GENERATION).source(b.address()).transferSize(32), cr));
        assertEquals(0x8A9136AA, cr.crcValue());
        b.segment().fill((byte) 0xFF);
        assertEquals(0x01, f.run(desc(Opcode.CRC_GENERATION).source(b.address()).transferSize(32), cr));
        assertEquals(0x62A8AB43, cr.crcValue());
        for (int i = 0; i < 32; i++) {
            b.segment().set(ValueLayout.JAVA_BYTE, i, (byte) i);
        }
        assertEquals(0x01, f.run(desc(Opcode.CRC_GENERATION).source(b.address()).transferSize(32), cr));
        assertEquals(0x46DD794E, cr.crcValue());
    }

    @Test
    void crcSeedFromMemory() {
        final HostBuffer seed = f.buffer(8);
        seed.segment().set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, 0x12345678);
        final Descriptor d = desc(Opcode.CRC_GENERATION).source(ascii("123456789")).transferSize(9)
            .crcSeed(0x0BADF00D).crcSeedAddress(seed.address()).flags(0x10000);
        assertEquals(0x01, f.run(d, cr));
        assertEquals(0x27D87B6A, cr.crcValue(), "seed 0x12345678 read from memory, bytes 40-43 ignored");
    }

    /** A large CRC against a plain bitwise implementation of fact sheet section 8, every mode. */
    @ParameterizedTest
    @ValueSource(ints = {0, 0x20000, 0x40000, 0x60000})
    void crcOfLargeBufferMatchesBitwiseReference(int flags) {
        final int size = 3 * 4096 + 123;
        final HostBuffer b = f.buffer(size);
        fillRandom(b.segment(), 99);
        final int seed = 0x9E3779B9;
        assertEquals(0x01, f.run(desc(Opcode.CRC_GENERATION).source(b.address()).transferSize(size).crcSeed(seed)
            .flags(flags), cr));
        assertEquals(referenceCrc(bytes(b.segment()), seed, flags), cr.crcValue());
    }

    @Test
    void copyWithCrcCopiesAndChecksumsTheSource() {
        final int size = 50_000;
        final HostBuffer src = f.buffer(size);
        final HostBuffer dst = f.buffer(size);
        fillRandom(src.segment(), 5);
        assertEquals(0x01, f.run(desc(Opcode.COPY_CRC).source(src.address()).destination(dst.address())
            .transferSize(size), cr));
        assertArrayEquals(bytes(src.segment()), bytes(dst.segment()));
        assertEquals(referenceCrc(bytes(src.segment()), 0, 0), cr.crcValue());
    }

    @Test
    void dualcastWritesBothDestinations() {
        final int size = 10_000;
        final HostBuffer src = f.buffer(size);
        final HostBuffer d1 = f.buffer(size);
        final HostBuffer d2 = f.buffer(size);
        fillRandom(src.segment(), 11);
        assertEquals(0x01, f.run(desc(Opcode.DUALCAST).source(src.address()).destination(d1.address())
            .destination2(d2.address()).transferSize(size), cr));
        assertArrayEquals(bytes(src.segment()), bytes(d1.segment()));
        assertArrayEquals(bytes(src.segment()), bytes(d2.segment()));
    }

    @Test
    void drainCompletesAfterEarlierWork() {
        final HostBuffer src = f.buffer(4096);
        final HostBuffer dst = f.buffer(4096);
        fillRandom(src.segment(), 3);
        final CompletionRecord moveRecord = f.client.completionRecord();
        final Descriptor move = desc(Opcode.MEMMOVE).source(src.address()).destination(dst.address())
            .transferSize(4096).completionAddress(moveRecord.address()).flags(0x0C);
        final Descriptor drain = desc(Opcode.DRAIN).completionAddress(cr.address()).flags(0x0C);
        cr.arm();
        f.client.trySubmit(move);
        f.client.trySubmit(drain);
        f.drive();
        assertEquals(0x01, moveRecord.status());
        assertEquals(0x01, cr.status());
        assertArrayEquals(bytes(src.segment()), bytes(dst.segment()));
    }

    /** Fact sheet section 8, bit by bit: the independent reference (one copy, in {@link References}). */
    static int referenceCrc(byte[] data, int seed, int flags) {
        return References.referenceCrc(data, seed, flags);
    }
}
