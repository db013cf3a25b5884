package io.softdsa.engine;

/**
 * Off-heap layout of a WQ's descriptor ring. Producer and consumer counters sit on separate 128-byte blocks
 * (two cache lines, defeating the adjacent-line prefetcher) so submitters and engines do not false-share.
 *
 * <pre>
 *  0      +-----------------------------------------------+
 *         | tail: next producer position | CLOSED bit 62  |  CAS by producers (ENQCMD / MOVDIR64B)
 *  128    +-----------------------------------------------+
 *         | head: next consumer position                  |  CAS by engines and by Abort
 *  256    +-----------------------------------------------+
 *         | head cache: producers' last view of head      |  opaque, racy, only ever conservative
 *  384    +-----------------------------------------------+
 *         | sequence[capacity]: u64 per slot              |  pos + 1 = published, pos + capacity = free
 *         +-----------------------------------------------+  (64-byte aligned)
 *         | slot[capacity]: 64-byte descriptors           |
 *         +-----------------------------------------------+
 * </pre>
 */
public final class RingLayout {
    public static final int PAD = 128;
    public static final int TAIL_OFFSET = 0;
    public static final int HEAD_OFFSET = PAD;
    public static final int HEAD_CACHE_OFFSET = 2 * PAD;
    public static final int SEQUENCES_OFFSET = 3 * PAD;
    public static final int SLOT_LENGTH = 64;
    /** Set in tail while the WQ does not accept descriptors (disabled, draining for disable, aborting). */
    public static final long CLOSED = 1L << 62;
    public static final long POSITION_MASK = CLOSED - 1;

    private RingLayout() {
    }

    public static long slotsOffset(int capacity) {
        return align(SEQUENCES_OFFSET + 8L * capacity, SLOT_LENGTH);
    }

    public static long totalLength(int capacity) {
        return slotsOffset(capacity) + (long) SLOT_LENGTH * capacity;
    }

    private static long align(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
