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
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.softdsa.testing.Fixture.bytes;
import static io.softdsa.testing.References.be16;
import static io.softdsa.testing.References.be32;
import static io.softdsa.testing.References.crc16;
import static io.softdsa.testing.References.putTuple;
import static io.softdsa.testing.References.random;
import static io.softdsa.testing.References.referenceDix;
import static io.softdsa.testing.References.referenceInsert;
import static io.softdsa.testing.References.referenceUpdate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * DIF check, insert, strip, update and DIX generate (fact sheet section 9) against a plain reference written here
 * (bitwise CRC-16, tuples assembled byte by byte) and the CRC-16 check values of section 17. Descriptor offsets,
 * flag bits and status codes are the fact sheet's literals.
 */
class DifTest extends SharedWqTestBase {
    private static final int[] BLOCK = {512, 520, 4096, 4104};


    // ---- the independent reference: io.softdsa.testing.References (crc16, guard, tuples, insert, DIX, update)

    // ---- descriptors (fact sheet section 1 offsets)

    private HostBuffer put(byte[] data) {
        final HostBuffer b = f.buffer(Math.max(1, data.length));
        MemorySegment.copy(MemorySegment.ofArray(data), 0, b.segment(), 0, data.length);
        return b;
    }

    /** Insert (0x13) or DIX generate (0x17): 41 destination flags, 42 DIF flags, 56/60/62 destination tags. */
    private Descriptor generate(int opcode, long src, long dst, long size, int difFlags, int dstFlags, int refSeed,
                                int appMask, int appSeed) {
        return f.client.descriptor().opcode(opcode).source(src).destination(dst).transferSize(size)
            .u8(41, dstFlags).u8(42, difFlags).u32(56, refSeed).u16(60, appMask).u16(62, appSeed);
    }

    /** Check (0x12) or strip (0x14): 40 source flags, 42 DIF flags, 48/52/54 source tags. */
    private Descriptor verify(int opcode, long src, long dst, long size, int difFlags, int srcFlags, int refSeed,
                              int appMask, int appSeed) {
        return f.client.descriptor().opcode(opcode).source(src).destination(dst).transferSize(size)
            .u8(40, srcFlags).u8(42, difFlags).u32(48, refSeed).u16(52, appMask).u16(54, appSeed);
    }

    private Descriptor check(long src, long size, int difFlags, int srcFlags, int refSeed, int appMask, int appSeed) {
        return verify(Opcode.DIF_CHECK, src, 0, size, difFlags, srcFlags, refSeed, appMask, appSeed);
    }

    // ---- CRC-16 T10-DIF

