package io.softdsa.mdev.migration;

import java.util.Arrays;

/** Growable big-endian byte sink of a device-state stream (network order, as QEMU's QEMUFile writes). */
final class StreamOut {
    private byte[] bytes = new byte[256];
    private int length;
    private final long limit;

    StreamOut(long limit) {
        this.limit = limit;
    }

    int length() {
        return length;
    }

    private void ensure(int more) {
        if ((long) length + more > limit) {
            throw new StreamTooLarge(length + (long) more, limit);
        }
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, (int) Math.min(Math.max((long) bytes.length * 2, length + more),
                Integer.MAX_VALUE - 8));
        }
    }

    void u8(int v) {
        ensure(1);
        bytes[length++] = (byte) v;
    }

    void u16(int v) {
        ensure(2);
        bytes[length++] = (byte) (v >>> 8);
        bytes[length++] = (byte) v;
    }

    void u32(int v) {
        ensure(4);
        for (int s = 24; s >= 0; s -= 8) {
            bytes[length++] = (byte) (v >>> s);
        }
    }

    void u64(long v) {
        ensure(8);
        for (int s = 56; s >= 0; s -= 8) {
            bytes[length++] = (byte) (v >>> s);
        }
    }

    void bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, bytes, length, b.length);
        length += b.length;
    }

    /** Overwrites the 4 bytes at {@code at} (a length written after its body). */
    void patchU32(int at, int v) {
        for (int i = 0; i < 4; i++) {
            bytes[at + i] = (byte) (v >>> (24 - 8 * i));
        }
    }

    byte[] copy(int from, int to) {
        return Arrays.copyOfRange(bytes, from, to);
    }

    /** Thrown (unchecked, inside the writer only) when the stream would exceed its bound. */
    static final class StreamTooLarge extends RuntimeException {
        final long wanted;
        final long limit;

        StreamTooLarge(long wanted, long limit) {
            super("device state stream would be " + wanted + " bytes, bound " + limit, null, false, false);
            this.wanted = wanted;
            this.limit = limit;
        }
    }
}
