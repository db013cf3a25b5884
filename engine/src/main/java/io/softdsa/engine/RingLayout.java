package io.softdsa.engine;

/**
 * Off-heap layout of a WQ's descriptor ring. Producer and consumer counters sit on separate 128-byte blocks
 * (two cache lines, defeating the adjacent-line prefetcher) so submitters and engines do not false-share.
 * <p>
 * Each slot is a 128-byte block: the descriptor's line, then a line holding only its sequence word. A slot's two
 * lines are written by its producer, once per lap, and only read by consumers (who take a slot by moving head).
 * Packed into one array, eight sequences shared a line that the producer publishing one slot and the engine taking
 * another pulled back and forth between the cores for every descriptor. The 128-byte pair is what the adjacent-line
 * prefetcher fetches together, so the engine's read of the sequence brings the descriptor along.
 *
 * <pre>
 *  0      +-----------------------------------------------+
 *         | tail: next producer position | CLOSED bit 62  |  CAS by producers (ENQCMD / MOVDIR64B)
 *  128    +-----------------------------------------------+
 *         | head: next consumer position                  |  CAS by engines and by Abort
 *  256    +-----------------------------------------------+
 *         | head cache: producers' last view of head      |  release / acquire, racy, only ever conservative
 *  384    +-----------------------------------------------+  slot 0 (128-byte aligned)
 *         | descriptor: 64 bytes                          |
 *  448    +-----------------------------------------------+
 *         | sequence: u64 | 56 bytes unused               |  pos + 1 = position pos published
 *  512    +-----------------------------------------------+  slot 1 ... slot capacity - 1
 * </pre>
 */
public final class RingLayout {
    public static final int PAD = 128;
    public static final int TAIL_OFFSET = 0;
    public static final int HEAD_OFFSET = PAD;
    public static final int HEAD_CACHE_OFFSET = 2 * PAD;
    public static final int SLOTS_OFFSET = 3 * PAD;
    /** A descriptor's bytes. */
    public static final int SLOT_LENGTH = 64;
    /** The sequence word, from the start of its slot: the line after the descriptor's. */
    public static final int SEQUENCE_IN_SLOT = SLOT_LENGTH;
    /** Bytes from one slot to the next: the descriptor's line and its sequence's line. */
    public static final int SLOT_STRIDE = 2 * SLOT_LENGTH;
    /** Set in tail while the WQ does not accept descriptors (disabled, draining for disable, aborting). */
    public static final long CLOSED = 1L << 62;
    public static final long POSITION_MASK = CLOSED - 1;

    private RingLayout() {
    }

    /** The descriptor of slot {@code index}. */
    public static long slotOffset(int index) {
        return SLOTS_OFFSET + (long) SLOT_STRIDE * index;
    }

    /** The sequence word of slot {@code index}. */
    public static long sequenceOffset(int index) {
        return slotOffset(index) + SEQUENCE_IN_SLOT;
    }

    public static long totalLength(int capacity) {
        return slotOffset(capacity);
    }
}
