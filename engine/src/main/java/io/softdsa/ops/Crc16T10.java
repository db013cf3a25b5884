package io.softdsa.ops;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * CRC-16 T10-DIF, the DIF guard (fact sheet section 9): polynomial 0x8BB7, MSB-first (not reflected), no final xor.
 * The caller chooses the initial value (0, or 0xFFFF with DIF flag bit 2) and any inversion of the result (bit 3).
 * <p>
 * Slicing by 8: eight 256-entry tables, where table {@code k} holds the CRC of a byte followed by {@code k} zero
 * bytes, so one big-endian 8-byte load advances the register by 8 bytes with 8 lookups. Stateless and thread-safe.
 */
public final class Crc16T10 {
    public static final int POLY = 0x8BB7;

    private static final ValueLayout.OfLong BE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final char[][] TABLES = new char[8][256];

    static {
        for (int i = 0; i < 256; i++) {
            int c = i << 8;
            for (int k = 0; k < 8; k++) {
                c = (c & 0x8000) != 0 ? (c << 1) ^ POLY : c << 1;
            }
            TABLES[0][i] = (char) c;
        }
        for (int t = 1; t < 8; t++) {
            for (int i = 0; i < 256; i++) {
                final int prev = TABLES[t - 1][i];
                TABLES[t][i] = (char) ((prev << 8) ^ TABLES[0][prev >>> 8]);
            }
        }
    }

    private Crc16T10() {
    }

    /** Continues the CRC register {@code crc} over {@code length} bytes of {@code m} at {@code offset}. */
    public static int update(int crc, MemorySegment m, long offset, long length) {
        final char[] t0 = TABLES[0];
        final char[] t1 = TABLES[1];
        final char[] t2 = TABLES[2];
        final char[] t3 = TABLES[3];
        final char[] t4 = TABLES[4];
        final char[] t5 = TABLES[5];
        final char[] t6 = TABLES[6];
        final char[] t7 = TABLES[7];
        int c = crc & 0xFFFF;
        long i = 0;
        for (; i + 8 <= length; i += 8) {
            // the register lines up with the first two bytes of the big-endian word
            final long v = m.get(BE_LONG, offset + i) ^ ((long) c << 48);
            c = t7[(int) (v >>> 56)] ^ t6[(int) (v >>> 48) & 0xFF] ^ t5[(int) (v >>> 40) & 0xFF]
                ^ t4[(int) (v >>> 32) & 0xFF] ^ t3[(int) (v >>> 24) & 0xFF] ^ t2[(int) (v >>> 16) & 0xFF]
                ^ t1[(int) (v >>> 8) & 0xFF] ^ t0[(int) v & 0xFF];
        }
        for (; i < length; i++) {
            c = ((c << 8) ^ t0[((c >>> 8) ^ m.get(ValueLayout.JAVA_BYTE, offset + i)) & 0xFF]) & 0xFFFF;
        }
        return c;
    }

    /** The CRC of {@code data} from the initial value {@code seed}. */
    public static int of(byte[] data, int seed) {
        return update(seed, MemorySegment.ofArray(data), 0, data.length);
    }
}
