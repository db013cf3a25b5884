package io.softdsa.mdev.matrix;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.mdev.matrix.Target.Record;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.softdsa.testing.References.random;
import static io.softdsa.testing.References.referenceCrc;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The engine's {@code CoreOperationsTest} on every cell: no-op, memory move (sizes and overlap), fill, compare,
 * compare pattern, CRC (the fact sheet's check values and the bitwise reference), copy with CRC, dualcast, drain.
 */
class CoreOperationsMatrixTest extends MatrixTest {

    @ParameterizedTest
    @MethodSource("targets")
    void noopSucceeds(Target t) {
        final Record cr = t.record();
        assertEquals(0x01, t.run(t.desc(Opcode.NOOP), cr));
        assertEquals(0, cr.cr().bytesCompleted());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void memmoveCopiesExactly(Target t) {
        final Record cr = t.record();
        for (int size : new int[] {1, 7, 8, 63, 64, 4095, 4096, 4097, 65536 + 13, 1 << 20}) {
            final byte[] data = random(size, size);
            final long src = t.put(data);
            final long dst = t.alloc(size + 64);
            final byte[] fill = new byte[size + 64];
            Arrays.fill(fill, (byte) 0x5A);
            t.write(dst, fill);
            assertEquals(0x01, t.run(t.desc(Opcode.MEMMOVE).source(src).destination(dst).transferSize(size), cr),
                "size " + size);
            assertArrayEquals(data, t.read(dst, size), "size " + size);
            assertArrayEquals(Arrays.copyOf(fill, 64), t.read(dst + size, 64), "bytes past the end untouched");
            assertEquals(0, cr.cr().bytesCompleted());
        }
    }

    /** Overlap in both directions behaves as memmove: compare with a plain loop over a copy of the original. */
    @ParameterizedTest
    @MethodSource("targets")
    void memmoveOverlapIsMemmove(Target t) {
        final Record cr = t.record();
        final int[][] cases = {{0, 100, 1000}, {100, 0, 1000}, {0, 1, 8192}, {1, 0, 8192}, {4000, 4100, 9000},
            {4100, 4000, 9000}, {10, 10, 500}};
        for (int[] c : cases) {
            final byte[] before = random(32768, 42);
            final long buf = t.put(before);
            final byte[] expected = before.clone();
            System.arraycopy(before, c[0], expected, c[1], c[2]);
            assertEquals(0x01, t.run(t.desc(Opcode.MEMMOVE).source(buf + c[0]).destination(buf + c[1])
                .transferSize(c[2]), cr));
            assertArrayEquals(expected, t.read(buf, 32768), Arrays.toString(c));
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void fillRepeatsEightBytePattern(Target t) {
        final Record cr = t.record();
        for (int size : new int[] {1, 3, 8, 15, 16, 17, 255, 256, 257, 4096, 10_000, 70_001}) {
            final long dst = t.alloc(size + 16);
            final byte[] before = new byte[size + 16];
            Arrays.fill(before, (byte) 0x77);
            t.write(dst, before);
            assertEquals(0x01, t.run(t.desc(Opcode.FILL).fillPattern(0x0807_0605_0403_0201L).destination(dst)
                .transferSize(size), cr));
            final byte[] out = t.read(dst, size + 1);
            for (int i = 0; i < size; i++) {
                assertEquals((byte) ((i % 8) + 1), out[i], "size " + size + " byte " + i);
            }
            assertEquals((byte) 0x77, out[size], "cut at size");
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void fillRepeatsSixteenBytePattern(Target t) {
        final Record cr = t.record();
        for (int size : new int[] {5, 16, 31, 300, 5000}) {
            final long dst = t.alloc(size);
            final Descriptor d = t.desc(Opcode.FILL).fillPattern(0x0706_0504_0302_0100L)
                .fillPatternHigh(0x0F0E_0D0C_0B0A_0908L).destination(dst).transferSize(size).flags(0x40000);
            assertEquals(0x01, t.run(d, cr));
            final byte[] out = t.read(dst, size);
            for (int i = 0; i < size; i++) {
                assertEquals((byte) (i % 16), out[i], "size " + size + " byte " + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void compareEqualAndExactMismatchOffset(Target t) {
        final Record cr = t.record();
        final int size = 100_000;
        final byte[] data = random(size, 7);
        final long a = t.put(data);
        final long b = t.put(data);
        assertEquals(0x01, t.run(t.desc(Opcode.COMPARE).source(a).destination(b).transferSize(size), cr));
        assertEquals(0, cr.cr().result());
        for (int at : new int[] {0, 1, 4095, 4096, 77_777, size - 1}) {
            t.write(b, data);
            t.write(b + at, new byte[] {(byte) ~data[at]});
            assertEquals(0x01, t.run(t.desc(Opcode.COMPARE).source(a).destination(b).transferSize(size), cr));
            assertEquals(1, cr.cr().result());
            assertEquals(at, cr.cr().bytesCompleted(), "exact offset of the first difference");
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void compareCheckResultGivesFalsePredicate(Target t) {
        final Record cr = t.record();
        final long a = t.alloc(64);
        final long b = t.alloc(64);
        t.write(b + 10, new byte[] {1});
        assertEquals(0x02, t.run(t.desc(Opcode.COMPARE).source(a).destination(b).transferSize(64).flags(0x80)
            .expectedResult(0), cr));
        assertEquals(1, cr.cr().result());
        assertEquals(10, cr.cr().bytesCompleted());
        assertEquals(0x01, t.run(t.desc(Opcode.COMPARE).source(a).destination(b).transferSize(64).flags(0x80)
            .expectedResult(1), cr));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void comparePatternRoundsOffsetDownToEightExceptInFinalPartialWord(Target t) {
        final Record cr = t.record();
        final int size = 8 * 1000 + 5;
        final long pattern = 0x1122_3344_5566_7788L;
        final byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (pattern >>> (8 * (i % 8)));
        }
        final long s = t.put(data);
        assertEquals(0x01, t.run(t.desc(Opcode.COMPARE_PATTERN).source(s).comparePattern(pattern)
            .transferSize(size), cr));
        assertEquals(0, cr.cr().result());
        t.write(s + 4099, new byte[] {0});
        assertEquals(0x01, t.run(t.desc(Opcode.COMPARE_PATTERN).source(s).comparePattern(pattern)
            .transferSize(size), cr));
        assertEquals(1, cr.cr().result());
        assertEquals(4096, cr.cr().bytesCompleted(), "4099 rounded down to a multiple of 8");
        t.write(s + 4099, new byte[] {(byte) (pattern >>> 24)});
        t.write(s + 8002, new byte[] {0});
        assertEquals(0x01, t.run(t.desc(Opcode.COMPARE_PATTERN).source(s).comparePattern(pattern)
            .transferSize(size), cr));
        assertEquals(8002, cr.cr().bytesCompleted(), "exact inside the final partial word");
    }

    private static long ascii(Target t, String text) {
        return t.put(text.getBytes(StandardCharsets.US_ASCII));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void crcCheckValuesOfTheFactSheet(Target t) {
        final Record cr = t.record();
        final long src = ascii(t, "123456789");
        final int[][] rows = {{0, 0, 0xE3069283}, {0xFFFFFFFF, 0, 0xA71C05DF}, {0x12345678, 0, 0x27D87B6A},
            {0, 0x40000, 0xA8F022A0}, {0, 0x20000, 0x045FC71A}, {0, 0x60000, 0xC052A8C8}};
        for (int[] r : rows) {
            assertEquals(0x01, t.run(t.desc(Opcode.CRC_GENERATION).source(src).transferSize(9).crcSeed(r[0])
                .flags(r[1]), cr));
            assertEquals(r[2], cr.cr().crcValue(), Arrays.toString(r));
            assertEquals(0, cr.cr().u32(20), "upper 4 bytes of the CRC field are 0 for CRC-32");
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void crcChainsThroughTheSeed(Target t) {
        final Record cr = t.record();
        assertEquals(0x01, t.run(t.desc(Opcode.CRC_GENERATION).source(ascii(t, "12345")).transferSize(5), cr));
        final int first = cr.cr().crcValue();
        assertEquals(0x01, t.run(t.desc(Opcode.CRC_GENERATION).source(ascii(t, "6789")).transferSize(4)
            .crcSeed(first), cr));
        assertEquals(0xE3069283, cr.cr().crcValue());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void crcOfRfc3720Vectors(Target t) {
        final Record cr = t.record();
        final long b = t.alloc(32);
        assertEquals(0x01, t.run(t.desc(Opcode.CRC_GENERATION).source(b).transferSize(32), cr));
        assertEquals(0x8A9136AA, cr.cr().crcValue());
        final byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0xFF);
        t.write(b, ones);
        assertEquals(0x01, t.run(t.desc(Opcode.CRC_GENERATION).source(b).transferSize(32), cr));
        assertEquals(0x62A8AB43, cr.cr().crcValue());
        final byte[] ascending = new byte[32];
        for (int i = 0; i < 32; i++) {
            ascending[i] = (byte) i;
        }
        t.write(b, ascending);
        assertEquals(0x01, t.run(t.desc(Opcode.CRC_GENERATION).source(b).transferSize(32), cr));
        assertEquals(0x46DD794E, cr.cr().crcValue());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void crcSeedFromMemory(Target t) {
        final Record cr = t.record();
        final long seed = t.put(new byte[] {0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0});
        final Descriptor d = t.desc(Opcode.CRC_GENERATION).source(ascii(t, "123456789")).transferSize(9)
            .crcSeed(0x0BADF00D).crcSeedAddress(seed).flags(0x10000);
        assertEquals(0x01, t.run(d, cr));
        assertEquals(0x27D87B6A, cr.cr().crcValue(), "seed 0x12345678 read from memory, bytes 40-43 ignored");
    }

    /** A large CRC against the plain bitwise implementation of fact sheet section 8, every mode. */
    @ParameterizedTest
    @MethodSource("targets")
    void crcOfLargeBufferMatchesBitwiseReference(Target t) {
        final Record cr = t.record();
        final byte[] data = random(3 * 4096 + 123, 99);
        final long b = t.put(data);
        for (int flags : new int[] {0, 0x20000, 0x40000, 0x60000}) {
            assertEquals(0x01, t.run(t.desc(Opcode.CRC_GENERATION).source(b).transferSize(data.length)
                .crcSeed(0x9E3779B9).flags(flags), cr));
            assertEquals(referenceCrc(data, 0x9E3779B9, flags), cr.cr().crcValue(), "flags " + flags);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void copyWithCrcCopiesAndChecksumsTheSource(Target t) {
        final Record cr = t.record();
        final byte[] data = random(50_000, 5);
        final long src = t.put(data);
        final long dst = t.alloc(data.length);
        assertEquals(0x01, t.run(t.desc(Opcode.COPY_CRC).source(src).destination(dst).transferSize(data.length), cr));
        assertArrayEquals(data, t.read(dst, data.length));
        assertEquals(referenceCrc(data, 0, 0), cr.cr().crcValue());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void dualcastWritesBothDestinations(Target t) {
        final Record cr = t.record();
        final byte[] data = random(10_000, 11);
        final long src = t.put(data);
        final long d1 = t.alloc(data.length);
        final long d2 = t.allocSamePageOffset(data.length, d1); // bits 11:0 of both destinations agree
        assertEquals(0x01, t.run(t.desc(Opcode.DUALCAST).source(src).destination(d1).destination2(d2)
            .transferSize(data.length), cr));
        assertArrayEquals(data, t.read(d1, data.length));
        assertArrayEquals(data, t.read(d2, data.length));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void drainCompletesAfterEarlierWork(Target t) {
        final byte[] data = random(4096, 3);
        final long src = t.put(data);
        final long dst = t.alloc(4096);
        final Record moveRecord = t.record();
        final Record drainRecord = t.record();
        final int crav = DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD;
        t.submit(t.desc(Opcode.MEMMOVE).source(src).destination(dst).transferSize(4096)
            .completionAddress(moveRecord.address()).flags(crav), moveRecord);
        t.submit(t.desc(Opcode.DRAIN).completionAddress(drainRecord.address()).flags(crav), drainRecord);
        assertEquals(0x01, t.await(drainRecord));
        assertEquals(0x01, moveRecord.cr().status(), "done before the drain completed");
        assertArrayEquals(data, t.read(dst, 4096));
    }
}
