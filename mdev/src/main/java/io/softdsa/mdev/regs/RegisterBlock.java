package io.softdsa.mdev.regs;

import java.util.Arrays;

/**
 * A block of device registers with per-bit access semantics, as a device model decodes them: every byte has a value,
 * a reset value, a read-write mask and a write-1-to-clear mask; a bit in neither mask is read-only. Software accesses
 * ({@link #write}) go through the masks; the device side ({@link #set}, {@link #setBits}) writes raw.
 * <p>
 * Accesses are little-endian, 1 to 8 bytes wide, at any offset; bytes outside the block read 0 and ignore writes.
 * Not thread-safe: the owner (config space, BAR0) serialises accesses.
 */
public final class RegisterBlock {
    private final byte[] value;
    private final byte[] resetValue;
    private final byte[] rw;
    private final byte[] w1c;

    public RegisterBlock(int size) {
        this.value = new byte[size];
        this.resetValue = new byte[size];
        this.rw = new byte[size];
        this.w1c = new byte[size];
    }

    public int size() {
        return value.length;
    }

    /**
     * Declares a register (or a field group) of {@code width} bytes at {@code offset}: its reset value and which bits
     * software may write ({@code rwMask}) or clear by writing 1 ({@code w1cMask}); the rest is read-only. Also loads
     * the reset value. A bit is one of read-write, write-1-to-clear or read-only: masks that share a bit are refused.
     */
    public RegisterBlock define(int offset, int width, long reset, long rwMask, long w1cMask) {
        if ((rwMask & w1cMask) != 0) {
            throw new IllegalArgumentException("register at 0x" + Integer.toHexString(offset) + ": RW mask 0x"
                + Long.toHexString(rwMask) + " and W1C mask 0x" + Long.toHexString(w1cMask) + " share bits");
        }
        for (int i = 0; i < width; i++) {
            final int b = offset + i;
            resetValue[b] = (byte) (reset >>> (8 * i));
            value[b] = resetValue[b];
            rw[b] = (byte) (rwMask >>> (8 * i));
            w1c[b] = (byte) (w1cMask >>> (8 * i));
        }
        return this;
    }

    /** A read-only register holding {@code constant}. */
    public RegisterBlock constant(int offset, int width, long constant) {
        return define(offset, width, constant, 0, 0);
    }

    /** Software read of {@code width} (1..8) bytes. */
    public long read(int offset, int width) {
        long v = 0;
        for (int i = 0; i < width; i++) {
            final int b = offset + i;
            if (b >= 0 && b < value.length) {
                v |= (value[b] & 0xFFL) << (8 * i);
            }
        }
        return v;
    }

    /** Software write: read-write bits take the new value, write-1-to-clear bits written as 1 clear, the rest stay. */
    public void write(int offset, int width, long v) {
        for (int i = 0; i < width; i++) {
            final int b = offset + i;
            if (b < 0 || b >= value.length) {
                continue;
            }
            final int in = (int) (v >>> (8 * i)) & 0xFF;
            int cur = value[b] & 0xFF;
            final int rwBits = rw[b] & 0xFF;
            cur = (cur & ~rwBits) | (in & rwBits);
            cur &= ~(in & w1c[b] & 0xFF);
            value[b] = (byte) cur;
        }
    }

    /**
     * The read-only bits that a software write of {@code v} tries to set: written as 1 where the register reads 0
     * (reserved bits, unimplemented space). Writing back what a register reads, or 0 to read-only bits beside the
     * write-1-to-clear ones (the way drivers acknowledge), is not such a write.
     */
    public long readOnlySet(int offset, int width, long v) {
        long set = 0;
        for (int i = 0; i < width; i++) {
            final int b = offset + i;
            final long in = (v >>> (8 * i)) & 0xFF;
            final long ro = b < 0 || b >= value.length ? 0xFF : ~(rw[b] | w1c[b]) & 0xFF;
            final long cur = b < 0 || b >= value.length ? 0 : value[b] & 0xFF;
            set |= (in & ~cur & ro) << (8 * i);
        }
        return set;
    }

    /** Whether any bit of bytes [{@code offset}, {@code offset + width}) is software-writable (RW or W1C). */
    public boolean writable(int offset, int width) {
        for (int i = 0; i < width; i++) {
            final int b = offset + i;
            if (b >= 0 && b < value.length && (rw[b] | w1c[b]) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Device-side raw read (same as {@link #read}). */
    public long get(int offset, int width) {
        return read(offset, width);
    }

    /** Device-side raw store, ignoring the access masks. */
    public void set(int offset, int width, long v) {
        for (int i = 0; i < width; i++) {
            value[offset + i] = (byte) (v >>> (8 * i));
        }
    }

    public void setBits(int offset, int width, long bits) {
        set(offset, width, get(offset, width) | bits);
    }

    public void clearBits(int offset, int width, long bits) {
        set(offset, width, get(offset, width) & ~bits);
    }

    /** The read-write mask of a register (for tests and the hostile-write fuzzer's bookkeeping). */
    public long rwMask(int offset, int width) {
        return bytes(rw, offset, width);
    }

    public long w1cMask(int offset, int width) {
        return bytes(w1c, offset, width);
    }

    public long resetValue(int offset, int width) {
        return bytes(resetValue, offset, width);
    }

    /** Every register back to its reset value. */
    public void reset() {
        System.arraycopy(resetValue, 0, value, 0, value.length);
    }

    /** Bytes [offset, offset + length) back to their reset values. */
    public void reset(int offset, int length) {
        System.arraycopy(resetValue, offset, value, offset, length);
    }

    /** A copy of the raw bytes (snapshot for tests). */
    public byte[] snapshot() {
        return Arrays.copyOf(value, value.length);
    }

    private static long bytes(byte[] a, int offset, int width) {
        long v = 0;
        for (int i = 0; i < width; i++) {
            v |= (a[offset + i] & 0xFFL) << (8 * i);
        }
        return v;
    }
}
