package io.softdsa.memory;

/**
 * Page-frame allocator over host memory: 4 KiB frames tracked in a bitmap, with physically contiguous, naturally
 * aligned runs for 2 MiB and 1 GiB pages. Frame 0 is reserved so that host-physical address 0 is never handed out
 * (a zero address in a descriptor is then always a bug, never a buffer).
 * <p>
 * A control-path structure (page-table building, buffer allocation): methods are synchronized, never called by
 * engines.
 */
public final class FrameAllocator {
    /** A frame is one page of host memory. */
    public static final int FRAME_SHIFT = Page.SHIFT;
    public static final long FRAME_SIZE = Page.SIZE;
    public static final long LARGE_2M = 2L << 20;
    public static final long LARGE_1G = 1L << 30;

    private final long frameCount;
    private final long[] used;
    private long freeFrames;
    private long cursor;

    public FrameAllocator(long bytes) {
        this.frameCount = bytes >>> FRAME_SHIFT;
        this.used = new long[(int) ((frameCount + 63) >>> 6)];
        this.freeFrames = frameCount;
        // bits past the end are permanently "used"
        for (long f = frameCount; f < (long) used.length << 6; f++) {
            used[(int) (f >>> 6)] |= 1L << f;
        }
        mark(0, 1, true);
    }

    public long frameCount() {
        return frameCount;
    }

    public synchronized long freeFrames() {
        return freeFrames;
    }

    /** One 4 KiB frame; returns its host-physical address. */
    public synchronized long allocateFrame() {
        final int words = used.length;
        int w = (int) (cursor >>> 6);
        for (int i = 0; i <= words; i++, w++) {
            if (w == words) {
                w = 0;
            }
            final long free = ~used[w];
            if (free != 0) {
                final long frame = ((long) w << 6) + Long.numberOfTrailingZeros(free);
                mark(frame, 1, true);
                cursor = frame + 1;
                return frame << FRAME_SHIFT;
            }
        }
        throw exhausted(FRAME_SIZE, FRAME_SIZE);
    }

    /**
     * A physically contiguous run of {@code bytes} (rounded up to frames) aligned to {@code alignment} bytes
     * (a power of two, at least 4 KiB).
     */
    public synchronized long allocateContiguous(long bytes, long alignment) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("bytes must be positive: " + bytes);
        }
        if (alignment < FRAME_SIZE || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two >= " + FRAME_SIZE + ": " + alignment);
        }
        final long frames = (bytes + FRAME_SIZE - 1) >>> FRAME_SHIFT;
        final long step = alignment >>> FRAME_SHIFT;
        for (long start = step; start + frames <= frameCount; ) {
            final long firstUsed = firstUsedIn(start, frames);
            if (firstUsed < 0) {
                mark(start, frames, true);
                return start << FRAME_SHIFT;
            }
            start = ((firstUsed / step) + 1) * step;
        }
        throw exhausted(bytes, alignment);
    }

    public long allocate2M() {
        return allocateContiguous(LARGE_2M, LARGE_2M);
    }

    public long allocate1G() {
        return allocateContiguous(LARGE_1G, LARGE_1G);
    }

    /** Returns {@code bytes} (rounded up to frames) at {@code address} to the free pool. */
    public synchronized void free(long address, long bytes) {
        if ((address & (FRAME_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("not a frame address: 0x" + Long.toHexString(address));
        }
        final long first = address >>> FRAME_SHIFT;
        final long frames = (bytes + FRAME_SIZE - 1) >>> FRAME_SHIFT;
        if (first == 0 || first + frames > frameCount) {
            throw new IllegalArgumentException("frames outside allocatable memory: 0x" + Long.toHexString(address));
        }
        for (long f = first; f < first + frames; f++) {
            if ((used[(int) (f >>> 6)] & (1L << f)) == 0) {
                throw new IllegalStateException("double free of frame 0x" + Long.toHexString(f << FRAME_SHIFT));
            }
        }
        mark(first, frames, false);
    }

    public synchronized boolean isAllocated(long address) {
        final long f = address >>> FRAME_SHIFT;
        return f < frameCount && (used[(int) (f >>> 6)] & (1L << f)) != 0;
    }

    private long firstUsedIn(long start, long frames) {
        final long end = start + frames;
        long f = start;
        while (f < end) {
            final int w = (int) (f >>> 6);
            long bits = used[w] & (-1L << f);
            final long wordEnd = ((long) w + 1) << 6;
            if (end < wordEnd) {
                bits &= (1L << end) - 1;
            }
            if (bits != 0) {
                return ((long) w << 6) + Long.numberOfTrailingZeros(bits);
            }
            f = wordEnd;
        }
        return -1;
    }

    private void mark(long start, long frames, boolean set) {
        for (long f = start; f < start + frames; ) {
            final int w = (int) (f >>> 6);
            if ((f & 63) == 0 && start + frames - f >= 64) {
                used[w] = set ? -1L : 0L;
                f += 64;
            } else {
                used[w] = set ? used[w] | (1L << f) : used[w] & ~(1L << f);
                f++;
            }
        }
        freeFrames += set ? -frames : frames;
    }

    private HostMemoryExhaustedException exhausted(long bytes, long alignment) {
        return new HostMemoryExhaustedException("host memory exhausted: no free run of " + bytes
            + " bytes aligned to " + alignment + " (" + freeFrames + " of " + frameCount + " frames free)");
    }

    @Override
    public synchronized String toString() {
        return "FrameAllocator{frames=" + frameCount + ", free=" + freeFrames + "}";
    }
}
