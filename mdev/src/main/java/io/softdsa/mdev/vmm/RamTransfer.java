package io.softdsa.mdev.vmm;

import io.softdsa.mdev.translation.GuestMemory;
import io.softdsa.memory.FrameAllocator;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

/**
 * Guest RAM from the source host to the destination host, page by page, at the link's bandwidth. Reads the source
 * through {@link GuestMemory#backedAddress} (no fault, no vCPU dirty mark: the VMM is not the guest) and writes the
 * destination through {@link GuestMemory#backIncoming}. A page the source has never backed is all zeros on both sides
 * and is not sent (QEMU's zero pages). The destination's host memory is the only thing written: its device is not
 * running yet, so nothing races the copy there.
 */
final class RamTransfer {
    private static final long PAGE = FrameAllocator.FRAME_SIZE;
    /** Pacing granularity: sleep only when ahead of the link by more than this. */
    private static final long SLACK_NANOS = 200_000;

    private final GuestMemory source;
    private final GuestMemory destination;
    private final MemorySegment from;
    private final MemorySegment to;
    private final long pages;
    private final long bandwidth;
    private long roundStart;
    private long roundBytes;
    private long totalBytes;

    RamTransfer(GuestMemory source, GuestMemory destination, long bandwidthBytesPerSecond) {
        if (source.size() != destination.size()) {
            throw new IllegalArgumentException("guest RAM sizes differ: " + source.size() + " / "
                + destination.size());
        }
        this.source = source;
        this.destination = destination;
        this.from = source.hostMemory().segment();
        this.to = destination.hostMemory().segment();
        this.pages = source.size() / PAGE;
        this.bandwidth = bandwidthBytesPerSecond;
    }

    long pages() {
        return pages;
    }

    long totalBytes() {
        return totalBytes;
    }

    /** Round 0: every backed page. Returns the bytes copied. */
    long copyAll() {
        beginRound();
        long copied = 0;
        for (long p = 0; p < pages; p++) {
            copied += copyPage(p * PAGE);
        }
        return copied;
    }

    /** The pages set in {@code bitmap} (bit k = page k). Returns the bytes copied. */
    long copy(long[] bitmap) {
        beginRound();
        long copied = 0;
        for (int w = 0; w < bitmap.length; w++) {
            for (long bits = bitmap[w]; bits != 0; bits &= bits - 1) {
                final long page = ((long) w << 6) + Long.numberOfTrailingZeros(bits);
                if (page < pages) {
                    copied += copyPage(page * PAGE);
                }
            }
        }
        return copied;
    }

    private void beginRound() {
        roundStart = System.nanoTime();
        roundBytes = 0;
    }

    private long copyPage(long gpa) {
        final long src = source.backedAddress(gpa);
        if (src < 0) {
            return 0;
        }
        final long dst = destination.backIncoming(gpa);
        if (dst < 0) {
            throw new IllegalStateException("destination cannot back guest-physical 0x" + Long.toHexString(gpa));
        }
        MemorySegment.copy(from, src, to, dst, PAGE);
        totalBytes += PAGE;
        pace(PAGE);
        return PAGE;
    }

    /** Sent {@code bytes} more: sleeps while ahead of what the link would have carried since the round began. */
    void pace(long bytes) {
        if (bandwidth == Long.MAX_VALUE) {
            return;
        }
        roundBytes += bytes;
        final long due = roundStart + (long) (roundBytes * 1e9 / bandwidth);
        final long ahead = due - System.nanoTime();
        if (ahead > SLACK_NANOS) {
            LockSupport.parkNanos(ahead);
        }
    }

    static long[] union(long[] a, long[] b) {
        final long[] out = new long[Math.max(a.length, b.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (i < a.length ? a[i] : 0) | (i < b.length ? b[i] : 0);
        }
        return out;
    }

    static long count(long[] bitmap) {
        long n = 0;
        for (long w : bitmap) {
            n += Long.bitCount(w);
        }
        return n;
    }

    static long[] all(long pages) {
        final long[] out = new long[(int) ((pages + 63) >>> 6)];
        for (long p = 0; p < pages; p++) {
            out[(int) (p >>> 6)] |= 1L << p;
        }
        return out;
    }
}
