package io.softdsa.iommu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The device's translation cache, keyed by (PASID, virtual page), with VT-d's invalidation granularities: global,
 * one PASID, or a page range of one PASID. Until software invalidates, a changed page table is not seen (as on real
 * hardware); once an invalidation returns, no engine uses the old translation.
 * <p>
 * Entries are direct-mapped seqlocked quadruples (version, page, PASID, value) in one {@code long[]}, so lookups are
 * lock-free and allocation-free. The "invalidation wait" is an epoch handshake: each engine publishes the epoch under
 * which it starts translating (a volatile store before it reads any entry or page table), keeps it while it holds
 * translations, and idles its slot when a descriptor ends or it waits on a page request; an invalidation clears
 * entries, advances the epoch, waits until no engine still holds an older epoch, then clears again to drop anything a
 * walk in flight inserted meanwhile.
 */
public final class Iotlb {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long IDLE = Long.MAX_VALUE;
    private static final int STRIDE = 4;
    private static final int VERSION = 0;
    private static final int PAGE = 1;
    private static final int PASID = 2;
    private static final int VALUE = 3;
    private static final int MAX_USERS = 256;
    private static final int USER_STRIDE = 16; // 128 bytes apart: no false sharing between engines

    // value bits
    private static final long VALID = 1L;
    private static final long WRITABLE = 1L << 1;
    private static final long USER = 1L << 2;
    private static final long DIRTY = 1L << 6;
    private static final int SIZE_SHIFT = 8;
    private static final long ADDRESS_MASK = 0x000F_FFFF_FFFF_F000L;

    private final long[] entries;
    private final int mask;
    private final long[] users = new long[MAX_USERS * USER_STRIDE];
    private volatile int userCount;
    private volatile long epoch = 1;

    /** @param capacity number of entries, a power of two */
    public Iotlb(int capacity) {
        if (capacity < 16 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("IOTLB capacity must be a power of two >= 16: " + capacity);
        }
        this.entries = new long[capacity * STRIDE];
        this.mask = capacity - 1;
        java.util.Arrays.fill(users, IDLE);
    }

    public int capacity() {
        return mask + 1;
    }

    /** Registers a translating engine; returns its quiescence slot. */
    synchronized int register() {
        if (userCount == MAX_USERS) {
            throw new IllegalStateException("more than " + MAX_USERS + " translating engines");
        }
        return userCount++;
    }

    /**
     * Publishes that {@code slot} translates under the current epoch (a StoreLoad-ordered volatile store), unless it
     * already holds one: the epoch published at a slot's first translation stays until {@link #leave}, because the
     * engine keeps using the translations it made since then (its DMA windows). Re-publishing a newer epoch midway
     * would let an invalidation return while the engine still copies through a translation from before it.
     */
    void enter(int slot) {
        final int i = slot * USER_STRIDE;
        if ((long) LONGS.getOpaque(users, i) == IDLE) {
            LONGS.setVolatile(users, i, epoch);
        }
    }

    /** {@code slot} holds no translation any more (descriptor ended, or waiting on a page request). */
    void leave(int slot) {
        LONGS.setRelease(users, slot * USER_STRIDE, IDLE);
    }

    /** Looks up the page of {@code va}; on a hit fills host address, page shift and permissions of {@code t}. */
    boolean lookup(int pasid, long va, Translation t, boolean write) {
        for (int size = 0; size < 3; size++) {
            final int shift = 12 + 9 * size;
            final long page = va >>> shift;
            final int base = index(pasid, page, size) * STRIDE;
            final long v1 = (long) LONGS.getAcquire(entries, base + VERSION);
            if ((v1 & 1) != 0) {
                continue;
            }
            final long p = entries[base + PAGE];
            final long q = entries[base + PASID];
            final long value = entries[base + VALUE];
            VarHandle.loadLoadFence();
            if ((long) LONGS.getOpaque(entries, base + VERSION) != v1) {
                continue;
            }
            if ((value & VALID) == 0 || p != page || q != pasid || ((value >>> SIZE_SHIFT) & 3) != size) {
                continue;
            }
            if (write && (value & DIRTY) == 0) {
                return false; // the first write must walk to set the leaf's dirty bit
            }
            t.pageShift = shift;
            t.hostAddress = (value & ADDRESS_MASK) + (va & ((1L << shift) - 1));
            t.leafWritable = (value & WRITABLE) != 0;
            t.leafUser = (value & USER) != 0;
            return true;
        }
        return false;
    }

