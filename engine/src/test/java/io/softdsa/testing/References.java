package io.softdsa.testing;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The independent references of the operation suites, written from the fact sheet and never from the production code:
 * CRC-32C bit by bit (section 8), CRC-16 T10-DIF and DIF tuples assembled byte by byte (section 9), delta records
 * (section 7). One copy, shared by the engine's suites and the mdev test matrix that runs them on every target.
 */
public final class References {
    /** DIF block sizes by DIF flags bits 1:0. */
    private static final int[] DIF_BLOCK = {512, 520, 4096, 4104};

    private References() {
    }

    public static byte[] random(int n, long seed) {
        final byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    // ---- CRC-32C (fact sheet section 8)

    /** CRC-32C with {@code seed} and the bypass-inversion (0x20000) and bypass-reflection (0x40000) flags. */
    public static int referenceCrc(byte[] data, int seed, int flags) {
        final boolean bypassInversion = (flags & 0x20000) != 0;
        final boolean bypassReflection = (flags & 0x40000) != 0;
        int c = seed;
        if (!bypassInversion) {
            c = Integer.reverse(~c);
        }
        for (byte value : data) {
            final int b = value & 0xFF;
            c ^= (bypassReflection ? b : Integer.reverse(b) >>> 24) << 24;
            for (int k = 0; k < 8; k++) {
                c = (c & 0x80000000) != 0 ? (c << 1) ^ 0x1EDC6F41 : c << 1;
            }
        }
        if (!bypassInversion) {
            c = ~Integer.reverse(c);
        }
        return c;
    }

    // ---- DIF (fact sheet section 9)

    /** CRC-16 T10-DIF bit by bit: polynomial 0x8BB7, MSB first, no reflection. */
    public static int crc16(byte[] b, int off, int len, int seed) {
        int c = seed;
        for (int i = off; i < off + len; i++) {
            c ^= (b[i] & 0xFF) << 8;
            for (int k = 0; k < 8; k++) {
                c = (c & 0x8000) != 0 ? (c << 1) ^ 0x8BB7 : c << 1;
            }
            c &= 0xFFFF;
        }
        return c;
    }

    public static int guard(byte[] b, int off, int len, int difFlags) {
        final int c = crc16(b, off, len, (difFlags & 0x04) != 0 ? 0xFFFF : 0);
        return (difFlags & 0x08) != 0 ? c ^ 0xFFFF : c;
    }

    public static void putTuple(byte[] out, int at, int guard, int app, int ref) {
        out[at] = (byte) (guard >>> 8);
        out[at + 1] = (byte) guard;
        out[at + 2] = (byte) (app >>> 8);
        out[at + 3] = (byte) app;
        out[at + 4] = (byte) (ref >>> 24);
        out[at + 5] = (byte) (ref >>> 16);
        out[at + 6] = (byte) (ref >>> 8);
        out[at + 7] = (byte) ref;
    }

    public static int be16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
    }

    public static int be32(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }

    /** Destination-side tags of block k: ref incrementing unless flag 0x80, app fixed unless flag 0x10. */
    public static int refTag(int flags, int seed, int k) {
        return (flags & 0x80) != 0 ? seed : seed + k;
    }

    public static int appTag(int flags, int seed, int k) {
        return ((flags & 0x10) != 0 ? seed + k : seed) & 0xFFFF;
    }

    /** Insert: each block followed by its big-endian tuple. */
    public static byte[] referenceInsert(byte[] data, int difFlags, int dstFlags, int refSeed, int appSeed) {
        final int bs = DIF_BLOCK[difFlags & 3];
        final int blocks = data.length / bs;
        final byte[] out = new byte[blocks * (bs + 8)];
        for (int k = 0; k < blocks; k++) {
            System.arraycopy(data, k * bs, out, k * (bs + 8), bs);
            putTuple(out, k * (bs + 8) + bs, guard(data, k * bs, bs, difFlags), appTag(dstFlags, appSeed, k),
                refTag(dstFlags, refSeed, k));
        }
        return out;
    }

    /** DIX generate: the tuples only, contiguous. */
    public static byte[] referenceDix(byte[] data, int difFlags, int dstFlags, int refSeed, int appSeed) {
        final int bs = DIF_BLOCK[difFlags & 3];
        final int blocks = data.length / bs;
        final byte[] out = new byte[blocks * 8];
        for (int k = 0; k < blocks; k++) {
            putTuple(out, 8 * k, guard(data, k * bs, bs, difFlags), appTag(dstFlags, appSeed, k),
                refTag(dstFlags, refSeed, k));
        }
        return out;
    }

    /** Update of well-formed protected data: new tuples, or the source's fields where passed through. */
    public static byte[] referenceUpdate(byte[] protectedData, int difFlags, int dstFlags, int refSeed, int appSeed) {
        final int bs = DIF_BLOCK[difFlags & 3];
        final byte[] out = protectedData.clone();
        for (int k = 0; k < protectedData.length / (bs + 8); k++) {
            final int t = k * (bs + 8) + bs;
            final int g = (dstFlags & 0x20) != 0 ? be16(protectedData, t) : guard(protectedData, t - bs, bs, difFlags);
            final int a = (dstFlags & 0x08) != 0 ? be16(protectedData, t + 2) : appTag(dstFlags, appSeed, k);
            final int r = (dstFlags & 0x40) != 0 ? be32(protectedData, t + 4) : refTag(dstFlags, refSeed, k);
            putTuple(out, t, g, a, r);
        }
        return out;
    }

    // ---- delta records (fact sheet section 7)

    /** One 10-byte entry (u16 LE index, source 2's 8 bytes) per differing word. */
    public static byte[] referenceDelta(byte[] src1, byte[] src2) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int w = 0; w < src1.length / 8; w++) {
            if (!Arrays.equals(src1, 8 * w, 8 * w + 8, src2, 8 * w, 8 * w + 8)) {
                out.write(w & 0xFF);
                out.write(w >>> 8);
                out.write(src2, 8 * w, 8);
            }
        }
        return out.toByteArray();
    }
}
