package io.softdsa.mdev.matrix;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.mdev.matrix.Target.Record;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;

import static io.softdsa.testing.References.be16;
import static io.softdsa.testing.References.be32;
import static io.softdsa.testing.References.putTuple;
import static io.softdsa.testing.References.random;
import static io.softdsa.testing.References.referenceDix;
import static io.softdsa.testing.References.referenceInsert;
import static io.softdsa.testing.References.referenceUpdate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The engine's {@code DifTest} on every cell: insert and DIX generate against the reference, the insert-check-strip
 * round trip, update, each error bit, F detect, strip stopping at an error, the completion tag fields, and partial
 * completion at the end of what the tenant can reach (a translation error or a page fault, whole blocks only).
 */
class DifMatrixTest extends MatrixTest {
    private static final int[] BLOCK = {512, 520, 4096, 4104};

    /** Insert (0x13) or DIX generate (0x17): 41 destination flags, 42 DIF flags, 56/60/62 destination tags. */
    private static Descriptor generate(Target t, int opcode, long src, long dst, long size, int difFlags,
                                       int dstFlags, int refSeed, int appMask, int appSeed) {
        return t.desc(opcode).source(src).destination(dst).transferSize(size)
            .u8(41, dstFlags).u8(42, difFlags).u32(56, refSeed).u16(60, appMask).u16(62, appSeed);
    }

    /** Check (0x12), strip (0x14) or update (0x15): 40 source flags, 42 DIF flags, 48/52/54 source tags. */
    private static Descriptor verify(Target t, int opcode, long src, long dst, long size, int difFlags, int srcFlags,
                                     int refSeed, int appMask, int appSeed) {
        return t.desc(opcode).source(src).destination(dst).transferSize(size)
            .u8(40, srcFlags).u8(42, difFlags).u32(48, refSeed).u16(52, appMask).u16(54, appSeed);
    }

    private static Descriptor check(Target t, long src, long size, int difFlags, int srcFlags, int refSeed,
                                    int appMask, int appSeed) {
        return verify(t, Opcode.DIF_CHECK, src, 0, size, difFlags, srcFlags, refSeed, appMask, appSeed);
    }

