package io.softdsa.engine;

import io.softdsa.memory.Le;
import io.softdsa.memory.ProcessMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;

import static io.softdsa.engine.RingLayout.*;

/**
 * A WQ's storage: a bounded lock-free multi-producer, multi-consumer ring of 64-byte descriptor slots in off-heap
 * memory (a Vyukov sequence ring). Producers are submitters; consumers are the engines of the WQ's group and the
 * Abort command.
 * <p>
 * The ring has a power-of-two capacity of at least twice the WQ size, and admission is bounded by occupancy
 * (tail - head: descriptors submitted and not yet taken) against a limit (the WQ size, or its threshold on the
 * limited portal), so a retry means the WQ really held {@code limit} descriptors at that moment.
 * <p>
 * Ordering: a producer claims a position by CAS on tail, writes the 64 bytes with plain stores, then publishes with
 * a <em>release</em> store of the slot's sequence ({@code pos + 1}). A consumer's <em>acquire</em> load of that
 * sequence pairs with it, so an engine never sees a half-written descriptor. The consumer copies the slot while
 * head is still at its position (nothing can overwrite the slot then), and takes it with one CAS of head from
 * {@code pos} to {@code pos + 1}: taking and freeing are one atomic step, so no slot is ever held by a consumer that
 * has not finished with it (a slot "claimed but not yet freed" would make a producer see a full ring that is not
 * full, as an earlier version of this ring did). Only producers write a slot; a consumer only reads it, so the
 * slot's lines cross between the cores once per descriptor and no consumer waits for a line to become its own. A
 * consumer may take a run of published descriptors with that one CAS ({@link #claimRun}), copying each first.
 * <p>
 * Head passes a position only after its slot was copied, so a producer needs no look at the slot it is about to
 * write: admission already proved it free. Occupancy below the limit means head {@code > tail - capacity / 2}, so
 * the slot's previous lap ({@code tail - capacity}) lies below head and was taken. The producer's acquire of head
 * (directly, or of the head cache, which is stored with release after such an acquire) pairs with the release CAS
 * that moved head: the consumer's copy of the old descriptor happens-before the producer's overwrite. A slot's
 * sequence keeps its last published value until its next lap publishes ({@code pos + 1 + capacity}), so
 * {@code seq == pos + 1} says "position {@code pos} is published" and nothing else: an unpublished position's slot
 * holds its previous lap's {@code pos + 1 - capacity}, or, on the first lap, {@code pos}.
 */
public final class DescriptorRing {
    /** {@link #offer} results. */
    public static final int ACCEPTED = 0;
    public static final int FULL = 1;
    public static final int CLOSED_RESULT = 2;

    /**
     * The slot's 64 bytes are written before its sequence is published. Always true here; the reliability module's
     * planted-bug variant (a twin of this bytecode) turns it off to show the model checker catches a torn descriptor.
     * Not a compile-time constant only so that javac keeps the read the twin rewrites; the JIT folds it.
     */
    private static final boolean WRITES_BEFORE_PUBLISH = Boolean.TRUE.booleanValue();
    /**
     * A consumer copies the slot before the CAS that takes it. Always true here; the planted-bug variant turns it off
     * (copy after taking), which lets the slot's next lap be written under the copy: a lost or torn descriptor.
     */
    private static final boolean COPY_BEFORE_TAKE = Boolean.TRUE.booleanValue();
    /**
     * A run ends before a descriptor that differs from its first in {@code sameBits}. Always true here; the planted
     * variant turns it off, so a run takes another PASID's descriptors along, which Abort PASID's wait cannot see.
     */
    private static final boolean RUN_KEEPS_KEY = Boolean.TRUE.booleanValue();

    /**
     * Every access to the ring goes through this constant at {@link #base} plus a {@link RingLayout} offset, not
     * through {@link #memory}: a segment loaded from a field is checked on every access (bounds, liveness, owner
     * thread, alignment), about 16 checks per descriptor on each side, which the JIT folds away for a
     * {@code static final} one (JMH {@code EngineWork}, alternated: 5-8 % of a descriptor's single-thread cost).
     * Safe because the ring's memory is its own ({@link #memory}, an automatic arena's), freed only once this ring
     * is unreachable, and every method that reads through it ends with a reachability fence on {@code this}; every
     * offset is one of the layout's, inside the allocation by construction.
     */
    private static final MemorySegment M = ProcessMemory.ALL;
    /** The ring's memory: only held, to keep it alive (see {@link #M}). */
    private final MemorySegment memory;
    /** Native address of the ring's byte 0. */
    private final long base;
    private final int size;
    private final int capacity;
    private final int mask;
    /**
     * When each slot's descriptor was submitted, for the JFR event's queue time: per slot, the position it was
     * stamped for, then the time ({@code System.nanoTime()}). Written only by a submitter that times its descriptor
     * (while a recording takes {@code io.softdsa.DescriptorCompleted}; otherwise nothing is stored), between its
     * claiming CAS and its publishing release, position first with a store-store fence before the time. Read by
     * {@link #enqueueStamp} after the claim: time, load-load fence, position — a time of a later lap comes with that
     * lap's position, so a pair whose position is not the claimed one is refused (and a slot never stamped for this
     * lap holds an older position). Heap memory, off the ring's own layout.
     */
    private final long[] stamps;

