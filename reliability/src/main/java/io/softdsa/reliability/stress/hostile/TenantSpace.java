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

    /** The memory segment the host addresses below index. */
    MemorySegment segment();

    /** Host address of {@code va}, or -1 if its page is not mapped. */
    long host(long va);
}
