package io.softdsa.memory;

/**
 * One field of a hardware register or structure word: bits {@code [shift + width - 1 : shift]} of a 64-bit value.
 * Layout classes declare each field once as a {@code static final BitField}; encoders and decoders both go through
 * it, so a field's position exists in one place. A record, so that the JIT trusts its components as constants.
 */
public record BitField(int shift, int width) {
    public BitField {
        if (shift < 0 || width < 1 || shift + width > 64) {
            throw new IllegalArgumentException("bit field [" + (shift + width - 1) + ":" + shift + "] outside 64 bits");
        }
    }

    /** Bits {@code high:low}, as the fact sheet writes them. */
    public static BitField bits(int high, int low) {
        return new BitField(low, high - low + 1);
    }

    /** Bit {@code n} alone. */
    public static BitField bit(int n) {
        return new BitField(n, 1);
    }

    /** The largest value the field holds (its mask before shifting). */
    public long max() {
        return width == 64 ? -1L : (1L << width) - 1;
    }

    /** The field's bits in place. */
    public long mask() {
        return max() << shift;
    }

    public long get(long word) {
        return (word >>> shift) & max();
    }

    public int getInt(long word) {
        return (int) get(word);
    }

    public boolean isSet(long word) {
        return (word & mask()) != 0;
    }

    /** {@code value} in place, cut to the field's width as a register would. */
    public long encode(long value) {
        return (value & max()) << shift;
    }

    /** A one-bit field's bits when {@code on}, else 0. */
    public long encode(boolean on) {
        return on ? mask() : 0;
    }

    /** {@code word} with this field replaced by {@code value}. */
    public long set(long word, long value) {
        return (word & ~mask()) | encode(value);
    }
}