    /** Caches the page found by a walk (hostPage = host address of the page's first byte). */
    void insert(int pasid, long va, int pageShift, long hostPage, boolean writable, boolean user, boolean dirty) {
        final int size = (pageShift - 12) / 9;
        final long page = va >>> pageShift;
        final int base = index(pasid, page, size) * STRIDE;
        final long v = (long) LONGS.getAcquire(entries, base + VERSION);
        if ((v & 1) != 0 || !LONGS.compareAndSet(entries, base + VERSION, v, v + 1)) {
            return; // someone else is writing this entry: skipping a fill is always allowed
        }
        entries[base + PAGE] = page;
        entries[base + PASID] = pasid;
        entries[base + VALUE] = (hostPage & ADDRESS_MASK) | VALID | (writable ? WRITABLE : 0) | (user ? USER : 0)
            | (dirty ? DIRTY : 0) | ((long) size << SIZE_SHIFT);
        LONGS.setRelease(entries, base + VERSION, v + 2);
    }

    /** Global invalidation. */
    public void invalidateAll() {
        invalidate(-1, 0, -1);
    }

    /** Every entry of one PASID. */
    public void invalidatePasid(int pasid) {
        invalidate(pasid, 0, -1);
    }

    /** Entries of {@code pasid} whose page overlaps [va, va + length). */
    public void invalidateRange(int pasid, long va, long length) {
        invalidate(pasid, va, length);
    }

    private void invalidate(int pasid, long va, long length) {
        clear(pasid, va, length);
        final long newEpoch;
        synchronized (this) {
            newEpoch = epoch + 1;
            epoch = newEpoch;
        }
        for (int slot = 0; slot < userCount; slot++) {
            int spins = 0;
            while ((long) LONGS.getVolatile(users, slot * USER_STRIDE) < newEpoch) {
                if (++spins > 1000) {
                    Thread.yield();
                } else {
                    Thread.onSpinWait();
                }
            }
        }
        clear(pasid, va, length);
    }

    private void clear(int pasid, long va, long length) {
        if (pasid >= 0 && length >= 0 && length <= TARGETED_LIMIT) {
            clearTargeted(pasid, va, length);
            return;
        }
        final long end = length < 0 ? -1 : va + length;
        for (int base = 0; base < entries.length; base += STRIDE) {
            final long value = (long) LONGS.getAcquire(entries, base + VALUE);
            if ((value & VALID) == 0) {
                continue;
            }
            if (pasid >= 0) {
                if (entries[base + PASID] != pasid) {
                    continue;
                }
                if (length >= 0) {
                    final int shift = 12 + 9 * (int) ((value >>> SIZE_SHIFT) & 3);
                    final long pageStart = entries[base + PAGE] << shift;
                    final long pageEnd = pageStart + (1L << shift);
                    if (Long.compareUnsigned(pageEnd, va) <= 0 || Long.compareUnsigned(pageStart, end) >= 0) {
                        continue;
                    }
                }
            }
            invalidateEntry(base);
        }
    }

    /** Empties the entry at {@code base} under its seqlock (waits out a writer that holds it). */
    private void invalidateEntry(int base) {
        for (;;) {
            final long v = (long) LONGS.getAcquire(entries, base + VERSION);
            if ((v & 1) == 0 && LONGS.compareAndSet(entries, base + VERSION, v, v + 1)) {
                entries[base + VALUE] = 0;
                LONGS.setRelease(entries, base + VERSION, v + 2);
                return;
            }
            Thread.onSpinWait();
        }
    }

    /** Ranges up to this many bytes are invalidated by probing their entries' slots instead of scanning the table. */
    private static final long TARGETED_LIMIT = 1L << 20;

    /** Each page of the range at every page size has exactly one possible slot: probe those. */
    private void clearTargeted(int pasid, long va, long length) {
        final long end = va + Math.max(length, 1);
        for (int size = 0; size < 3; size++) {
            final int shift = 12 + 9 * size;
            for (long page = va >>> shift; page <= (end - 1) >>> shift; page++) {
                final int base = index(pasid, page, size) * STRIDE;
                for (;;) {
                    final long v = (long) LONGS.getAcquire(entries, base + VERSION);
                    final long value = entries[base + VALUE];
                    final boolean ours = (value & VALID) != 0 && entries[base + PAGE] == page
                        && entries[base + PASID] == pasid && ((value >>> SIZE_SHIFT) & 3) == size;
                    if (ours) {
                        invalidateEntry(base); // may clear a newer fill of the same page: always allowed
                        break;
                    }
                    if ((long) LONGS.getAcquire(entries, base + VERSION) == v && (v & 1) == 0) {
                        break; // a stable look: not ours
                    }
                    Thread.onSpinWait();
                }
            }
        }
    }

    /** Valid entries (a snapshot, for tests and statistics). */
    public int size() {
        int n = 0;
        for (int base = 0; base < entries.length; base += STRIDE) {
            if (((long) LONGS.getAcquire(entries, base + VALUE) & VALID) != 0) {
                n++;
            }
        }
        return n;
    }

    private int index(int pasid, long page, int size) {
        long h = page * 0x9E37_79B9_7F4A_7C15L + pasid * 0xC2B2_AE3D_27D4_EB4FL + size;
        h ^= h >>> 29;
        return (int) h & mask;
    }
}
