package io.softdsa.ops;

import io.softdsa.memory.Le;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An engine-local block holding a 16-byte pattern repeated, so fill and compare-pattern move whole blocks with
 * {@link MemorySegment#copy} / {@link MemorySegment#mismatch} instead of 8-byte stores. Rebuilt only when the
 * pattern changes. Reading at offset {@code phase} (0..15) starts the pattern at that byte.
 */
public final class PatternBlock {
    public static final int BLOCK = 4096;
    private final MemorySegment block;
    private long low;
    private long high;
    private boolean valid;

    public PatternBlock(Arena arena) {
        this.block = arena.allocate(BLOCK + 16, 64);
    }

    public MemorySegment segment() {
        return block;
    }

    /** Makes the block hold {@code low, high} repeated (an 8-byte pattern passes low == high). */
    public void prepare(long low, long high) {
        if (valid && low == this.low && high == this.high) {
            return;
        }
        for (int i = 0; i < BLOCK + 16; i += 16) {
            block.set(Le.LONG, i, low);
            block.set(Le.LONG, i + 8, high);
        }
        this.low = low;
        this.high = high;
        this.valid = true;
    }
}
