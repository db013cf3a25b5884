package io.softdsa.reliability.stress.hostile;

import io.softdsa.memory.HostMemory;
import io.softdsa.memory.Page;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The host frames the hostile run hands to its tenants, taken from the host allocator at the start and never given
 * back to it: a frame no tenant maps sits here filled with a poison pattern of its own (a function of its address,
 * so that a copy of another canary frame is also seen), and is checked when it is handed out again and by
 * {@link #scan()}. A device write into a frame that was unmapped (after {@code unmap()} returned) or never mapped is
 * therefore seen, whoever made it. Frames are reused oldest-first, so a freed frame stays poisoned as long as
 * possible.
 */
final class FramePool {
    private static final long PAGE = Page.SIZE;
    private static final int POOL = 0;
    private static final int OUT = 1;
    private static final int CHECKING = 2;

    private final MemorySegment m;
    private final long[] frames;
    private final AtomicIntegerArray state;
    private final AtomicReferenceArray<String> history;
    private final ConcurrentLinkedQueue<Integer> free = new ConcurrentLinkedQueue<>();
    private final java.util.Map<Long, Integer> indexOf = new java.util.HashMap<>(); // read-only after construction
    private final Violations violations;

    FramePool(HostMemory memory, int count, Violations violations) {
        this.m = memory.segment();
        this.violations = violations;
        this.frames = new long[count];
        this.state = new AtomicIntegerArray(count);
        this.history = new AtomicReferenceArray<>(count);
        for (int i = 0; i < count; i++) {
            frames[i] = memory.frames().allocateFrame();
            poison(frames[i]);
            history.set(i, "never mapped");
            indexOf.put(frames[i], i);
            free.add(i);
        }
    }

    int size() {
        return frames.length;
    }

    /** The poison word at byte {@code i} of {@code frame}: differs between frames and between words of a frame. */
    static long poisonWord(long frame, long i) {
        return 0xC5A5_0000_0000_0000L ^ (frame << 4) ^ i ^ 0x5A;
    }

    private void poison(long frame) {
        for (long i = 0; i < PAGE; i += 8) {
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, frame + i, poisonWord(frame, i));
        }
    }

    /** First offset in {@code frame} that is not poison, or -1. */
    private int firstChanged(long frame) {
        for (long i = 0; i < PAGE; i += 8) {
            if (m.get(ValueLayout.JAVA_LONG_UNALIGNED, frame + i) != poisonWord(frame, i)) {
                return (int) i;
            }
        }
        return -1;
    }

    /** A zeroed frame for a tenant to map (its poison checked first); -1 if none is free. */
    long take(String who) {
        for (int attempt = 0; attempt < frames.length; attempt++) {
            final Integer boxed = free.poll();
            if (boxed == null) {
                return -1;
            }
            final int i = boxed;
            // CAS against the scanner, which holds CHECKING only while it reads the frame
            while (!state.compareAndSet(i, POOL, OUT)) {
                Thread.onSpinWait();
            }
            check(i, "when handed to " + who);
            m.asSlice(frames[i], PAGE).fill((byte) 0);
            history.set(i, "mapped by " + who);
            return frames[i];
        }
        return -1;
    }

    /** Takes back {@code frame} after its tenant's {@code unmap()} returned: poisoned from now on. */
    void give(long frame, String how) {
        final int i = index(frame);
        poison(frame);
        history.set(i, how);
        state.set(i, POOL); // volatile store: the scanner's CAS (volatile read) sees the poison before checking
        free.add(i);
    }

    private int index(long frame) {
        final Integer i = indexOf.get(frame);
        if (i == null) {
            throw new IllegalArgumentException("not a pool frame: 0x" + Long.toHexString(frame));
        }
        return i;
    }

    private void check(int i, String when) {
        final int off = firstChanged(frames[i]);
        if (off >= 0) {
            violations.violated(Violations.Invariant.CANARY, "pool frame 0x" + Long.toHexString(frames[i])
                + " changed at +" + off + " (" + history.get(i) + "), seen " + when);
            poison(frames[i]); // report each write once
        }
    }

    /** Checks every frame in the pool; returns how many frames it checked. */
    int scan() {
        int n = 0;
        for (int i = 0; i < frames.length; i++) {
            if (state.compareAndSet(i, POOL, CHECKING)) {
                check(i, "by the scanner");
                state.set(i, POOL);
                n++;
            }
        }
        return n;
    }
}
