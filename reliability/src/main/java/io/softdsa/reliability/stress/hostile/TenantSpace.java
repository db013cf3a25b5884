package io.softdsa.reliability.stress.hostile;

import java.lang.foreign.MemorySegment;

/** The memory one tenant generation uses, page by page: what it maps, and where its pages are in host memory. */
interface TenantSpace {
    String owner();

    /** Reserves {@code length} bytes of virtual addresses with nothing mapped. */
    long reserve(long length);

    /** Maps a fresh zeroed page at {@code page} (nothing if already mapped); false if no memory is left. */
    boolean mapFresh(long page);

    /** Unmaps {@code page} (its frame is poisoned and goes back to the pool). */
    void unmap(long page, String how);

    boolean isMapped(long page);

    /**
     * Fills the frame {@code page} maps now with {@code b}, atomically with respect to this space's changes: a frame
     * another thread unmaps (and poisons) meanwhile is never written. (A lookup and then a fill would be a write of
     * the harness into a frame that is back in the pool, reported as the device's.)
     */
    void fill(long page, byte b);

    /** The memory segment the host addresses below index. */
    MemorySegment segment();

    /** Host address of {@code va}, or -1 if its page is not mapped. */
    long host(long va);

    /** What is known about host address {@code h} (whose page it is now), for a note on a wrong result. */
    default String describe(long h) {
        return "host 0x" + Long.toHexString(h);
    }

    /**
     * Where an 8-byte pattern a fill wrote lies anywhere in {@link #segment()} (at most four places), described:
     * a wrong result with the pattern elsewhere says where the device's translation pointed.
     */
    default String locate(long pattern) {
        final MemorySegment m = segment();
        final StringBuilder b = new StringBuilder();
        int found = 0;
        for (long a = 0; a + 8 <= m.byteSize() && found < 4; a++) {
            if (m.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, a) == pattern) {
                b.append(found++ == 0 ? "" : "; ").append(describe(a));
                a = (a | 4095); // one report per page
            }
        }
        return found == 0 ? "pattern nowhere" : "pattern at " + b;
    }
}
