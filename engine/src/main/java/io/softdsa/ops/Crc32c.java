package io.softdsa.ops;

/**
 * CRC-32C arithmetic of fact sheet section 8 that {@link java.util.zip.CRC32C} does not offer: seeding (by the
 * zlib-style combine of two CRCs in GF(2)), and the bypass-reflection modes bit by bit from the fact sheet's
 * MSB-first definition.
 */
public final class Crc32c {
    /** Polynomial 0x1EDC6F41, MSB-first. */
    public static final int POLY = 0x1EDC6F41;
    /** The same polynomial bit-reversed, as the reflected (LSB-first) algorithm uses it. */
    public static final int POLY_REFLECTED = 0x82F63B78;

    private static final int[] X2N = new int[32];
    private static final int[] MSB_TABLE = new int[256];

    static {
        int p = 1 << 30; // x^1 in the reflected representation
        X2N[0] = p;
        for (int n = 1; n < 32; n++) {
            X2N[n] = p = multModP(p, p);
        }
        for (int i = 0; i < 256; i++) {
            int c = i << 24;
            for (int k = 0; k < 8; k++) {
                c = (c & 0x8000_0000) != 0 ? (c << 1) ^ POLY : c << 1;
            }
            MSB_TABLE[i] = c;
        }
    }

    private Crc32c() {
    }

    /**
     * The CRC of A||B from crc(A) and crc(B) and B's length: the device's result for seed S over data B is
     * {@code combine(S, crc32c(B), len(B))}.
     */
    public static int combine(int crcA, int crcB, long lengthB) {
        if (lengthB == 0 || crcA == 0) {
            return crcA ^ crcB; // x^n * 0 = 0: a zero seed leaves the CRC as it is
        }
        return combine(crcA, crcB, shiftOperator(lengthB));
    }

    /** {@link #combine} with the length's operator from {@link #shiftOperator} (cacheable per length). */
    public static int combine(int crcA, int crcB, int shift) {
        return multModP(shift, crcA) ^ crcB;
    }

    /** x^(8·length) modulo p(x): the operator that shifts a CRC over {@code length} zero bytes. */
    public static int shiftOperator(long length) {
        return x2nModP(length, 3);
    }

    /** Multiplies a(x) by b(x) modulo p(x), reflected representation (bit 31 = x^0). */
    static int multModP(int a, int b) {
        int m = 1 << 31;
        int p = 0;
        for (;;) {
            if ((a & m) != 0) {
                p ^= b;
                if ((a & (m - 1)) == 0) {
                    break;
                }
            }
            m >>>= 1;
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY_REFLECTED : b >>> 1;
        }
        return p;
    }

    /** x^(n * 2^k) modulo p(x). */
    static int x2nModP(long n, int k) {
        int p = 1 << 31; // x^0
        while (n != 0) {
            if ((n & 1) != 0) {
                p = multModP(X2N[k & 31], p);
            }
            n >>>= 1;
            k++;
        }
        return p;
    }

    /** Initial MSB-first register for the software path (fact sheet section 8). */
    public static int msbInit(int seed, boolean bypassInversion) {
        return bypassInversion ? seed : Integer.reverse(~seed);
    }

    /** One byte into the MSB-first register; {@code reflectData} is true unless bit 18 bypasses data reflection. */
    public static int msbUpdate(int c, int b, boolean reflectData) {
        final int in = reflectData ? Integer.reverse(b & 0xFF) >>> 24 : b & 0xFF;
        return (c << 8) ^ MSB_TABLE[((c >>> 24) ^ in) & 0xFF];
    }

    public static int msbFinish(int c, boolean bypassInversion) {
        return bypassInversion ? c : ~Integer.reverse(c);
    }
}