    @Test
    void crc16CheckValuesOfTheFactSheet() {
        final byte[] digits = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0xD0DB, Crc16T10.of(digits, 0));
        assertEquals(0x8E3C, Crc16T10.of(digits, 0xFFFF));
        assertEquals(0x2F24, Crc16T10.of(digits, 0) ^ 0xFFFF);
        assertEquals(0x0000, Crc16T10.of(new byte[512], 0));
        assertEquals(0xD0DB, crc16(digits, 0, 9, 0), "the test's own reference agrees");
    }

    @Test
    void crc16MatchesBitwiseReferenceAtEveryLengthAndChains() {
        final byte[] data = random(300, 3);
        final MemorySegment s = MemorySegment.ofArray(data);
        for (int off = 0; off < 9; off++) {
            for (int len = 0; off + len <= data.length; len += 7) {
                for (int seed : new int[] {0, 0xFFFF, 0x1234}) {
                    assertEquals(crc16(data, off, len, seed), Crc16T10.update(seed, s, off, len),
                        "off " + off + " len " + len);
                }
            }
        }
        final int split = Crc16T10.update(Crc16T10.update(0xFFFF, s, 0, 123), s, 123, 177);
        assertEquals(crc16(data, 0, 300, 0xFFFF), split);
    }

    @ParameterizedTest
    @CsvSource({"00, 0000", "08, FFFF"})
    void insertOfZeroBlockGivesTheZeroCheckValue(String difFlags, String expected) {
        final HostBuffer src = f.buffer(512);
        final HostBuffer dst = f.buffer(520);
        assertEquals(0x01, f.run(generate(Opcode.DIF_INSERT, src.address(), dst.address(), 512,
            Integer.parseInt(difFlags, 16), 0, 0, 0, 0), cr));
        final byte[] out = bytes(dst.segment());
        assertEquals(Integer.parseInt(expected, 16), be16(out, 512), "guard of 512 zero bytes");
    }

    /** With seed 0, leading zeros leave the CRC at 0, so 503 zeros then "123456789" give the digits' check value. */
    @ParameterizedTest
    @CsvSource({"00, D0DB", "08, 2F24"})
    void insertGuardReproducesTheDigitsCheckValue(String difFlags, String expected) {
        final byte[] block = new byte[512];
        System.arraycopy("123456789".getBytes(StandardCharsets.US_ASCII), 0, block, 503, 9);
        final HostBuffer src = put(block);
        final HostBuffer dst = f.buffer(520);
        assertEquals(0x01, f.run(generate(Opcode.DIF_INSERT, src.address(), dst.address(), 512,
            Integer.parseInt(difFlags, 16), 0, 0, 0, 0), cr));
        assertEquals(Integer.parseInt(expected, 16), be16(bytes(dst.segment()), 512));
    }

    // ---- insert, DIX generate, round trips

    @ParameterizedTest
    @CsvSource({
        // DIF flags (block size, seed, invert), destination flags, ref seed, app seed, blocks
        "00, 00, 0, 0, 1",
        "01, 00, 100, 7, 3",
        "02, 10, -2, 65535, 3",   // app incrementing wraps; ref wraps past 0xFFFFFFFF
        "03, 80, 42, 9, 2",       // ref fixed
        "04, 90, 1, 2, 4",        // seed 0xFFFF, ref fixed, app incrementing
        "09, 00, 5, 5, 5",        // 520, inverted
        "0E, 10, 77, 0, 2",       // 4096, seed 0xFFFF, inverted
        "0F, 80, 3, 3, 2"})
    void insertAndDixGenerateMatchTheReference(String difHex, String dstHex, int refSeed, int appSeed, int blocks) {
        final int difFlags = Integer.parseInt(difHex, 16);
        final int dstFlags = Integer.parseInt(dstHex, 16);
        final int bs = BLOCK[difFlags & 3];
        final byte[] data = random(bs * blocks, bs + blocks);
        final HostBuffer src = put(data);
        final HostBuffer dst = f.buffer((bs + 8) * blocks);
        assertEquals(0x01, f.run(generate(Opcode.DIF_INSERT, src.address(), dst.address(), data.length, difFlags,
            dstFlags, refSeed, 0, appSeed), cr));
        assertArrayEquals(referenceInsert(data, difFlags, dstFlags, refSeed, appSeed), bytes(dst.segment()));
        assertEquals(0, cr.bytesCompleted());

        final HostBuffer tuples = f.buffer(8L * blocks + 8);
        assertEquals(0x01, f.run(generate(Opcode.DIX_GENERATE, src.address(), tuples.address(), data.length,
            difFlags, dstFlags, refSeed, 0, appSeed), cr));
        final byte[] expected = Arrays.copyOf(referenceDix(data, difFlags, dstFlags, refSeed, appSeed), 8 * blocks + 8);
        assertArrayEquals(expected, bytes(tuples.segment()), "only the tuples, and nothing after them");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void insertCheckStripRoundTrip(int sizeCode) {
        final int bs = BLOCK[sizeCode];
        final int blocks = 3;
        final int difFlags = sizeCode | 0x04 | 0x08;
        final byte[] data = random(bs * blocks, 11 * bs);
        final HostBuffer src = put(data);
        final HostBuffer prot = f.buffer((bs + 8) * blocks);
        final HostBuffer back = f.buffer(data.length);
        // destination: ref incrementing from 1000, app incrementing from 0x10
        assertEquals(0x01, f.run(generate(Opcode.DIF_INSERT, src.address(), prot.address(), data.length, difFlags,
            0x10, 1000, 0, 0x10), cr));
        final long size = (long) (bs + 8) * blocks;
        assertEquals(0x01, f.run(check(prot.address(), size, difFlags, 0x10, 1000, 0, 0x10), cr));
        assertEquals(0, cr.result());
        assertEquals(0x01, f.run(verify(Opcode.DIF_STRIP, prot.address(), back.address(), size, difFlags, 0x10,
            1000, 0, 0x10), cr));
        assertArrayEquals(data, bytes(back.segment()));
    }

    // ---- update

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x20, 0x08, 0x40, 0x68, 0x90, 0xF8})
    void updateWritesNewOrPassedThroughTuples(int dstFlags) {
        final int difFlags = 0x01;
        final int bs = 520;
        final byte[] data = random(bs * 4, dstFlags);
        final byte[] prot = referenceInsert(data, difFlags, 0x10, 500, 0xAB00);
        final HostBuffer src = put(prot);
        final HostBuffer dst = f.buffer(prot.length);
        final Descriptor d = verify(Opcode.DIF_UPDATE, src.address(), dst.address(), prot.length, difFlags, 0x10,
            500, 0, 0xAB00).u8(41, dstFlags).u32(56, 77).u16(60, 0).u16(62, 0x0C00);
        assertEquals(0x01, f.run(d, cr));
        assertArrayEquals(referenceUpdate(prot, difFlags, dstFlags, 77, 0x0C00), bytes(dst.segment()));
    }

    @Test
    void updateStopsAtABadSourceTuple() {
        final int bs = 512;
        final byte[] prot = referenceInsert(random(bs * 3, 8), 0, 0, 0, 0);
        prot[(bs + 8) + 100] ^= 1; // block 1's data
        final HostBuffer src = put(prot);
        final HostBuffer dst = f.buffer(prot.length);
        final Descriptor d = verify(Opcode.DIF_UPDATE, src.address(), dst.address(), prot.length, 0, 0, 0, 0, 0)
            .u8(41, 0x80).u32(56, 9);
        assertEquals(0x09, f.run(d, cr));
        assertEquals(0x01, cr.result());
        assertEquals(bs + 8, cr.bytesCompleted());
        final byte[] out = bytes(dst.segment());
        assertArrayEquals(Arrays.copyOf(referenceUpdate(prot, 0, 0x80, 9, 0), bs + 8), Arrays.copyOf(out, bs + 8));
        assertArrayEquals(new byte[bs + 8], Arrays.copyOfRange(out, bs + 8, 2 * (bs + 8)), "block 1 not written");
    }

    // ---- tags

    @Test
    void refTagIncrementingAndFixed() {
        final int bs = 512;
        final byte[] data = random(bs * 3, 21);
        final HostBuffer src = put(data);
        final HostBuffer fixed = f.buffer((bs + 8) * 3);
        final HostBuffer incrementing = f.buffer((bs + 8) * 3);
        final long size = (bs + 8) * 3L;
        assertEquals(0x01, f.run(generate(Opcode.DIF_INSERT, src.address(), fixed.address(), data.length, 0, 0x80,
            0xCAFE, 0, 0), cr));
        assertEquals(0x01, f.run(generate(Opcode.DIF_INSERT, src.address(), incrementing.address(), data.length, 0,
            0x00, 0xCAFE, 0, 0), cr));
        final byte[] fx = bytes(fixed.segment());
        final byte[] inc = bytes(incrementing.segment());
        for (int k = 0; k < 3; k++) {
            assertEquals(0xCAFE, be32(fx, k * (bs + 8) + bs + 4));
            assertEquals(0xCAFE + k, be32(inc, k * (bs + 8) + bs + 4));
        }
        assertEquals(0x01, f.run(check(fixed.address(), size, 0, 0x80, 0xCAFE, 0, 0), cr), "fixed checked as fixed");
        assertEquals(0x01, f.run(check(incrementing.address(), size, 0, 0, 0xCAFE, 0, 0), cr));
        assertEquals(0x09, f.run(check(fixed.address(), size, 0, 0, 0xCAFE, 0, 0), cr), "fixed checked as incrementing");
        assertEquals(0x04, cr.result());
        assertEquals(bs + 8, cr.bytesCompleted(), "block 0 matches, block 1 does not");
        assertEquals(0x01, f.run(check(fixed.address(), size, 0, 0x80 | 0x40, 0x1, 0, 0), cr),
            "ref check disabled");
    }

    @Test
    void appTagIncrementingAndMask() {
        final int bs = 512;
        final byte[] data = random(bs * 2, 22);
        final HostBuffer src = put(data);
        final HostBuffer prot = f.buffer((bs + 8) * 2);
        final long size = (bs + 8) * 2L;
        assertEquals(0x01, f.run(generate(Opcode.DIF_INSERT, src.address(), prot.address(), data.length, 0, 0x10,
            0, 0, 0x1234), cr));
        final byte[] p = bytes(prot.segment());
        assertEquals(0x1234, be16(p, bs + 2));
        assertEquals(0x1235, be16(p, 2 * bs + 8 + 2));
        assertEquals(0x01, f.run(check(prot.address(), size, 0, 0x10, 0, 0, 0x1234), cr));
        assertEquals(0x09, f.run(check(prot.address(), size, 0, 0x00, 0, 0, 0x1234), cr), "checked as fixed");
        assertEquals(0x02, cr.result());
        assertEquals(bs + 8, cr.bytesCompleted());
        assertEquals(0x01, f.run(check(prot.address(), size, 0, 0x00, 0, 0x0001, 0x1234), cr),
            "0x1234 vs 0x1235 differ only in bit 0, which the mask excludes");
        assertEquals(0x01, f.run(check(prot.address(), size, 0, 0x10, 0, 0x00FF, 0x12EE), cr),
            "low byte masked");
        assertEquals(0x09, f.run(check(prot.address(), size, 0, 0x10, 0, 0x000F, 0x12EE), cr));
        assertEquals(0x02, cr.result());
        assertEquals(0, cr.bytesCompleted());
        assertEquals(0x01, f.run(check(prot.address(), size, 0, 0x10, 0, 0xFFFF, 0x9999), cr),
            "mask 0xFFFF disables the app-tag check");
    }

    // ---- error bits and F detect

    @ParameterizedTest
    @CsvSource({
        // what to corrupt in block 2 (guard data / app / ref), source flags, expected result byte
        "true, false, false, 00, 01",
        "false, true, false, 00, 02",
        "false, false, true, 00, 04",
        "true, true, true, 00, 07",
        "true, false, true, 00, 05",
        "true, false, false, 20, 00",  // guard check disabled
        "true, true, true, 60, 02"})   // guard and ref checks disabled
    void eachErrorBitStopsAtTheFailingBlock(boolean data, boolean app, boolean ref, String srcHex, String expected) {
        final int bs = 4096;
        final byte[] prot = referenceInsert(random(bs * 4, 33), 2, 0, 10, 20);
        final int block2 = 2 * (bs + 8);
        if (data) {
            prot[block2 + 17] ^= 0x40;
        }
        if (app) {
            prot[block2 + bs + 3] ^= 0x01;
        }
        if (ref) {
            prot[block2 + bs + 7] ^= 0x01;
        }
        final HostBuffer src = put(prot);
        final int result = Integer.parseInt(expected, 16);
        final int status = f.run(check(src.address(), prot.length, 2, Integer.parseInt(srcHex, 16), 10, 0, 20), cr);
        assertEquals(result == 0 ? 0x01 : 0x09, status);
        assertEquals(result, cr.result());
        assertEquals(result == 0 ? 0 : block2, cr.bytesCompleted());
    }

    private byte[] protectedWithTupleOfBlock1(int guard, int app, int ref) {
        final byte[] prot = referenceInsert(random(512 * 3, 44), 0, 0, 0, 0);
        putTuple(prot, 520 + 512, guard, app, ref);
        return prot;
    }

    @ParameterizedTest
    @CsvSource({
        // block 1's tuple (guard, app, ref), source flags, expected result byte (0 = success)
        "FFFF, FFFF, FFFFFFFF, 02, 00",  // all-F detect: block skipped
        "FFFF, FFFF, FFFFFFFF, 03, 08",  // all-F detect with its error bit
        "FFFF, FFFF, FFFFFFFF, 01, 07",  // error bit without detect: ordinary checks fail
        "FFFF, FFFF, FFFFFFFF, 00, 07",  // no F detect at all
        "1234, FFFF, 00000005, 04, 00",  // app-tag F detect skips even a bad guard and ref
        "1234, FFFF, 00000005, 08, 07",  // app-and-ref F detect needs ref 0xFFFFFFFF too
        "1234, FFFF, FFFFFFFF, 08, 00",
        "1234, FFFE, FFFFFFFF, 0E, 07"}) // app 0xFFFE: no F condition holds
    void fDetect(String g, String a, String r, String srcHex, String expected) {
        final byte[] prot = protectedWithTupleOfBlock1(Integer.parseInt(g, 16), Integer.parseInt(a, 16),
            (int) Long.parseLong(r, 16));
        final HostBuffer src = put(prot);
        final int result = Integer.parseInt(expected, 16);
        final int status = f.run(check(src.address(), prot.length, 0, Integer.parseInt(srcHex, 16), 0, 0, 0), cr);
        assertEquals(result == 0 ? 0x01 : 0x09, status);
        assertEquals(result, cr.result());
        assertEquals(result == 0 ? 0 : 520, cr.bytesCompleted());
    }

    @Test
    void stripWritesOnlyTheBlocksBeforeAnError() {
        final byte[] prot = protectedWithTupleOfBlock1(0xFFFF, 0xFFFF, -1);
        final HostBuffer src = put(prot);
        final HostBuffer dst = f.buffer(512 * 3);
        assertEquals(0x09, f.run(verify(Opcode.DIF_STRIP, src.address(), dst.address(), prot.length, 0, 0x03, 0, 0,
            0), cr));
        assertEquals(0x08, cr.result());
        assertEquals(520, cr.bytesCompleted());
        final byte[] out = bytes(dst.segment());
        assertArrayEquals(Arrays.copyOf(prot, 512), Arrays.copyOf(out, 512));
        assertArrayEquals(new byte[1024], Arrays.copyOfRange(out, 512, 1536));
    }

    // ---- completion tag fields (section 4)

    @Test
    void completionTagFieldsHoldTheNextBlocksSeeds() {
        final int bs = 512;
        final byte[] data = random(bs * 4, 55);
        final HostBuffer src = put(data);
        final HostBuffer prot = f.buffer((bs + 8) * 4);
        assertEquals(0x01, f.run(generate(Opcode.DIF_INSERT, src.address(), prot.address(), data.length, 0, 0x10,
            100, 0x00F0, 7), cr));
        assertEquals(0, cr.u64(16), "bytes 16-23 reserved for insert");
        assertEquals(104, cr.u32(24));
        assertEquals(0x00F0, cr.u16(28));
        assertEquals(11, cr.u16(30));

        assertEquals(0x01, f.run(check(prot.address(), (bs + 8) * 4L, 0, 0x10, 100, 0x00F0, 7), cr));
        assertEquals(104, cr.u32(16));
        assertEquals(0x00F0, cr.u16(20));
        assertEquals(11, cr.u16(22));
        assertEquals(0, cr.u64(24), "bytes 24-31 unused by check");

        final HostBuffer out = f.buffer((bs + 8) * 4);
        final Descriptor update = verify(Opcode.DIF_UPDATE, prot.address(), out.address(), (bs + 8) * 4L, 0, 0x10,
            100, 0x00F0, 7).u8(41, 0x80).u32(56, 9000).u16(60, 0x0F00).u16(62, 3);
        assertEquals(0x01, f.run(update, cr));
        assertEquals(104, cr.u32(16));
        assertEquals(0x00F0, cr.u16(20));
        assertEquals(11, cr.u16(22));
        assertEquals(9000, cr.u32(24), "destination ref fixed");
        assertEquals(0x0F00, cr.u16(28));
        assertEquals(3, cr.u16(30), "destination app fixed");

        // an error at block 2: the fields hold block 2's tags, the seeds to resume there
        final long at = 2 * (bs + 8) + 5;
        prot.segment().set(ValueLayout.JAVA_BYTE, at, (byte) (prot.segment().get(ValueLayout.JAVA_BYTE, at) ^ 0x5A));
        assertEquals(0x09, f.run(check(prot.address(), (bs + 8) * 4L, 0, 0x10, 100, 0x00F0, 7), cr));
        assertEquals(2 * (bs + 8), cr.bytesCompleted());
        assertEquals(102, cr.u32(16));
        assertEquals(9, cr.u16(22));
    }

    // ---- validation (section 6 steps 7 and 9)

    @Test
    void sizeMustBeAMultipleOfTheBlockOrBlockPlusTuple() {
        final HostBuffer a = f.buffer(1 << 16);
        final HostBuffer b = f.buffer(1 << 16);
        final long s = a.address();
        final long d = b.address();
        assertEquals(0x13, f.run(generate(Opcode.DIF_INSERT, s, d, 0, 0, 0, 0, 0, 0), cr), "0");
        assertEquals(0x13, f.run(generate(Opcode.DIF_INSERT, s, d, 520, 0, 0, 0, 0, 0), cr), "520 for 512 blocks");
        assertEquals(0x13, f.run(generate(Opcode.DIF_INSERT, s, d, 4096, 3, 0, 0, 0, 0), cr), "4096 for 4104");
        assertEquals(0x13, f.run(generate(Opcode.DIX_GENERATE, s, d, 100, 0, 0, 0, 0, 0), cr));
        assertEquals(0x13, f.run(check(s, 512, 0, 0, 0, 0, 0), cr), "check takes block + 8");
        assertEquals(0x13, f.run(check(s, 1024, 0, 0, 0, 0, 0), cr));
        assertEquals(0x13, f.run(verify(Opcode.DIF_STRIP, s, d, 4096, 2, 0, 0, 0, 0), cr));
        assertEquals(0x13, f.run(verify(Opcode.DIF_UPDATE, s, d, 528, 0, 0, 0, 0, 0), cr));
        assertEquals(0x13, f.run(check(s, 528L * 4_067_204, 1, 0, 0, 0, 0), cr), "a multiple of 528 above 2^31");
        assertEquals(0x09, f.run(check(s, 528, 1, 0, 0, 0, 0).u32(48, 1), cr), "528 is one 520-byte block");
    }

    @Test
    void insertStripAndUpdateRejectOverlap() {
        final HostBuffer a = f.buffer(1 << 16);
        final long s = a.address();
        // insert: source 1024 bytes, destination 1040: [s + 1024, ...) is adjacent, [s + 1023, ...) overlaps
        assertEquals(0x16, f.run(generate(Opcode.DIF_INSERT, s, s + 1016, 1024, 0, 0, 0, 0, 0), cr));
        assertEquals(0x16, f.run(generate(Opcode.DIF_INSERT, s + 1032, s, 1024, 0, 0, 0, 0, 0), cr),
            "source inside the destination's 1040 bytes");
        assertEquals(0x01, f.run(generate(Opcode.DIF_INSERT, s + 1040, s, 1024, 0, 0, 0, 0, 0), cr));
        assertEquals(0x01, f.run(generate(Opcode.DIF_INSERT, s, s + 1024, 1024, 0, 0, 0, 0, 0), cr));
        // strip: source 1040, destination 1024
        assertEquals(0x16, f.run(verify(Opcode.DIF_STRIP, s + 4096, s + 4096 - 1016, 1040, 0, 0, 0, 0, 0), cr));
        assertEquals(0x16, f.run(verify(Opcode.DIF_STRIP, s + 4096, s + 4096 + 1032, 1040, 0, 0, 0, 0, 0), cr));
        // update: both 1040
        assertEquals(0x16, f.run(verify(Opcode.DIF_UPDATE, s, s + 1032, 1040, 0, 0, 0, 0, 0), cr));
        assertEquals(0x16, f.run(verify(Opcode.DIF_UPDATE, s + 8, s, 1040, 0, 0, 0, 0, 0), cr));
        // size (step 7) is decided before overlap (step 9)
        assertEquals(0x13, f.run(verify(Opcode.DIF_UPDATE, s, s, 1000, 0, 0, 0, 0, 0), cr));
    }

    // ---- partial completion (section 10)

    @Test
    void insertRunningOffHostMemoryCompletesWholeBlocksAndResumes() {
        final int bs = 512;
        final byte[] data = random(bs * 4, 66);
        final long end = f.memory.size();
        final long src = end - 1280; // blocks 0 and 1 inside, block 2 crosses the end of memory
        MemorySegment.copy(MemorySegment.ofArray(data), 0, f.mem(), src, 1280);
        final HostBuffer dst = f.buffer((bs + 8) * 4);
        assertEquals(0x22, f.run(generate(Opcode.DIF_INSERT, src, dst.address(), data.length, 0x04, 0x10, 50, 0,
            60), cr));
        assertEquals(2 * bs, cr.bytesCompleted(), "source bytes in whole blocks");
        assertEquals(end, cr.faultAddress());
        assertEquals(52, cr.u32(24));
        assertEquals(62, cr.u16(30));
        final byte[] expected = referenceInsert(data, 0x04, 0x10, 50, 60);
        assertArrayEquals(Arrays.copyOf(expected, 2 * (bs + 8)), bytes(dst.segment().asSlice(0, 2 * (bs + 8))));

        // resume from a readable copy: source += n, destination += matching output, seeds from the record
        final HostBuffer rest = put(Arrays.copyOfRange(data, 2 * bs, 4 * bs));
        final int ref = cr.u32(24);
        final int app = cr.u16(30);
        assertEquals(0x01, f.run(generate(Opcode.DIF_INSERT, rest.address(), dst.address() + 2 * (bs + 8), 2 * bs,
            0x04, 0x10, ref, 0, app), cr));
        assertArrayEquals(expected, bytes(dst.segment()));
    }

    @Test
    void checkRunningOffHostMemoryCompletesWholeBlocks() {
        final int bs = 4104;
        final byte[] prot = referenceInsert(random(bs * 3, 77), 3, 0, 1, 2);
        final long end = f.memory.size();
        final long src = end - 2 * (bs + 8) - 100;
        MemorySegment.copy(MemorySegment.ofArray(prot), 0, f.mem(), src, 2 * (bs + 8) + 100);
        assertEquals(0x22, f.run(check(src, prot.length, 3, 0, 1, 0, 2), cr));
        assertEquals(2 * (bs + 8), cr.bytesCompleted());
        assertEquals(end, cr.faultAddress());
        assertEquals(3, cr.u32(16), "ref tag of block 2");
        assertEquals(2, cr.u16(22));
    }

    @Test
    void stripWithDestinationRunningOffHostMemory() {
        final int bs = 520;
        final byte[] data = random(bs * 3, 88);
        final byte[] prot = referenceInsert(data, 1, 0, 0, 0);
        final HostBuffer src = put(prot);
        final long end = f.memory.size();
        final long dst = end - 700; // block 0 fits, block 1 crosses the end
        assertEquals(0x22, f.run(verify(Opcode.DIF_STRIP, src.address(), dst, prot.length, 1, 0, 0, 0, 0), cr));
        assertEquals(bs + 8, cr.bytesCompleted());
        assertEquals(end, cr.faultAddress());
        assertEquals(1, cr.u32(16));
        assertArrayEquals(Arrays.copyOf(data, bs), bytes(f.mem().asSlice(dst, bs)));
    }
}
