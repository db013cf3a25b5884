package io.softdsa.iommu;

import io.softdsa.telemetry.EngineCounters;
import io.softdsa.telemetry.InvalidationWaitEvent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The device's translation cache, keyed by (PASID, virtual page), with VT-d's invalidation granularities: global,
 * one PASID, or a page range of one PASID. Until software invalidates, a changed page table is not seen (as on real
 * hardware); once an invalidation returns, no engine uses the old translation.
 * <p>
 * Entries are direct-mapped seqlocked quadruples (version, page, PASID, value) in one {@code long[]}, so lookups are
 * lock-free and allocation-free. Besides 4 KiB, 2 MiB and 1 GiB pages, an entry may be a <em>coalesced</em> one: an
 * aligned group of {@value #COALESCED_PAGES} 4 KiB leaves that map adjacent host pages alike (as AMD's and Arm's TLBs
 * coalesce contiguous PTEs): probed right after the 4 KiB entry, which a coalesced group's pages then no longer have,
 * so a contiguous buffer costs two probes per 64 KiB instead of one per page, and a scattered page still one.
 * <p>
 * A writer makes the version odd by CAS, fences store-store, writes the payload and releases the next even version;
 * a reader acquires the version, reads the payload, fences load-load and re-reads the version (Linux
 * {@code write_seqcount_begin}'s {@code smp_wmb()} / {@code read_seqcount_retry}'s {@code smp_rmb()}).
 * <p>
 * The "invalidation wait" is an epoch handshake: each engine publishes the epoch under which it starts translating
 * (a volatile store, then a volatile re-read of the epoch, republishing while it moved: the Dekker pattern against the
 * invalidator's volatile increment and volatile scan), keeps it while it holds translations, and idles its slot when a
 * descriptor ends or it waits on a page request. An invalidation clears entries, advances the epoch and waits until
 * no engine still holds an older one (so no walk that may have read the old tables is still in flight), clears again
 * to drop what such walks inserted meanwhile, then advances and waits once more: an engine that entered during the
 * first wait may have hit one of those stale entries before the second clear, and must let go of it too.
 * <p>
 * Quiescence slots are reused: {@link #unregister} idles a slot before it goes back to the free set, so an
 * invalidation never waits for an engine that is gone, and reconfiguring a device any number of times does not grow
 * the table.
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
    /** Size code of a coalesced entry (4 KiB = 0, 2 MiB = 1, 1 GiB = 2). */
    private static final int COALESCED = 3;
    /** The span of a coalesced entry, as a page shift: 16 leaves of 4 KiB. */
    public static final int COALESCED_SHIFT = 16;
    public static final int COALESCED_PAGES = 1 << (COALESCED_SHIFT - 12);
    private static final long ADDRESS_MASK = 0x000F_FFFF_FFFF_F000L;

    /*
     * Ordering steps that reliability/lincheck's planted-bug variants turn off one at a time, in a twin of this very
     * bytecode. Always true here; not compile-time constants only so that javac keeps the reads the twin rewrites
     * (the JIT folds static finals, so they cost nothing).
     */
    /** lookup re-reads the version after the payload (seqlock read side). */
    private static final boolean READER_RECHECKS = Boolean.TRUE.booleanValue();
    /** enter publishes only from IDLE: an engine keeps the epoch of its first translation until it leaves. */
    private static final boolean KEEPS_FIRST_EPOCH = Boolean.TRUE.booleanValue();
    /** invalidate waits a second time, for engines that may have hit an entry a stale walk inserted. */
    private static final boolean SECOND_WAIT = Boolean.TRUE.booleanValue();
    /** resume lets an engine use what it kept only if it enters the epoch it made it under. */
    private static final boolean RESUME_CHECKS_EPOCH = Boolean.TRUE.booleanValue();

    private final long[] entries;
    private final int mask;
    private final long[] users = new long[MAX_USERS * USER_STRIDE];
    /** Slots handed out by {@link #register} and not yet {@link #unregister}ed (guarded by {@code this}). */
    private final java.util.BitSet registered = new java.util.BitSet(MAX_USERS);
    /** One past the highest slot ever registered: the invalidators' scan bound (only grows, at most MAX_USERS). */
    private volatile int userCount;
    private volatile long epoch = 1;
    /**
     * The counters of the engine behind each slot (null: none), where an invalidation that had to wait for it counts
     * the wait. Written under {@code this} by {@link #attribute} and {@link #unregister}; read by invalidators without
     * the lock — a reference read is atomic and the counters' fields are final, so a racing read sees a whole object
     * (at worst the previous owner's, for one count).
     */
    private final EngineCounters[] slotCounters = new EngineCounters[MAX_USERS];

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

    /**
     * Registers a translating engine; returns its quiescence slot, the lowest free one (a slot freed by
     * {@link #unregister} is reused, so the scan bound stays at the most engines ever registered at once).
     *
     * @throws IllegalStateException if {@value #MAX_USERS} engines are registered at once
     */
    synchronized int register() {
        final int slot = registered.nextClearBit(0);
        if (slot >= MAX_USERS) {
            throw new IllegalStateException("more than " + MAX_USERS + " translating engines registered at once"
                + " (an engine that is retired must release its translation: Iommu.release)");
        }
        // the slot is IDLE: never registered, or idled by unregister before it was freed; an invalidation scanning
        // it now sees IDLE and moves on, and its new owner's first enter follows the handshake like any other
        registered.set(slot);
        if (slot >= userCount) {
            userCount = slot + 1; // volatile: an invalidator reading the bound afterwards scans this slot too
        }
        return slot;
    }

    /**
     * Frees {@code slot} of an engine that is retired: it is idled first (so no invalidation waits for it, even if
     * the engine was retired in the middle of a descriptor) and then handed out again by a later {@link #register}.
     * The engine must not translate through this slot any more.
     */
    synchronized void unregister(int slot) {
        if (slot < 0 || slot >= MAX_USERS || !registered.get(slot)) {
            throw new IllegalStateException("IOTLB quiescence slot " + slot + " is not registered");
        }
        // volatile store: an invalidator's volatile scan that reads it stops waiting for this slot
        LONGS.setVolatile(users, slot * USER_STRIDE, IDLE);
        registered.clear(slot);
        slotCounters[slot] = null;
    }

    /** Invalidations that wait for {@code slot} count the wait in {@code counters} (its engine's). */
    synchronized void attribute(int slot, EngineCounters counters) {
        if (slot >= 0 && slot < MAX_USERS && registered.get(slot)) {
            slotCounters[slot] = counters;
        }
    }

    /** Slots registered now (for tests and statistics). */
    synchronized int registeredSlots() {
        return registered.cardinality();
    }

    /** The invalidators' scan bound: one past the highest slot ever registered (for tests). */
    int scanBound() {
        return userCount;
    }

    /**
     * Publishes that {@code slot} translates under the current epoch, unless it already holds one: the epoch
     * published at a slot's first translation stays until {@link #leave}, because the engine keeps using the
     * translations it made since then (its DMA windows). Re-publishing a newer epoch midway would let an invalidation
     * return while the engine still copies through a translation from before it.
     * <p>
     * Dekker with {@link #invalidate}: the engine stores its epoch (volatile) and then re-reads the epoch (volatile);
     * the invalidator increments the epoch (volatile) and then reads the slot (volatile). Volatile accesses are
     * totally ordered, so either the invalidator's scan sees this slot's epoch (older than its own: it waits), or the
     * re-read sees the increment, which then happens-before every entry and page table this engine reads next (the
     * invalidator's first clear and the caller's page-table change are ordered before it). A store alone would let an
     * invalidator bump, scan, see IDLE and return while the engine goes on to read entries it has no ordering with.
     */
    void enter(int slot) {
        final int i = slot * USER_STRIDE;
        if (KEEPS_FIRST_EPOCH && (long) LONGS.getOpaque(users, i) != IDLE) {
            return; // only this engine (and unregister, after it is retired) writes its slot
        }
        long published = epoch;
        for (;;) {
            LONGS.setVolatile(users, i, published); // pairs with the invalidator's volatile scan (awaitEngines)
            final long now = epoch; // volatile re-read: pairs with the invalidator's volatile increment
            if (now == published) {
                return;
            }
            published = now; // it moved: publish the newer one, so a scan at `now` need not wait for us
        }
    }

    /**
     * {@link #enter} for an engine that kept translations (its DMA windows) made while it held epoch {@code kept}
     * (0: none): whether it may use them again. Yes only if it enters that same epoch. Every invalidation advances
     * the epoch before it waits for engines, and epochs only grow, so an unchanged epoch means no invalidation has
     * got as far as waiting since the engine made them. One that has cleared entries but not yet advanced will
     * advance and then wait for this engine to leave, exactly as for the IOTLB entries it may hit meanwhile. One
     * whose wait the engine was idle for has advanced past {@code kept}, so the engine translates afresh.
     */
    boolean resume(int slot, long kept) {
        enter(slot);
        return kept != 0 && (!RESUME_CHECKS_EPOCH || held(slot) == kept);
    }

    /** The epoch {@code slot} holds ({@link #IDLE} if none), as its own engine sees it: only it writes its slot. */
    long held(int slot) {
        return (long) LONGS.getOpaque(users, slot * USER_STRIDE);
    }

    /** {@code slot} holds no translation any more (descriptor ended, or waiting on a page request). */
    void leave(int slot) {
        LONGS.setRelease(users, slot * USER_STRIDE, IDLE);
    }

    /** Looks up the page of {@code va}; on a hit fills host address, page shift and permissions of {@code t}. */
    boolean lookup(int pasid, long va, Translation t, boolean write) {
        for (int probe = 0; probe < 4; probe++) {
            final int size = probe == 0 ? 0 : probe == 1 ? COALESCED : probe - 1; // 4 KiB, coalesced, 2 MiB, 1 GiB
            final int shift = shiftOf(size);
            final long page = va >>> shift;
            final int base = index(pasid, page, size) * STRIDE;
            // seqlock read: the acquire pairs with a writer's releasing even version (the payload it wrote is
            // visible); the load-load fence keeps the payload loads before the re-read, so an unchanged even version
            // proves no writer's odd CAS (fenced store-store before its payload stores) came in between
            final long v1 = (long) LONGS.getAcquire(entries, base + VERSION);
            if ((v1 & 1) != 0) {
                continue;
            }
            final long p = entries[base + PAGE];
            final long q = entries[base + PASID];
            final long value = entries[base + VALUE];
            VarHandle.loadLoadFence();
            if (READER_RECHECKS && (long) LONGS.getOpaque(entries, base + VERSION) != v1) {
                continue;
            }
            if ((value & VALID) == 0 || p != page || q != pasid || ((value >>> SIZE_SHIFT) & 3) != size) {
                continue;
            }
            if (write && (value & DIRTY) == 0) {
                return false; // the first write must walk to set the leaf's dirty bit (a coalesced entry's: of all)
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
        final int size = sizeOf(pageShift);
        final long page = va >>> pageShift;
        final int base = index(pasid, page, size) * STRIDE;
        final long v = (long) LONGS.getAcquire(entries, base + VERSION);
        if ((v & 1) != 0 || !LONGS.compareAndSet(entries, base + VERSION, v, v + 1)) {
            return; // someone else is writing this entry: skipping a fill is always allowed
        }
        // the odd version must be visible before any payload store: a reader that saw the old even version and then
        // some of these stores sees the odd (or a newer) version on its re-read (pairs with lookup's loadLoadFence)
        VarHandle.storeStoreFence();
        entries[base + PAGE] = page;
        entries[base + PASID] = pasid;
        entries[base + VALUE] = (hostPage & ADDRESS_MASK) | VALID | (writable ? WRITABLE : 0) | (user ? USER : 0)
            | (dirty ? DIRTY : 0) | ((long) size << SIZE_SHIFT);
        LONGS.setRelease(entries, base + VERSION, v + 2); // payload before the even version: pairs with lookup's acquire
    }

    /**
     * Caches a coalesced group (see {@link #COALESCED_PAGES}) and drops its pages' own 4 KiB entries, which would
     * otherwise answer first, a page at a time. Dropping a valid entry is always allowed.
     */
    void insertCoalesced(int pasid, long va, long hostPage, boolean writable, boolean user, boolean dirty) {
        insert(pasid, va, COALESCED_SHIFT, hostPage, writable, user, dirty);
        final long group = va & -(1L << COALESCED_SHIFT);
        clearTargeted(pasid, group, 1L << COALESCED_SHIFT, 0, 0);
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
        final InvalidationWaitEvent event = InvalidationWaitEvent.started(); // null while no JFR recording takes it
        clear(pasid, va, length);
        int waited = awaitEngines(advanceEpoch()); // no walk that may have read the old tables is still in flight
        clear(pasid, va, length); // drop what those walks inserted after the first clear
        if (SECOND_WAIT) {
            // an engine that entered during the first wait may have hit such an entry before the second clear
            waited += awaitEngines(advanceEpoch());
        }
        if (event != null) {
            event.finished(pasid, va, length, waited);
        }
    }

    private synchronized long advanceEpoch() {
        final long next = epoch + 1;
        epoch = next; // volatile: pairs with enter's volatile re-read
        return next;
    }

    /**
     * Waits until every slot is idle or holds {@code newEpoch} or later; returns how many slots it had to wait for
     * (each counted in its engine's counters).
     */
    private int awaitEngines(long newEpoch) {
        final int bound = userCount; // volatile: a slot registered later enters after this epoch (see enter)
        int waitedFor = 0;
        for (int slot = 0; slot < bound; slot++) {
            int spins = 0;
            // volatile scan: pairs with enter's volatile store (Dekker), and with leave's / unregister's stores
            while ((long) LONGS.getVolatile(users, slot * USER_STRIDE) < newEpoch) {
                if (++spins > 1000) {
                    Thread.yield();
                } else {
                    Thread.onSpinWait();
                }
            }
            if (spins > 0) {
                waitedFor++;
                final EngineCounters c = slotCounters[slot];
                if (c != null) {
                    c.invalidationWaited();
                }
            }
        }
        return waitedFor;
    }

    private void clear(int pasid, long va, long length) {
        if (pasid >= 0 && length >= 0 && length <= TARGETED_LIMIT) {
            clearTargeted(pasid, va, length, 0, COALESCED);
            return;
        }
        // inclusive last bytes, here and per entry: a range or an entry that ends at 2^64 has an end of 0
        final long last = length <= 0 ? va : va + length - 1;
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
                    final int shift = shiftOf((int) ((value >>> SIZE_SHIFT) & 3));
                    final long pageStart = entries[base + PAGE] << shift;
                    final long pageLast = pageStart + (1L << shift) - 1;
                    if (Long.compareUnsigned(pageLast, va) < 0 || Long.compareUnsigned(pageStart, last) > 0) {
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
                VarHandle.storeStoreFence(); // odd version before the payload store, as in insert
                entries[base + VALUE] = 0;
                LONGS.setRelease(entries, base + VERSION, v + 2);
                return;
            }
            Thread.onSpinWait();
        }
    }

    /** Ranges up to this many bytes are invalidated by probing their entries' slots instead of scanning the table. */
    private static final long TARGETED_LIMIT = 1L << 20;

    /**
     * Each page of the range at every page size from {@code fromSize} to {@code toSize} (codes) has exactly one
     * possible slot: probe those.
     */
    private void clearTargeted(int pasid, long va, long length, int fromSize, int toSize) {
        final long end = va + Math.max(length, 1);
        for (int size = fromSize; size <= toSize; size++) { // a coalesced entry too: one probe per 64 KiB group
            final int shift = shiftOf(size);
            for (long page = va >>> shift; page <= (end - 1) >>> shift; page++) {
                final int base = index(pasid, page, size) * STRIDE;
                for (;;) {
                    final long v = (long) LONGS.getAcquire(entries, base + VERSION);
                    final long value = entries[base + VALUE];
                    final boolean ours = (value & VALID) != 0 && entries[base + PAGE] == page
                        && entries[base + PASID] == pasid && ((value >>> SIZE_SHIFT) & 3) == size;
                    VarHandle.loadLoadFence(); // the payload loads above before the version re-read below
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

    private static int shiftOf(int size) {
        return size == COALESCED ? COALESCED_SHIFT : 12 + 9 * size;
    }

    private static int sizeOf(int pageShift) {
        return switch (pageShift) {
            case 12 -> 0;
            case 21 -> 1;
            case 30 -> 2;
            case COALESCED_SHIFT -> COALESCED;
            default -> throw new IllegalArgumentException("no IOTLB entry spans 2^" + pageShift + " bytes");
        };
    }

    /** Pages per run of consecutive entries (see {@link #index}). */
    private static final int RUN_BITS = 4;

    /**
     * The one slot of (PASID, page, size). Pages are hashed in aligned runs of {@code 2^RUN_BITS}, and the pages of a
     * run take consecutive slots: a DMA over a contiguous buffer looks up adjacent entries (a few cache lines the
     * prefetcher streams) instead of one random line of a 2 MiB table per page — a miss that cost ~36 ns per 4 KiB
     * page and operand under a 1 MiB memmove, more than a third of the copy.
     */
    private int index(int pasid, long page, int size) {
        final int slot = runIndex(pasid, page, size);
        if (size == COALESCED) {
            // never in the run of its own group's 4 KiB pages: there a write to the page sharing its slot would evict
            // it, the next read re-insert it (dropping that page's entry), and the two would walk on every access
            final int own = runIndex(pasid, page << (COALESCED_SHIFT - 12), 0);
            if (((slot ^ own) & ~((1 << RUN_BITS) - 1)) == 0) {
                return (slot ^ (1 << RUN_BITS)) & mask;
            }
        }
        return slot;
    }

    private int runIndex(int pasid, long page, int size) {
        long h = (page >>> RUN_BITS) * 0x9E37_79B9_7F4A_7C15L + pasid * 0xC2B2_AE3D_27D4_EB4FL + size;
        h ^= h >>> 29;
        return (int) ((h << RUN_BITS) | (page & ((1 << RUN_BITS) - 1))) & mask;
    }
}