    /**
     * @param size the largest WQ size this ring must hold (admission limits are given per offer); the ring's memory
     *             is its own, freed when the ring is unreachable
     */
    public DescriptorRing(int size) {
        if (size < 1 || size > 1 << 16) {
            throw new IllegalArgumentException("WQ size must be 1..65536: " + size);
        }
        this.size = size;
        this.capacity = Integer.highestOneBit(size) << (Integer.bitCount(size) == 1 ? 1 : 2);
        this.mask = capacity - 1;
        this.memory = Arena.ofAuto().allocate(RingLayout.totalLength(capacity), PAD);
        this.base = memory.address();
        this.stamps = new long[2 * capacity];
        for (int i = 0; i < capacity; i++) {
            M.set(Le.LONG, base + sequenceOffset(i), i);
        }
        Le.setLongRelease(M, base + TAIL_OFFSET, CLOSED);
        Reference.reachabilityFence(this); // see M
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Copies the 64 bytes at {@code src + srcOffset} into a claimed slot.
     * <p>
     * The source is read (into locals) and checked before a position is claimed, so nothing the submitter hands in
     * (a segment too short, of a closed arena, of another thread's confined arena) can fail after the claim: a
     * claimed position that is never published would stop the WQ for every submitter and for Abort. Between the
     * claiming CAS and the publishing store the ring only writes its own memory.
     *
     * @param limit       admit only while occupancy is below this (WQ size, or threshold for the limited portal)
     * @param pasidWord   if not -1, replaces descriptor bytes 0-3 (ENQCMD's PASID from IA32_PASID, Priv = 0)
     * @return {@link #ACCEPTED}, {@link #FULL} or {@link #CLOSED_RESULT}
     * @throws IllegalArgumentException if {@code src} holds no 64 bytes at {@code srcOffset} (nothing claimed)
     * @throws IllegalStateException    if {@code src}'s arena is closed (nothing claimed)
     */
    public int offer(MemorySegment src, long srcOffset, int limit, long pasidWord) {
        return offer(src, srcOffset, limit, pasidWord, 0);
    }

    /**
     * {@link #offer(MemorySegment, long, int, long)} with the submission time {@code stamp} ({@code System.nanoTime()},
     * or 0 for none: then nothing more is stored) kept with the descriptor for {@link #enqueueStamp}.
     */
    public int offer(MemorySegment src, long srcOffset, int limit, long pasidWord, long stamp) {
        checkSource(src, srcOffset);
        // the whole descriptor into registers first (ENQCMD / MOVDIR64B read their source before the bus write):
        // any fault of the source's memory is thrown here, before anything is claimed
        long w0 = src.get(Le.LONG, srcOffset);
        final long w1 = src.get(Le.LONG, srcOffset + 8);
        final long w2 = src.get(Le.LONG, srcOffset + 16);
        final long w3 = src.get(Le.LONG, srcOffset + 24);
        final long w4 = src.get(Le.LONG, srcOffset + 32);
        final long w5 = src.get(Le.LONG, srcOffset + 40);
        final long w6 = src.get(Le.LONG, srcOffset + 48);
        final long w7 = src.get(Le.LONG, srcOffset + 56);
        if (pasidWord != -1) {
            w0 = (w0 & 0xFFFF_FFFF_0000_0000L) | (pasidWord & 0xFFFF_FFFFL); // bytes 0-3, little-endian
        }
        try {
            for (;;) {
                final long tail = Le.getLongVolatile(M, base + TAIL_OFFSET);
                if ((tail & CLOSED) != 0) {
                    return CLOSED_RESULT;
                }
                // acquire: pairs with the release of whoever stored the cache (after its own acquire of head), so every
                // consumer's copy of a slot below `head` happens-before this producer's writes (class comment)
                long head = Le.getLongAcquire(M, base + HEAD_CACHE_OFFSET);
                if (tail - head >= limit) {
                    // tail was read first, so at the instant head is read the real occupancy is at least tail - head
                    head = currentHead();
                    Le.setLongRelease(M, base + HEAD_CACHE_OFFSET, head);
                    if (tail - head >= limit) {
                        return FULL;
                    }
                }
                final long seqOffset = sequenceOffset((int) tail & mask);
                // no read of the slot's sequence: tail - head < limit <= capacity / 2 proved it free (class comment)
                if (Le.compareAndSetLong(M, base + TAIL_OFFSET, tail, tail + 1)) {
                    final long slot = slotOffset((int) tail & mask);
                    if (!WRITES_BEFORE_PUBLISH) {
                        Le.setLongRelease(M, base + seqOffset, tail + 1); // planted-bug variant only (see the flag)
                    }
                    M.set(Le.LONG, base + slot, w0);
                    M.set(Le.LONG, base + slot + 8, w1);
                    M.set(Le.LONG, base + slot + 16, w2);
                    M.set(Le.LONG, base + slot + 24, w3);
                    M.set(Le.LONG, base + slot + 32, w4);
                    M.set(Le.LONG, base + slot + 40, w5);
                    M.set(Le.LONG, base + slot + 48, w6);
                    M.set(Le.LONG, base + slot + 56, w7);
                    if (stamp != 0) {
                        final int i = 2 * ((int) tail & mask);
                        stamps[i] = tail;
                        VarHandle.storeStoreFence(); // the position before the time: pairs with enqueueStamp's fence
                        stamps[i + 1] = stamp;
                    }
                    if (WRITES_BEFORE_PUBLISH) {
                        Le.setLongRelease(M, base + seqOffset, tail + 1); // publish: pairs with peek()'s acquire
                    }
                    return ACCEPTED;
                }
                Thread.onSpinWait(); // another producer moved tail: read again
            }
        } finally {
            Reference.reachabilityFence(this); // see M
        }
    }

    /** What {@link #offer} refuses before claiming anything: a source without 64 readable bytes. */
    private static void checkSource(MemorySegment src, long srcOffset) {
        if (srcOffset < 0 || srcOffset > src.byteSize() - RingLayout.SLOT_LENGTH) {
            throw new IllegalArgumentException("a descriptor is 64 bytes: the source segment of " + src.byteSize()
                + " bytes has none at offset " + srcOffset);
        }
        if (!src.scope().isAlive()) {
            throw new IllegalStateException("the descriptor's source segment belongs to a closed arena");
        }
        if (!src.isAccessibleBy(Thread.currentThread())) {
            throw new IllegalStateException("the descriptor's source segment is confined to another thread");
        }
    }

    /** Head: every position below it is taken. Acquire: pairs with the taking CAS (see the class comment). */
    private long currentHead() {
        final long head = Le.getLongAcquire(M, base + HEAD_OFFSET);
        Reference.reachabilityFence(this); // see M
        return head;
    }

    /** The position at head if its descriptor is published (and, at the instant of the read, not taken), else -1. */
    public long peek() {
        final long head = Le.getLongVolatile(M, base + HEAD_OFFSET);
        final long seq = Le.getLongAcquire(M, base + sequenceOffset((int) head & mask)); // pairs with offer's publish
        Reference.reachabilityFence(this); // see M
        return seq == head + 1 ? head : -1; // else empty, or the producer of this position is still writing it
    }

    /**
     * The submission time of the descriptor this consumer claimed at {@code position} ({@code System.nanoTime()}), or
     * 0 if its submitter did not time it (or a submitter of a later lap is overwriting the slot's stamp already).
     */
    public long enqueueStamp(long position) {
        final int i = 2 * ((int) position & mask);
        final long time = stamps[i + 1];
        VarHandle.loadLoadFence(); // the time before the position: pairs with offer's store-store fence
        return stamps[i] == position ? time : 0;
    }

    /**
     * Takes the descriptor at {@code position} (from {@link #peek}) if no other consumer took it first, copying it
     * to {@code dst + dstOffset}.
     */
    public boolean claim(long position, MemorySegment dst, long dstOffset) {
        return claimRun(position, 1, 0, dst, dstOffset) == 1;
    }

    /**
     * Takes the descriptor at {@code position} (from {@link #peek}) and up to {@code max - 1} published ones after it,
     * copying descriptor {@code position + i} to {@code dst} at {@code dstOffset + 64 i}, with one CAS of head (a
     * run of one is {@link #claim}: the copy is optimistic, as head stays at {@code position} until that CAS and only
     * grows, so a successful CAS proves the bytes copied are the descriptors seen published); returns how many
     * it took, or 0 if another consumer took {@code position} first.
     * <p>
     * Why a run may be copied before the CAS as one descriptor is: while head is at {@code position}, a producer may
     * write only positions below {@code position + capacity / 2} (admission keeps occupancy within the WQ size,
     * at most half the capacity), none of them a lap of a slot in the run, since every position of the run lies
     * below tail ≤ {@code position + capacity / 2}. Each further descriptor is taken only if its sequence says it is
     * published (acquire, pairing with its producer's publishing release); the CAS then frees the whole run at once.
     * So one consumer pays the taking CAS (and, on x86, the store-buffer drain it waits for) once per run, and the
     * run's slot lines are fetched with their loads in flight together.
     * <p>
     * A descriptor joins the run only if its first eight bytes agree with the first descriptor's in {@code sameBits}
     * (the engine passes the PASID field for a shared WQ): a run's descriptors then belong to one PASID, so an engine
     * that reports the PASID it runs for speaks for the rest of its run too, which Abort PASID relies on.
     */
    public int claimRun(long position, int max, long sameBits, MemorySegment dst, long dstOffset) {
        try {
            int n = 0;
            if (COPY_BEFORE_TAKE) {
                copy64(M, base + slotOffset((int) position & mask), dst, dstOffset);
                final long key = dst.get(Le.LONG, dstOffset) & sameBits;
                n = 1;
                while (n < max) {
                    final long next = position + n;
                    // pairs with offer's publishing release of `next`
                    if (Le.getLongAcquire(M, base + sequenceOffset((int) next & mask)) != next + 1) {
                        break; // not published yet (or its producer is still writing it): the run ends before it
                    }
                    final long slot = slotOffset((int) next & mask);
                    if (RUN_KEEPS_KEY && (M.get(Le.LONG, base + slot) & sameBits) != key) {
                        break; // another PASID's: it starts the next run
                    }
                    copy64(M, base + slot, dst, dstOffset + (long) SLOT_LENGTH * n);
                    n++;
                }
            } else { // planted-bug variant only (see the flag): the run's length is found first, copied after taking
                n = 1;
                final long key = M.get(Le.LONG, base + slotOffset((int) position & mask)) & sameBits;
                while (n < max
                    && Le.getLongAcquire(M, base + sequenceOffset((int) (position + n) & mask)) == position + n + 1
                    && (M.get(Le.LONG, base + slotOffset((int) (position + n) & mask)) & sameBits) == key) {
                    n++;
                }
            }
            // take and free the run in one step; a release CAS: pairs with a producer's acquire of head, which admits
            // the slots' next laps on it alone
            if (!Le.compareAndSetLong(M, base + HEAD_OFFSET, position, position + n)) {
                return 0;
            }
            if (!COPY_BEFORE_TAKE) {
                for (int i = 0; i < n; i++) {
                    copy64(M, base + slotOffset((int) (position + i) & mask), dst, dstOffset + (long) SLOT_LENGTH * i);
                }
            }
            return n;
        } finally {
            Reference.reachabilityFence(this); // see M
        }
    }

    /** Sets the CLOSED bit; returns the final tail position (every position below it was claimed by a producer). */
    public long close() {
        final long tail = Le.getAndBitwiseOrLong(M, base + TAIL_OFFSET, CLOSED);
        Reference.reachabilityFence(this); // see M
        return tail & POSITION_MASK;
    }

    public void open() {
        Le.LONG_HANDLE.getAndBitwiseAnd(M, base + TAIL_OFFSET, ~CLOSED);
        Reference.reachabilityFence(this); // see M
    }

    public boolean isClosed() {
        return (tail() & CLOSED) != 0;
    }

    public long tailPosition() {
        return tail() & POSITION_MASK;
    }

    private long tail() {
        final long tail = Le.getLongVolatile(M, base + TAIL_OFFSET);
        Reference.reachabilityFence(this); // see M
        return tail;
    }

    /** Positions taken by consumers: every position below head was copied and freed. */
    public long headPosition() {
        return currentHead();
    }

    /** Descriptors submitted and not yet dispatched (a snapshot). */
    public int occupancy() {
        final long head = headPosition();
        return (int) Math.max(0, tailPosition() - head);
    }

    private static void copy64(MemorySegment from, long fromOffset, MemorySegment to, long toOffset) {
        // eight plain 8-byte moves: the publishing release store orders a producer's, the taking release CAS a
        // consumer's
        for (int i = 0; i < 64; i += 8) {
            to.set(Le.LONG, toOffset + i, from.get(Le.LONG, fromOffset + i));
        }
    }
}
