package io.softdsa.reliability.lincheck.broken;

import io.softdsa.memory.Le;
import io.softdsa.portal.RingLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.softdsa.portal.RingLayout.CLOSED;
import static io.softdsa.portal.RingLayout.HEAD_CACHE_OFFSET;
import static io.softdsa.portal.RingLayout.HEAD_OFFSET;
import static io.softdsa.portal.RingLayout.PAD;
import static io.softdsa.portal.RingLayout.POSITION_MASK;
import static io.softdsa.portal.RingLayout.SEQUENCES_OFFSET;
import static io.softdsa.portal.RingLayout.TAIL_OFFSET;

/**
 * DELIBERATELY BROKEN: {@link io.softdsa.portal.DescriptorRing} with one change — {@link #offer} publishes the slot's
 * sequence <em>before</em> copying the descriptor's 64 bytes into the slot. An engine that acquires the sequence in
 * between copies a torn (or stale) descriptor. The proof tools must find this variant wrong; it exists only so that
 * the checks are known to be able to fail. Everything else is the engine's ring, line for line.
 */
public final class PublishBeforeCopyRing {
    public static final int ACCEPTED = 0;
    public static final int FULL = 1;
    public static final int CLOSED_RESULT = 2;

    private final MemorySegment memory;
    private final int mask;
    private final long slotsOffset;

    public PublishBeforeCopyRing(Arena arena, int size) {
        final int capacity = Integer.highestOneBit(size) << (Integer.bitCount(size) == 1 ? 1 : 2);
        this.mask = capacity - 1;
        this.slotsOffset = RingLayout.slotsOffset(capacity);
        this.memory = arena.allocate(RingLayout.totalLength(capacity), PAD);
        for (int i = 0; i < capacity; i++) {
            memory.set(Le.LONG, sequenceOffset(i), i);
        }
        Le.setLongRelease(memory, TAIL_OFFSET, CLOSED);
    }

    public int offer(MemorySegment src, long srcOffset, int limit, long pasidWord) {
        for (;;) {
            final long tail = Le.getLongVolatile(memory, TAIL_OFFSET);
            if ((tail & CLOSED) != 0) {
                return CLOSED_RESULT;
            }
            long head = (long) Le.LONG_HANDLE.getOpaque(memory, (long) HEAD_CACHE_OFFSET);
            if (tail - head >= limit) {
                head = Le.getLongAcquire(memory, HEAD_OFFSET);
                Le.setLongOpaque(memory, HEAD_CACHE_OFFSET, head);
                if (tail - head >= limit) {
                    return FULL;
                }
            }
            final long seqOffset = sequenceOffset((int) tail & mask);
            final long seq = Le.getLongAcquire(memory, seqOffset);
            if (seq == tail) {
                if (Le.compareAndSetLong(memory, TAIL_OFFSET, tail, tail + 1)) {
                    final long slot = slotsOffset + ((tail & mask) << 6);
                    Le.setLongRelease(memory, seqOffset, tail + 1); // BUG: published before the bytes are there
                    copy64(src, srcOffset, memory, slot);
                    if (pasidWord != -1) {
                        memory.set(Le.INT, slot, (int) pasidWord);
                    }
                    return ACCEPTED;
                }
            } else if (seq < tail && Le.getLongVolatile(memory, TAIL_OFFSET) == tail) {
                return FULL;
            }
            Thread.onSpinWait();
        }
    }

    public long peek() {
        final long head = Le.getLongVolatile(memory, HEAD_OFFSET);
        final long seq = Le.getLongAcquire(memory, sequenceOffset((int) head & mask));
        return seq == head + 1 ? head : -1;
    }

    public boolean claim(long position, MemorySegment dst, long dstOffset) {
        if (!Le.compareAndSetLong(memory, HEAD_OFFSET, position, position + 1)) {
            return false;
        }
        final int index = (int) position & mask;
        copy64(memory, slotsOffset + ((long) index << 6), dst, dstOffset);
        Le.setLongRelease(memory, sequenceOffset(index), position + mask + 1);
        return true;
    }

    public long close() {
        return Le.getAndBitwiseOrLong(memory, TAIL_OFFSET, CLOSED) & POSITION_MASK;
    }

    public void open() {
        Le.LONG_HANDLE.getAndBitwiseAnd(memory, (long) TAIL_OFFSET, ~CLOSED);
    }

    public long tailPosition() {
        return Le.getLongVolatile(memory, TAIL_OFFSET) & POSITION_MASK;
    }

    public long headPosition() {
        return Le.getLongVolatile(memory, HEAD_OFFSET);
    }

    private long sequenceOffset(int index) {
        return SEQUENCES_OFFSET + 8L * index;
    }

    private static void copy64(MemorySegment from, long fromOffset, MemorySegment to, long toOffset) {
        for (int i = 0; i < 64; i += 8) {
            to.set(Le.LONG, toOffset + i, from.get(Le.LONG, fromOffset + i));
        }
    }
}