    @ParameterizedTest
    @MethodSource("targets")
    void insertAndDixGenerateMatchTheReference(Target t) {
        final Record cr = t.record();
        // DIF flags (block size, seed, invert), destination flags, ref seed, app seed, blocks
        final int[][] rows = {{0x00, 0x00, 0, 0, 1}, {0x01, 0x00, 100, 7, 3}, {0x02, 0x10, -2, 65535, 3},
            {0x03, 0x80, 42, 9, 2}, {0x04, 0x90, 1, 2, 4}, {0x09, 0x00, 5, 5, 5}, {0x0E, 0x10, 77, 0, 2},
            {0x0F, 0x80, 3, 3, 2}};
        for (int[] r : rows) {
            final int difFlags = r[0];
            final int dstFlags = r[1];
            final int bs = BLOCK[difFlags & 3];
            final int blocks = r[4];
            final byte[] data = random(bs * blocks, bs + blocks);
            final long src = t.put(data);
            final long dst = t.alloc((long) (bs + 8) * blocks);
            assertEquals(0x01, t.run(generate(t, Opcode.DIF_INSERT, src, dst, data.length, difFlags, dstFlags, r[2],
                0, r[3]), cr), Arrays.toString(r));
            assertArrayEquals(referenceInsert(data, difFlags, dstFlags, r[2], r[3]), t.read(dst, (bs + 8) * blocks));
            assertEquals(0, cr.cr().bytesCompleted());
            final long tuples = t.alloc(8L * blocks + 8);
            assertEquals(0x01, t.run(generate(t, Opcode.DIX_GENERATE, src, tuples, data.length, difFlags, dstFlags,
                r[2], 0, r[3]), cr));
            assertArrayEquals(Arrays.copyOf(referenceDix(data, difFlags, dstFlags, r[2], r[3]), 8 * blocks + 8),
                t.read(tuples, 8 * blocks + 8), "only the tuples, and nothing after them");
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void insertCheckStripRoundTrip(Target t) {
        final Record cr = t.record();
        for (int sizeCode = 0; sizeCode < 4; sizeCode++) {
            final int bs = BLOCK[sizeCode];
            final int difFlags = sizeCode | 0x04 | 0x08;
            final byte[] data = random(bs * 3, 11 * bs);
            final long src = t.put(data);
            final long prot = t.alloc((bs + 8) * 3L);
            final long back = t.alloc(data.length);
            final long size = (bs + 8) * 3L;
            assertEquals(0x01, t.run(generate(t, Opcode.DIF_INSERT, src, prot, data.length, difFlags, 0x10, 1000, 0,
                0x10), cr));
            assertEquals(0x01, t.run(check(t, prot, size, difFlags, 0x10, 1000, 0, 0x10), cr));
            assertEquals(0, cr.cr().result());
            assertEquals(0x01, t.run(verify(t, Opcode.DIF_STRIP, prot, back, size, difFlags, 0x10, 1000, 0, 0x10),
                cr));
            assertArrayEquals(data, t.read(back, data.length), "block size " + bs);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void updateWritesNewOrPassedThroughTuples(Target t) {
        final Record cr = t.record();
        for (int dstFlags : new int[] {0x00, 0x20, 0x08, 0x40, 0x68, 0x90, 0xF8}) {
            final byte[] prot = referenceInsert(random(520 * 4, dstFlags), 0x01, 0x10, 500, 0xAB00);
            final long src = t.put(prot);
            final long dst = t.alloc(prot.length);
            final Descriptor d = verify(t, Opcode.DIF_UPDATE, src, dst, prot.length, 0x01, 0x10, 500, 0, 0xAB00)
                .u8(41, dstFlags).u32(56, 77).u16(60, 0).u16(62, 0x0C00);
            assertEquals(0x01, t.run(d, cr));
            assertArrayEquals(referenceUpdate(prot, 0x01, dstFlags, 77, 0x0C00), t.read(dst, prot.length),
                "destination flags " + dstFlags);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void updateStopsAtABadSourceTuple(Target t) {
        final Record cr = t.record();
        final int bs = 512;
        final byte[] prot = referenceInsert(random(bs * 3, 8), 0, 0, 0, 0);
        prot[(bs + 8) + 100] ^= 1;
        final long src = t.put(prot);
        final long dst = t.alloc(prot.length);
        assertEquals(0x09, t.run(verify(t, Opcode.DIF_UPDATE, src, dst, prot.length, 0, 0, 0, 0, 0).u8(41, 0x80)
            .u32(56, 9), cr));
        assertEquals(0x01, cr.cr().result());
        assertEquals(bs + 8, cr.cr().bytesCompleted());
        final byte[] out = t.read(dst, prot.length);
        assertArrayEquals(Arrays.copyOf(referenceUpdate(prot, 0, 0x80, 9, 0), bs + 8), Arrays.copyOf(out, bs + 8));
        assertArrayEquals(new byte[bs + 8], Arrays.copyOfRange(out, bs + 8, 2 * (bs + 8)), "block 1 not written");
    }

    @ParameterizedTest
    @MethodSource("targets")
    void eachErrorBitStopsAtTheFailingBlock(Target t) {
        final Record cr = t.record();
        // corrupt guard data / app / ref of block 2, source flags, expected result byte
        final int[][] rows = {{1, 0, 0, 0x00, 0x01}, {0, 1, 0, 0x00, 0x02}, {0, 0, 1, 0x00, 0x04},
            {1, 1, 1, 0x00, 0x07}, {1, 0, 1, 0x00, 0x05}, {1, 0, 0, 0x20, 0x00}, {1, 1, 1, 0x60, 0x02}};
        final int bs = 4096;
        final int block2 = 2 * (bs + 8);
        for (int[] r : rows) {
            final byte[] prot = referenceInsert(random(bs * 4, 33), 2, 0, 10, 20);
            prot[block2 + 17] ^= (byte) (r[0] * 0x40);
            prot[block2 + bs + 3] ^= (byte) r[1];
            prot[block2 + bs + 7] ^= (byte) r[2];
            final long src = t.put(prot);
            final int status = t.run(check(t, src, prot.length, 2, r[3], 10, 0, 20), cr);
            assertEquals(r[4] == 0 ? 0x01 : 0x09, status, Arrays.toString(r));
            assertEquals(r[4], cr.cr().result());
            assertEquals(r[4] == 0 ? 0 : block2, cr.cr().bytesCompleted());
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void fDetect(Target t) {
        final Record cr = t.record();
        // block 1's tuple (guard, app, ref), source flags, expected result byte (0 = success)
        final long[][] rows = {{0xFFFF, 0xFFFF, 0xFFFFFFFFL, 0x02, 0x00}, {0xFFFF, 0xFFFF, 0xFFFFFFFFL, 0x03, 0x08},
            {0xFFFF, 0xFFFF, 0xFFFFFFFFL, 0x01, 0x07}, {0xFFFF, 0xFFFF, 0xFFFFFFFFL, 0x00, 0x07},
            {0x1234, 0xFFFF, 0x00000005L, 0x04, 0x00}, {0x1234, 0xFFFF, 0x00000005L, 0x08, 0x07},
            {0x1234, 0xFFFF, 0xFFFFFFFFL, 0x08, 0x00}, {0x1234, 0xFFFE, 0xFFFFFFFFL, 0x0E, 0x07}};
        for (long[] r : rows) {
            final byte[] prot = referenceInsert(random(512 * 3, 44), 0, 0, 0, 0);
            putTuple(prot, 520 + 512, (int) r[0], (int) r[1], (int) r[2]);
            final long src = t.put(prot);
            final int result = (int) r[4];
            final int status = t.run(check(t, src, prot.length, 0, (int) r[3], 0, 0, 0), cr);
            assertEquals(result == 0 ? 0x01 : 0x09, status, Arrays.toString(r));
            assertEquals(result, cr.cr().result());
            assertEquals(result == 0 ? 0 : 520, cr.cr().bytesCompleted());
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void stripWritesOnlyTheBlocksBeforeAnError(Target t) {
        final Record cr = t.record();
        final byte[] prot = referenceInsert(random(512 * 3, 44), 0, 0, 0, 0);
        putTuple(prot, 520 + 512, 0xFFFF, 0xFFFF, -1);
        final long src = t.put(prot);
        final long dst = t.alloc(512 * 3);
        assertEquals(0x09, t.run(verify(t, Opcode.DIF_STRIP, src, dst, prot.length, 0, 0x03, 0, 0, 0), cr));
        assertEquals(0x08, cr.cr().result());
        assertEquals(520, cr.cr().bytesCompleted());
        final byte[] out = t.read(dst, 512 * 3);
        assertArrayEquals(Arrays.copyOf(prot, 512), Arrays.copyOf(out, 512));
        assertArrayEquals(new byte[1024], Arrays.copyOfRange(out, 512, 1536));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void completionTagFieldsHoldTheNextBlocksSeeds(Target t) {
        final Record cr = t.record();
        final int bs = 512;
        final long src = t.put(random(bs * 4, 55));
        final long prot = t.alloc((bs + 8) * 4L);
        final long size = (bs + 8) * 4L;
        assertEquals(0x01, t.run(generate(t, Opcode.DIF_INSERT, src, prot, bs * 4, 0, 0x10, 100, 0x00F0, 7), cr));
        assertEquals(0, cr.cr().u64(16), "bytes 16-23 reserved for insert");
        assertEquals(104, cr.cr().u32(24));
        assertEquals(0x00F0, cr.cr().u16(28));
        assertEquals(11, cr.cr().u16(30));
        assertEquals(0x01, t.run(check(t, prot, size, 0, 0x10, 100, 0x00F0, 7), cr));
        assertEquals(104, cr.cr().u32(16));
        assertEquals(0x00F0, cr.cr().u16(20));
        assertEquals(11, cr.cr().u16(22));
        assertEquals(0, cr.cr().u64(24), "bytes 24-31 unused by check");
        final long out = t.alloc(size);
        assertEquals(0x01, t.run(verify(t, Opcode.DIF_UPDATE, prot, out, size, 0, 0x10, 100, 0x00F0, 7)
            .u8(41, 0x80).u32(56, 9000).u16(60, 0x0F00).u16(62, 3), cr));
        assertEquals(104, cr.cr().u32(16));
        assertEquals(0x00F0, cr.cr().u16(20));
        assertEquals(11, cr.cr().u16(22));
        assertEquals(9000, cr.cr().u32(24), "destination ref fixed");
        assertEquals(0x0F00, cr.cr().u16(28));
        assertEquals(3, cr.cr().u16(30), "destination app fixed");
        final long at = 2 * (bs + 8) + 5;
        t.write(prot + at, new byte[] {(byte) (t.read(prot + at, 1)[0] ^ 0x5A)});
        assertEquals(0x09, t.run(check(t, prot, size, 0, 0x10, 100, 0x00F0, 7), cr));
        assertEquals(2 * (bs + 8), cr.cr().bytesCompleted());
        assertEquals(102, cr.cr().u32(16));
        assertEquals(9, cr.cr().u16(22));
    }

    // ---- partial completion (section 10) at the end of the tenant's reach

    @ParameterizedTest
    @MethodSource("targets")
    void insertRunningOffTheTenantsMemoryCompletesWholeBlocksAndResumes(Target t) {
        final Record cr = t.record();
        final int bs = 512;
        final byte[] data = random(bs * 4, 66);
        final long src = t.endOfReach(1280); // blocks 0 and 1 inside, block 2 crosses the end
        t.write(src, Arrays.copyOf(data, 1280));
        final long dst = t.alloc((bs + 8) * 4L);
        assertEquals(t.faultStatus(), t.run(generate(t, Opcode.DIF_INSERT, src, dst, data.length, 0x04, 0x10, 50, 0,
            60), cr));
        assertEquals(2 * bs, cr.cr().bytesCompleted(), "source bytes in whole blocks");
        assertEquals(src + 1280, cr.cr().faultAddress());
        assertEquals(t.faultBit(false), cr.cr().faultWasWrite());
        assertEquals(52, cr.cr().u32(24));
        assertEquals(62, cr.cr().u16(30));
        final byte[] expected = referenceInsert(data, 0x04, 0x10, 50, 60);
        assertArrayEquals(Arrays.copyOf(expected, 2 * (bs + 8)), t.read(dst, 2 * (bs + 8)));
        final long rest = t.put(Arrays.copyOfRange(data, 2 * bs, 4 * bs));
        assertEquals(0x01, t.run(generate(t, Opcode.DIF_INSERT, rest, dst + 2 * (bs + 8), 2 * bs, 0x04, 0x10,
            cr.cr().u32(24), 0, cr.cr().u16(30)), cr));
        assertArrayEquals(expected, t.read(dst, expected.length));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void checkRunningOffTheTenantsMemoryCompletesWholeBlocks(Target t) {
        final Record cr = t.record();
        final int bs = 4104;
        final byte[] prot = referenceInsert(random(bs * 3, 77), 3, 0, 1, 2);
        final int reachable = 2 * (bs + 8) + 100;
        final long src = t.endOfReach(reachable);
        t.write(src, Arrays.copyOf(prot, reachable));
        assertEquals(t.faultStatus(), t.run(check(t, src, prot.length, 3, 0, 1, 0, 2), cr));
        assertEquals(2 * (bs + 8), cr.cr().bytesCompleted());
        assertEquals(src + reachable, cr.cr().faultAddress());
        assertEquals(3, cr.cr().u32(16), "ref tag of block 2");
        assertEquals(2, cr.cr().u16(22));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void stripWithDestinationRunningOffTheTenantsMemory(Target t) {
        final Record cr = t.record();
        final int bs = 520;
        final byte[] data = random(bs * 3, 88);
        final long src = t.put(referenceInsert(data, 1, 0, 0, 0));
        final long dst = t.endOfReach(700); // block 0 fits, block 1 crosses the end
        assertEquals(t.faultStatus(), t.run(verify(t, Opcode.DIF_STRIP, src, dst, (bs + 8) * 3L, 1, 0, 0, 0, 0), cr));
        assertEquals(bs + 8, cr.cr().bytesCompleted());
        assertEquals(dst + 700, cr.cr().faultAddress());
        assertEquals(t.faultBit(true), cr.cr().faultWasWrite());
        assertEquals(1, cr.cr().u32(16));
        assertArrayEquals(Arrays.copyOf(data, bs), t.read(dst, bs));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void refAndAppTagsAreBigEndianInTheTuple(Target t) {
        final Record cr = t.record();
        final long src = t.put(random(512 * 2, 22));
        final long prot = t.alloc(520 * 2);
        assertEquals(0x01, t.run(generate(t, Opcode.DIF_INSERT, src, prot, 1024, 0, 0x10, 0xCAFE, 0, 0x1234), cr));
        final byte[] p = t.read(prot, 1040);
        assertEquals(0x1234, be16(p, 512 + 2));
        assertEquals(0x1235, be16(p, 1032 + 2));
        assertEquals(0xCAFE, be32(p, 512 + 4));
        assertEquals(0xCAFF, be32(p, 1032 + 4));
    }
}
