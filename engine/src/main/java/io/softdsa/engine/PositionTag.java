package io.softdsa.engine;

import io.softdsa.descriptor.Pasid;

/**
 * A ring position and a 20-bit key (a WQ index or a PASID) packed into one long, so that one atomic load reads both:
 * an engine's drain tag (WQ, position) and a WQ's Abort PASID filter (PASID, end position).
 *
 * <pre>
 *   63             44 43                                          0
 *  +-----------------+---------------------------------------------+
 *  | key (PASID bits)|  ring position                              |
 *  +-----------------+---------------------------------------------+
 * </pre>
 * {@link #NONE} (all ones) is no tag: a WQ index never reaches 0xFFFFF, and no ring reaches position 2^44 - 1.
 */
public final class PositionTag {
    public static final int POSITION_BITS = Long.SIZE - Pasid.BITS;
    public static final long POSITION_MASK = (1L << POSITION_BITS) - 1;
    public static final long NONE = -1L;

    private PositionTag() {
    }

    public static long of(int key, long position) {
        return ((long) (key & Pasid.MASK) << POSITION_BITS) | (position & POSITION_MASK);
    }

    public static int key(long tag) {
        return (int) (tag >>> POSITION_BITS);
    }

    public static long position(long tag) {
        return tag & POSITION_MASK;
    }
}
