package io.softdsa.reliability;

/**
 * Plain reference loops for what the device computes, written from the fact sheet (sections 7-9) on byte arrays,
 * one byte at a time, with none of the engine's code or constants: the property tests, the fuzz tests and the stress
 * run compare the device's bytes with these.
 */
public final class Reference {
    /** CRC-32C polynomial, not reflected (fact sheet section 8). */
    private static final int CRC32C_POLY = 0x1EDC6F41;
    /** CRC-16 T10-DIF polynomial (fact sheet section 9). */
    private static final int T10_POLY = 0x8BB7;
    private static final int[] DIF_BLOCK = {512, 520, 4096, 4104};

    private Reference() {
    }

    /** memmove: the result of copying {@code size} bytes from {@code src} to {@code dst} of the same array. */
    public static void memmove(byte[] memory, int src, int dst, int size) {
        final byte[] tmp = new byte[size];
        for (int i = 0; i < size; i++) {
            tmp[i] = memory[src + i];
        }
        for (int i = 0; i < size; i++) {
            memory[dst + i] = tmp[i];
        }
    }

    /** Fill: byte i is pattern byte i mod 8 (or mod 16 with the high half), little-endian pattern words. */
    public static byte[] fill(long low, long high, boolean sixteen, int size) {
        final byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            final int k = sixteen ? i % 16 : i % 8;
            final long word = k < 8 ? low : high;
            out[i] = (byte) (word >>> (8 * (k % 8)));
        }
        return out;
    }

    /**
     * CRC-32C exactly as the fact sheet's pseudocode (section 8), bit by bit.
     *
     * @param bypassInversion      op flag bit 17
     * @param bypassDataReflection op flag bit 18
     */
    public static int crc32c(int seed, byte[] data, int offset, int length, boolean bypassInversion,
                             boolean bypassDataReflection) {
        int c = seed;
        if (!bypassInversion) {
            c = Integer.reverse(~c);
        }
        for (int i = 0; i < length; i++) {
            final int b = data[offset + i] & 0xFF;
            final int in = bypassDataReflection ? b : Integer.reverse(b) >>> 24;
            c ^= in << 24;
            for (int k = 0; k < 8; k++) {
                c = (c & 0x8000_0000) != 0 ? (c << 1) ^ CRC32C_POLY : c << 1;
            }
        }
        if (!bypassInversion) {
            c = ~Integer.reverse(c);
        }
        return c;
    }

    public static int crc32c(int seed, byte[] data) {
        return crc32c(seed, data, 0, data.length, false, false);
    }

    /** CRC-16 T10-DIF, not reflected, bit by bit. */
    public static int crc16T10(int seed, byte[] data, int offset, int length) {
        int c = seed & 0xFFFF;
        for (int i = 0; i < length; i++) {
            c ^= (data[offset + i] & 0xFF) << 8;
            for (int k = 0; k < 8; k++) {
                c = (c & 0x8000) != 0 ? ((c << 1) ^ T10_POLY) & 0xFFFF : (c << 1) & 0xFFFF;
            }
        }
        return c;
    }

    /** The DIF block size for bits 1:0 of the DIF flags byte. */
    public static int difBlockSize(int difFlags) {
        return DIF_BLOCK[difFlags & 3];
    }

    /** The guard of one block under the DIF flags byte (seed 0xFFFF with bit 2, inverted with bit 3). */
    public static int difGuard(int difFlags, byte[] data, int offset, int blockSize) {
        final int seed = (difFlags & 0x04) != 0 ? 0xFFFF : 0;
        final int crc = crc16T10(seed, data, offset, blockSize);
        return (difFlags & 0x08) != 0 ? crc ^ 0xFFFF : crc;
    }

    /** Writes an 8-byte big-endian DIF tuple. */
    public static void tuple(byte[] out, int at, int guard, int app, int ref) {
        out[at] = (byte) (guard >>> 8);
        out[at + 1] = (byte) guard;
        out[at + 2] = (byte) (app >>> 8);
        out[at + 3] = (byte) app;
        out[at + 4] = (byte) (ref >>> 24);
        out[at + 5] = (byte) (ref >>> 16);
        out[at + 6] = (byte) (ref >>> 8);
        out[at + 7] = (byte) ref;
    }

    /**
     * DIF insert (0x13): each block followed by its tuple. Ref tag = seed + k unless fixed (destination flags bit 7);
     * app tag = seed + k if incrementing (bit 4), else the seed.
     */
    public static byte[] difInsert(byte[] src, int difFlags, int destinationFlags, int refSeed, int appSeed) {
        final int bs = difBlockSize(difFlags);
        final int blocks = src.length / bs;
        final byte[] out = new byte[blocks * (bs + 8)];
        for (int k = 0; k < blocks; k++) {
            System.arraycopy(src, k * bs, out, k * (bs + 8), bs);
            final int ref = (destinationFlags & 0x80) != 0 ? refSeed : refSeed + k;
            final int app = (destinationFlags & 0x10) != 0 ? appSeed + k : appSeed;
            tuple(out, k * (bs + 8) + bs, difGuard(difFlags, src, k * bs, bs), app & 0xFFFF, ref);
        }
        return out;
    }

    /** DIX generate (0x17): only the tuples, 8 bytes per block, contiguously. */
    public static byte[] dixGenerate(byte[] src, int difFlags, int destinationFlags, int refSeed, int appSeed) {
        final int bs = difBlockSize(difFlags);
        final byte[] inserted = difInsert(src, difFlags, destinationFlags, refSeed, appSeed);
        final byte[] out = new byte[src.length / bs * 8];
        for (int k = 0; k < out.length / 8; k++) {
            System.arraycopy(inserted, k * (bs + 8) + bs, out, 8 * k, 8);
        }
        return out;
    }

    /** DIF strip (0x14) of well-formed input: the blocks without their tuples. */
    public static byte[] difStrip(byte[] protectedData, int difFlags) {
        final int bs = difBlockSize(difFlags);
        final int blocks = protectedData.length / (bs + 8);
        final byte[] out = new byte[blocks * bs];
        for (int k = 0; k < blocks; k++) {
            System.arraycopy(protectedData, k * (bs + 8), out, k * bs, bs);
        }
        return out;
    }

    /** Compare (0x05): -1 when equal, else the offset of the first differing byte. */
    public static int firstDifference(byte[] a, byte[] b, int size) {
        for (int i = 0; i < size; i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
        return -1;
    }

    /** Compare pattern (0x06): -1 when every byte i equals pattern byte i mod 8, else the first differing offset. */
    public static int firstPatternDifference(byte[] a, long pattern, int size) {
        for (int i = 0; i < size; i++) {
            if (a[i] != (byte) (pattern >>> (8 * (i % 8)))) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Create delta record (0x07): for each differing 8-byte word i, a 10-byte entry (u16 index little-endian, then the
     * 8 bytes of source 2's word), as many whole entries as fit in {@code maxSize}.
     */
    public static byte[] createDelta(byte[] src1, byte[] src2, int size, int maxSize) {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int w = 0; w < size / 8; w++) {
            boolean differs = false;
            for (int i = 0; i < 8; i++) {
                differs |= src1[8 * w + i] != src2[8 * w + i];
            }
            if (differs) {
                if (out.size() + 10 > maxSize) {
                    break;
                }
                out.write(w & 0xFF);
                out.write(w >>> 8 & 0xFF);
                out.write(src2, 8 * w, 8);
            }
        }
        return out.toByteArray();
    }

    /** Whether {@link #createDelta} had to stop early (the device's result 2). */
    public static boolean deltaOverflows(byte[] src1, byte[] src2, int size, int maxSize) {
        int entries = 0;
        for (int w = 0; w < size / 8; w++) {
            for (int i = 0; i < 8; i++) {
                if (src1[8 * w + i] != src2[8 * w + i]) {
                    entries++;
                    break;
                }
            }
        }
        return entries * 10 > maxSize;
    }

    /** Apply delta record (0x08) of a well-formed record onto {@code dst}. */
    public static void applyDelta(byte[] delta, byte[] dst) {
        for (int e = 0; e + 10 <= delta.length; e += 10) {
            final int w = (delta[e] & 0xFF) | (delta[e + 1] & 0xFF) << 8;
            System.arraycopy(delta, e + 2, dst, 8 * w, 8);
        }
    }
}
