package io.softdsa.reliability.lincheck;

import io.softdsa.engine.DescriptorRing;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Constructor;

/**
 * Rings and descriptors for the portal proofs. A test descriptor carries its id in every one of its eight words
 * ({@code id << 8 | word index}), so a consumer can tell a whole descriptor from a torn or stale one.
 */
final class Rings {
    /** What a dispatch returns when the ring holds nothing. */
    static final int EMPTY = 0;
    /** What a dispatch returns when the 64 bytes it copied are not one whole descriptor. */
    static final int TORN = -1;
    /** The bits of a test descriptor's first word that hold its id. */
    static final long ID_BITS = ~0xFFL;

    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;

    private Rings() {
    }

    /** The engine's {@link DescriptorRing}, as shipped (real threads, no switch points). */
    static RingAccess engine(int size) {
        return engine(new DescriptorRing(size));
    }

    static RingAccess engine(DescriptorRing ring) {
        return new RingAccess() {
            @Override
            public int offer(MemorySegment src, long srcOffset, int limit, long pasidWord) {
                return ring.offer(src, srcOffset, limit, pasidWord);
            }

            @Override
            public long peek() {
                return ring.peek();
            }

            @Override
            public boolean claim(long position, MemorySegment dst, long dstOffset) {
                return ring.claim(position, dst, dstOffset);
            }

            @Override
            public int claimRun(long position, int max, long sameBits, MemorySegment dst, long dstOffset) {
                return ring.claimRun(position, max, sameBits, dst, dstOffset);
            }

            @Override
            public long close() {
                return ring.close();
            }

            @Override
            public void open() {
                ring.open();
            }

            @Override
            public long headPosition() {
                return ring.headPosition();
            }

            @Override
            public long tailPosition() {
                return ring.tailPosition();
            }
        };
    }

    /** The twin of the engine's {@link DescriptorRing}: its bytecode with a switch point at every off-heap access. */
    static RingAccess engineTwin(int size) {
        return twin(DescriptorRing.class, size);
    }

    /**
     * The planted-bug variant of the engine's ring, generated from its bytecode: {@code DescriptorRing} with its
     * ordering step {@code WRITES_BEFORE_PUBLISH} off, so {@code offer} releases the slot's sequence before writing the
     * descriptor's 64 bytes into it (today's claim algorithm otherwise: copy, then take and free in one CAS of head).
     */
    static RingAccess publishBeforeCopyTwin(int size) {
        return construct(OffHeapTwin.planted(DescriptorRing.class, "WRITES_BEFORE_PUBLISH", RingAccess.class), size);
    }

    /**
     * The planted-bug variant for the producer's admission by head alone: {@code DescriptorRing} with
     * {@code COPY_BEFORE_TAKE} off, so a consumer copies the slot after the CAS of head that takes and frees it.
     */
    static RingAccess copyAfterTakeTwin(int size) {
        return construct(OffHeapTwin.planted(DescriptorRing.class, "COPY_BEFORE_TAKE", RingAccess.class), size);
    }

    /** The planted-bug variant for runs: {@code RUN_KEEPS_KEY} off, so a run ignores the bits it should keep to. */
    static RingAccess runIgnoresKeyTwin(int size) {
        return construct(OffHeapTwin.planted(DescriptorRing.class, "RUN_KEEPS_KEY", RingAccess.class), size);
    }

    private static RingAccess twin(Class<?> original, int size) {
        return construct(OffHeapTwin.define(original, RingAccess.class), size);
    }

    private static RingAccess construct(Class<?> twin, int size) {
        try {
            final Constructor<?> c = twin.getConstructor(int.class);
            return (RingAccess) c.newInstance(size);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh 64-byte descriptor (on the heap: it is the submitter's own buffer) carrying {@code id}. */
    static MemorySegment descriptor(int id) {
        final MemorySegment d = MemorySegment.ofArray(new long[8]);
        for (int i = 0; i < 8; i++) {
            d.set(WORD, 8L * i, (long) id << 8 | i);
        }
        return d;
    }

    /** The id of a whole descriptor, or {@link #TORN}. */
    static int decode(MemorySegment d) {
        final long first = d.get(WORD, 0);
        for (int i = 0; i < 8; i++) {
            if (d.get(WORD, 8L * i) != ((first & ~0xFFL) | i)) {
                return TORN;
            }
        }
        final long id = first >>> 8;
        return id >= 1 && id <= Integer.MAX_VALUE ? (int) id : TORN;
    }

    /**
     * An engine's fetch (as {@code Engine.doWork}: peek, then claim the position with a CAS on head), returning the
     * dispatched descriptor's id. Where the engine would simply come back later when the slot at head is claimed by a
     * producer that has not published it yet, this waits for the publish, so that an empty answer means the WQ
     * really held nothing: head had reached tail.
     */
    static int dispatch(RingAccess ring) {
        final MemorySegment fetch = MemorySegment.ofArray(new long[8]);
        for (;;) {
            final long position = ring.peek();
            if (position >= 0) {
                if (ring.claim(position, fetch, 0)) {
                    return decode(fetch);
                }
            } else if (ring.headPosition() >= ring.tailPosition()) {
                return EMPTY;
            } else {
                Thread.onSpinWait(); // a producer owns the slot at head and is still writing it
            }
        }
    }

    /**
     * An engine's fetch of a run (as {@code Engine.doWork} on a WQ it serves alone: peek, then {@code claimRun} of up
     * to two with one CAS on head), returning the ids taken as {@code 10 * first + second}, just the first's for a run
     * of one, {@link #EMPTY}, or {@link #TORN} if either is not one whole descriptor. Waits for a publish at head, as
     * {@link #dispatch} does.
     */
    static int dispatchRun(RingAccess ring) {
        return dispatchRun(ring, 0);
    }

    /**
     * {@link #dispatchRun}, keeping the run to descriptors whose first words agree with the first's in
     * {@code sameBits} (with {@link #ID_BITS}: one id per run, as an engine keeps a run to one PASID).
     */
    static int dispatchRun(RingAccess ring, long sameBits) {
        final MemorySegment fetch = MemorySegment.ofArray(new long[16]);
        for (;;) {
            final long position = ring.peek();
            if (position >= 0) {
                final int n = ring.claimRun(position, 2, sameBits, fetch, 0);
                if (n == 1) {
                    return decode(fetch);
                }
                if (n == 2) {
                    final int first = decode(fetch);
                    final int second = decode(fetch.asSlice(64, 64));
                    return first == TORN || second == TORN ? TORN : 10 * first + second;
                }
            } else if (ring.headPosition() >= ring.tailPosition()) {
                return EMPTY;
            } else {
                Thread.onSpinWait(); // a producer owns the slot at head and is still writing it
            }
        }
    }
}
