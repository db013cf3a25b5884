package io.softdsa.ops;

import io.softdsa.memory.Page;

/**
 * The runs an engine has translated, as a device's address translation cache (the DSA's ATC) keeps them between
 * descriptors: two-way set-associative by the virtual page a run starts in, engine-private, so a hit is a few plain
 * loads and no fence, and a contiguous 1 MiB buffer used again costs one hit instead of a walk of its IOTLB entries.
 * <p>
 * It holds nothing the engine's {@link Dma} windows do not: an entry is valid only while the windows are, and
 * {@link #drop} (every let-go, context change or invalidation the IOMMU reports at resume) voids them all at once by
 * advancing a generation, so dropping costs the same however many entries there are. A run translated for reading
 * only answers reads: a write must still reach the IOMMU once, which checks write permission and sets the leaves'
 * dirty bits (the dirty log depends on it). A run the IOMMU answered in full may run on past what was asked then, so
 * it answers only requests it covers whole; one it cut short ends where the translation ends.
 * <p>
 * One per engine; not thread-safe; allocates nothing after construction.
 */
final class TranslatedRuns {
    /**
     * Entries (a power of two): 8 MiB of 4 KiB buffers, or a pipeline of 64 descriptors with three operands many times
     * over. A device's ATC is small because silicon is; this one is 64 KiB of an engine's own heap, probed the same way
     * at any size and voided in O(1), so it is sized for software that rotates through more buffers than it keeps in
     * flight: with 256, a 4 KiB memmove rotating through 512 page pairs missed on every operand and paid 43–98 ns a
     * descriptor in the IOTLB (`./softdsa sva`: 0.75–0.87x of PASID off; 0.98–1.08x with 2048, alternated).
     */
    static final int ENTRIES = 2048;
    /**
     * Two ways per set: with one, a completion record whose page folds to a 1 MiB buffer's index evicted it every
     * descriptor (measured: 6.6 % of a 1 MiB memmove's engine time back in the IOTLB); a set is one 64-byte line.
     */
    private static final int WAYS = 2;
    private static final int SETS = ENTRIES / WAYS;
    private static final int INDEX_BITS = Integer.numberOfTrailingZeros(SETS);
    private static final int STRIDE = 4;
    private static final int START = 0;
    private static final int LENGTH = 1;
    private static final int HOST = 2;
    /** generation << 2 | cut << 1 | writable. */
    private static final int TAG = 3;
    private static final long WRITABLE = 1;
    private static final long CUT = 2;

    private final long[] entries = new long[ENTRIES * STRIDE];
    /** Entries carry the generation they were filled in; starts at 1 so the zeroed array holds nothing valid. */
    private long generation = 1;
    private long hitLength;

    /**
     * The host address of {@code address} if a run covers the start of {@code [address, address + wanted)} for
     * {@code write}, with {@link #length} (1 to wanted bytes) set; else -1.
     */
    long lookup(long address, long wanted, boolean write) {
        final int set = index(address);
        final long host = probe(set, address, wanted, write);
        return host >= 0 ? host : probe(set + STRIDE, address, wanted, write);
    }

    private long probe(int base, long address, long wanted, boolean write) {
        final long tag = entries[base + TAG];
        final long into = address - entries[base + START];
        final long length = entries[base + LENGTH];
        if ((tag >>> 2) != generation || Long.compareUnsigned(into, length) >= 0 || (write && (tag & WRITABLE) == 0)
            || ((tag & CUT) != 0 && length - into < wanted)) {
            return -1;
        }
        hitLength = Math.min(wanted, length - into);
        return entries[base + HOST] + into;
    }

    /** Bytes of the last hit. */
    long length() {
        return hitLength;
    }

    /**
     * The IOMMU translated {@code length} bytes at {@code address} to {@code hostAddress}; {@code cut}: it may run on
     * past them (the engine's window rule), so the run answers only requests it covers whole.
     */
    void fill(long address, long length, long hostAddress, boolean write, boolean cut) {
        // the newest run goes to the first way and the one there moves to the second: two runs that share a set
        // (a buffer and a record, used in turn) both stay
        final int base = index(address);
        if ((entries[base + TAG] >>> 2) == generation && entries[base + START] != address) {
            System.arraycopy(entries, base, entries, base + STRIDE, STRIDE);
        } // else the first way is void, or holds this run (a write after a read): it is replaced, its neighbour kept
        // (two entries for one address may remain; both were translated in this generation, so either is right)
        entries[base + START] = address;
        entries[base + LENGTH] = length;
        entries[base + HOST] = hostAddress;
        entries[base + TAG] = generation << 2 | (cut ? CUT : 0) | (write ? WRITABLE : 0);
    }

    /** Every entry is void from now on. */
    void drop() {
        generation++;
    }

    private static int index(long address) {
        // the page's bytes folded together: buffers allocated at any power-of-two stride (consecutive pages, 64 KiB
        // or 1 MiB apart) land in distinct sets, as long as there are no more of them than sets
        final long page = address >>> Page.SHIFT;
        final long folded = page ^ (page >>> INDEX_BITS) ^ (page >>> 2 * INDEX_BITS) ^ (page >>> 3 * INDEX_BITS);
        return (int) (folded & (SETS - 1)) * WAYS * STRIDE;
    }
}
