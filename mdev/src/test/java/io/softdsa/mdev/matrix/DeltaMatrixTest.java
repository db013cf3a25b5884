package io.softdsa.mdev.matrix;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.mdev.matrix.Target.Record;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static io.softdsa.testing.References.random;
import static io.softdsa.testing.References.referenceDelta;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The engine's {@code DeltaRecordTest} on every cell: create then apply against the reference, an overflowing record,
 * the expected-result mask, apply's entry checks, validation order, and faults on each operand at the end of the
 * tenant's reach.
 */
class DeltaMatrixTest extends MatrixTest {

    private static Descriptor create(Target t, long src1, long src2, long size, long delta, long maxDelta) {
        return t.desc(Opcode.CREATE_DELTA).source(src1).destination(src2).transferSize(size).u64(40, delta)
            .u32(48, (int) maxDelta);
    }

    private static Descriptor apply(Target t, long delta, long deltaSize, long dst, long size) {
        return t.desc(Opcode.APPLY_DELTA).source(delta).destination(dst).transferSize(size).u32(40, (int) deltaSize);
    }

    private static byte[] changeWords(byte[] s, int words, long seed) {
        final byte[] out = s.clone();
        final SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < words; i++) {
            final int at = 8 * r.nextInt(s.length / 8) + r.nextInt(8);
            out[at] ^= (byte) (1 + r.nextInt(255));
        }
        return out;
    }

    private static byte[] entry(int index, long data) {
        final byte[] e = new byte[10];
        e[0] = (byte) index;
        e[1] = (byte) (index >>> 8);
        for (int i = 0; i < 8; i++) {
            e[2 + i] = (byte) (data >>> (8 * i));
        }
        return e;
    }

    private static byte[] entries(byte[]... es) {
        final byte[] out = new byte[10 * es.length];
        for (int i = 0; i < es.length; i++) {
            System.arraycopy(es[i], 0, out, 10 * i, 10);
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("targets")
    void createThenApplyReproducesSource2(Target t) {
        final Record cr = t.record();
        final int[][] rows = {{8, 1}, {64, 3}, {4096, 40}, {4104, 100}, {65536, 500}, {524288, 2000}, {524288, 1}};
        for (int[] r : rows) {
            final int size = r[0];
            final byte[] a = random(size, size);
            final byte[] b = changeWords(a, r[1], r[1]);
            final long s1 = t.put(a);
            final long s2 = t.put(b);
            final byte[] expected = referenceDelta(a, b);
            final int max = Math.max(80, (size / 8) * 10);
            final long delta = t.alloc(max);
            assertEquals(0x01, t.run(create(t, s1, s2, size, delta, max), cr), Arrays.toString(r));
            assertEquals(1, cr.cr().result());
            assertEquals(expected.length, cr.cr().deltaRecordSize());
            assertEquals(0, cr.cr().bytesCompleted());
            assertArrayEquals(expected, t.read(delta, expected.length));
            final long copy = t.put(a);
            assertEquals(0x01, t.run(apply(t, delta, expected.length, copy, size), cr));
            assertArrayEquals(b, t.read(copy, size));
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void identicalSourcesGiveResultZeroAndAnEmptyRecord(Target t) {
        final Record cr = t.record();
        final byte[] a = random(4096, 1);
        final byte[] untouched = new byte[80];
        Arrays.fill(untouched, (byte) 0x33);
        final long delta = t.put(untouched);
        assertEquals(0x01, t.run(create(t, t.put(a), t.put(a), 4096, delta, 80), cr));
        assertEquals(0, cr.cr().result());
        assertEquals(0, cr.cr().deltaRecordSize());
        assertArrayEquals(untouched, t.read(delta, 80), "nothing written");
    }

    @ParameterizedTest
    @MethodSource("targets")
    void recordTooSmallGivesResultTwoWithWhatFitted(Target t) {
        final Record cr = t.record();
        final byte[] b = new byte[4096];
        for (int w = 0; w < 20; w++) {
            b[8 * (10 * w + 3) + 5] = (byte) (w + 1);
        }
        final byte[] full = referenceDelta(new byte[4096], b);
        final byte[] before = new byte[4096];
        Arrays.fill(before, (byte) 0x44);
        final long delta = t.put(before);
        assertEquals(0x01, t.run(create(t, t.alloc(4096), t.put(b), 4096, delta, 90), cr));
        assertEquals(2, cr.cr().result());
        assertEquals(90, cr.cr().deltaRecordSize(), "nine whole entries fitted");
        final byte[] out = t.read(delta, 91);
        assertArrayEquals(Arrays.copyOf(full, 90), Arrays.copyOf(out, 90));
        assertEquals((byte) 0x44, out[90], "nothing past the maximum");
    }

    @ParameterizedTest
    @MethodSource("targets")
    void checkResultUsesTheExpectedResultMask(Target t) {
        final Record cr = t.record();
        final int[][] rows = {{0, 1, 0x01}, {0, 6, 0x02}, {0, 0, 0x02}, {1, 2, 0x01}, {1, 5, 0x02}, {2, 4, 0x01},
            {2, 3, 0x02}};
        for (int[] r : rows) {
            final byte[] b = new byte[4096];
            final int changes = r[0] == 0 ? 0 : r[0] == 1 ? 3 : 30;
            for (int w = 0; w < changes; w++) {
                Arrays.fill(b, 80 * w, 80 * w + 8, (byte) -1);
            }
            final Descriptor d = create(t, t.alloc(4096), t.put(b), 4096, t.alloc(4096), 100).flags(0x80)
                .u8(56, r[1]);
            assertEquals(r[2], t.run(d, cr), Arrays.toString(r));
            assertEquals(r[0], cr.cr().result());
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void createSizeAndAlignmentErrorsInValidationOrder(Target t) {
        final Record cr = t.record();
        final long s1 = t.alloc(0x81000);
        final long s2 = t.alloc(0x81000);
        final long dl = t.alloc(4096);
        assertEquals(0x13, t.run(create(t, s1, s2, 0, dl, 80), cr), "size 0");
        assertEquals(0x13, t.run(create(t, s1, s2, 12, dl, 80), cr), "size not a multiple of 8");
        assertEquals(0x13, t.run(create(t, s1, s2, 0x80008, dl, 80), cr), "size above 512 KiB");
        assertEquals(0x01, t.run(create(t, s1, s2, 0x80000, dl, 80), cr), "exactly 512 KiB");
        assertEquals(0x15, t.run(create(t, s1, s2, 64, dl, 85), cr), "maximum not a multiple of 10");
        assertEquals(0x15, t.run(create(t, s1, s2, 64, dl, 70), cr), "maximum below 80");
        assertEquals(0x1C, t.run(create(t, s1 + 4, s2, 64, dl, 80), cr), "source 1 misaligned");
        assertEquals(0x1C, t.run(create(t, s1, s2 + 1, 64, dl, 80), cr), "source 2 misaligned");
        assertEquals(0x1C, t.run(create(t, s1, s2, 64, dl + 2, 80), cr), "delta record misaligned");
        assertEquals(0x13, t.run(create(t, s1 + 1, s2, 12, dl, 85), cr));
        assertEquals(0x15, t.run(create(t, s1 + 1, s2, 64, dl, 85), cr));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void applyStopsAtABadIndex(Target t) {
        final Record cr = t.record();
        for (int third : new int[] {3, 2}) {
            final long delta = t.put(entries(entry(1, 0x1111_1111_1111_1111L), entry(3, 0x3333_3333_3333_3333L),
                entry(third, 0x7777_7777_7777_7777L), entry(9, 0x9999_9999_9999_9999L)));
            final long dst = t.alloc(4096);
            assertEquals(0x07, t.run(apply(t, delta, 40, dst, 4096), cr), "index " + third + " after 3");
            assertEquals(20, cr.cr().bytesCompleted(), "two entries consumed");
            final byte[] out = t.read(dst, 80);
            assertArrayEquals(Arrays.copyOfRange(entry(1, 0x1111_1111_1111_1111L), 2, 10),
                Arrays.copyOfRange(out, 8, 16));
            assertArrayEquals(new byte[8], Arrays.copyOfRange(out, 72, 80), "nothing after the bad entry");
        }
        final long delta = t.put(entries(entry(0, 5), entry(7, 6), entry(8, 7)));
        final long dst = t.alloc(72);
        assertEquals(0x08, t.run(apply(t, delta, 30, dst, 64), cr), "8 * 8 = 64 is out of range");
        assertEquals(20, cr.cr().bytesCompleted());
        assertArrayEquals(new byte[8], t.read(dst + 64, 8), "not written past the size");
    }

    // ---- faults at the end of the tenant's reach

    @ParameterizedTest
    @MethodSource("targets")
    void createFaultOnSourceGivesBytesComparedAndEntriesWritten(Target t) {
        final Record cr = t.record();
        final long s1 = t.endOfReach(4096);
        t.write(s1, new byte[4096]);
        final byte[] b = new byte[8192];
        b[3 * 8] = 9;
        b[600 * 8] = 9; // beyond the end of the reach
        final long delta = t.alloc(4096);
        assertEquals(t.faultStatus(), t.run(create(t, s1, t.put(b), 8192, delta, 100), cr));
        assertEquals(4096, cr.cr().bytesCompleted(), "source bytes compared");
        assertEquals(10, cr.cr().deltaRecordSize(), "one entry written");
        assertEquals(s1 + 4096, cr.cr().faultAddress());
        assertEquals(t.faultBit(false), cr.cr().faultWasWrite());
        assertEquals(3, t.read(delta, 1)[0]);
    }

    @ParameterizedTest
    @MethodSource("targets")
    void createFaultOnDeltaRecordCountsOnlyWholeEntries(Target t) {
        final Record cr = t.record();
        final long deltaAddress = t.endOfReach(24); // two entries fit, the third straddles the end
        final byte[] b = new byte[4096];
        for (int w : new int[] {2, 5, 9, 11}) {
            b[8 * w] = (byte) 0xEE;
        }
        final byte[] expected = referenceDelta(new byte[4096], b);
        assertEquals(t.faultStatus(), t.run(create(t, t.alloc(4096), t.put(b), 4096, deltaAddress, 100), cr));
        assertEquals(9 * 8, cr.cr().bytesCompleted(), "word 9 not done");
        assertEquals(20, cr.cr().deltaRecordSize());
        assertEquals(deltaAddress + 24, cr.cr().faultAddress());
        assertEquals(t.faultBit(true), cr.cr().faultWasWrite());
        assertArrayEquals(Arrays.copyOf(expected, 20), t.read(deltaAddress, 20));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void applyFaultOnDeltaRecordGivesBytesConsumed(Target t) {
        final Record cr = t.record();
        final long deltaAddress = t.endOfReach(32); // three entries, then the fourth straddles the end
        final byte[] record = Arrays.copyOf(entries(entry(0, 10), entry(1, 11), entry(2, 12)), 32);
        record[30] = 3;
        t.write(deltaAddress, record);
        final long dst = t.alloc(64);
        assertEquals(t.faultStatus(), t.run(apply(t, deltaAddress, 50, dst, 64), cr));
        assertEquals(30, cr.cr().bytesCompleted());
        assertEquals(deltaAddress + 32, cr.cr().faultAddress());
        final byte[] out = t.read(dst, 32);
        assertEquals(12, out[16]);
        assertArrayEquals(new byte[8], Arrays.copyOfRange(out, 24, 32));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void applyFaultOnDestinationGivesBytesConsumed(Target t) {
        final Record cr = t.record();
        final long dst = t.endOfReach(64);
        t.write(dst, new byte[64]);
        final long delta = t.put(entries(entry(1, 0x55), entry(10, 0x66))); // destination + 80: past the end
        assertEquals(t.faultStatus(), t.run(apply(t, delta, 20, dst, 128), cr));
        assertEquals(10, cr.cr().bytesCompleted());
        assertEquals(dst + 80, cr.cr().faultAddress());
        assertEquals(t.faultBit(true), cr.cr().faultWasWrite());
        assertEquals(0x55, t.read(dst + 8, 1)[0]);
    }

    /** Section 10's resume of apply delta: delta address += n, delta size -= n, at an entry boundary. */
    @ParameterizedTest
    @MethodSource("targets")
    void applyInTwoPartsAtAnEntryBoundary(Target t) {
        final Record cr = t.record();
        final int size = 8192;
        final byte[] a = random(size, 17);
        final byte[] b = changeWords(a, 300, 5);
        final long delta = t.alloc(10 * 1024);
        assertEquals(0x01, t.run(create(t, t.put(a), t.put(b), size, delta, 10 * 1024), cr));
        final long full = cr.cr().deltaRecordSize();
        final long copy = t.put(a);
        final long first = (full / 80) * 40;
        assertEquals(0x01, t.run(apply(t, delta, first, copy, size), cr));
        assertEquals(0x01, t.run(apply(t, delta + first, full - first, copy, size), cr));
        assertArrayEquals(b, t.read(copy, size));
    }
}
