package io.softdsa.device.registers;

/**
 * OPCAP, the operation capability register (BAR0 0x40, 256 bits as four 64-bit words, fact sheet section 2): bit n
 * set = opcode n supported. The same bitmap shape is a WQCFG entry's allowed-opcode field.
 */
public final class Opcap {
    public static final int WORDS = 4;
    public static final int BITS = 64 * WORDS;

    private Opcap() {
    }

    /** Sets opcode {@code opcode}'s bit in {@code words}. */
    public static void set(long[] words, int opcode) {
        words[opcode >>> 6] |= 1L << opcode;
    }

    /** Whether {@code words} has opcode {@code opcode}'s bit (false outside 0..255). */
    public static boolean has(long[] words, int opcode) {
        return opcode >= 0 && opcode < BITS && (words[opcode >>> 6] & (1L << opcode)) != 0;
    }
}
