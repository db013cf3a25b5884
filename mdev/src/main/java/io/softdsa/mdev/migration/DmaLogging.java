package io.softdsa.mdev.migration;

import io.softdsa.memory.Page;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * DMA dirty logging as {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START / _REPORT / _STOP} (6, 8, 7): one session at a
 * time over a list of IOVA ranges, report-and-clear into a bitmap, stop. Backed by a {@link DirtyTracker} (the
 * guest's stage-2 dirty bits), so exactly the device's DMA writes are logged.
 *
 * <p>Start: the ranges must be non-empty, at most {@link #maxRanges()} (more: E2BIG, as a device may refuse), each
 * of positive length, aligned to the page size, inside the 48-bit guest-physical space (EOVERFLOW) and not
 * overlapping another (EINVAL); the page size is a power of two of at least 4 KiB. The page size is a hint, as in the
 * uAPI: the tracking granularity returned is the hint, doubled until the ranges need at most
 * {@link #MAX_GRANULES} granules.
 *
 * <p>Report: for [iova, iova + length) inside the logged ranges, aligned to a power-of-two page size ≥ 4 KiB, bit k
 * of the result covers [iova + k·page, iova + (k+1)·page) and is set if a DMA write reached any tracking granule that
 * bit overlaps since the last report of it. Reporting at a page finer than the granularity sets every bit a dirty
 * granule covers. Dirty information is never lost: what is harvested from the stage-2 tables but falls outside the
 * reported range (a granule only partly reported) is kept for a later report. A failed report (EIO) means the caller
 * must treat all memory as dirty.
 */
public final class DmaLogging {
    /** vfio_main.c's LOG_MAX_RANGES: the ranges of one start fit one 4 KiB page (16 bytes each). */
    public static final int UAPI_MAX_RANGES = 256;
    /** Bound of the tracking state (one bit per granule over all ranges): 2 MiB of bitmap. */
    public static final long MAX_GRANULES = 1L << 24;
    /** Bound of one report's bitmap: 2^26 bits (8 MiB); split larger reports. */
    public static final long MAX_REPORT_BITS = 1L << 26;
    private static final long IOVA_LIMIT = 1L << 48;

    /** One IOVA range of a start ({@code struct vfio_device_feature_dma_logging_range}). */
    public record Range(long iova, long length) {
    }

    /** A granule-aligned run of tracked guest-physical space, with the dirty granules harvested and not reported. */
    private static final class Run {
        final long start;
        final long end;
        final long[] pending;

        Run(long start, long end, int shift) {
            this.start = start;
            this.end = end;
            this.pending = new long[(int) (((end - start) >>> shift) + 63 >>> 6)];
        }
    }

    private final DirtyTracker tracker;
    private final int maxRanges;
    private List<Range> ranges;
    private List<Run> runs;
    private int shift;

    public DmaLogging(DirtyTracker tracker) {
        this(tracker, UAPI_MAX_RANGES);
    }

    /** A logger that accepts at most {@code maxRanges} ranges per start. */
    public DmaLogging(DirtyTracker tracker, int maxRanges) {
        if (maxRanges < 1 || maxRanges > UAPI_MAX_RANGES) {
            throw new IllegalArgumentException("maxRanges " + maxRanges);
        }
        this.tracker = tracker;
        this.maxRanges = maxRanges;
    }

    public int maxRanges() {
        return maxRanges;
    }

    public synchronized boolean isStarted() {
        return ranges != null;
    }

    /** The tracking granularity of the running session (bytes). */
    public synchronized long granularity() {
        if (ranges == null) {
            throw new IllegalStateException("DMA logging not started");
        }
        return 1L << shift;
    }

    /** Starts a session; returns the tracking granularity chosen (the uAPI writes it back into page_size). */
    public synchronized long start(long pageSize, List<Range> requested) throws DmaLoggingException {
        if (ranges != null) {
            throw new DmaLoggingException(DmaLoggingException.EBUSY, "DMA logging already started");
        }
        checkPageSize(pageSize);
        if (requested == null || requested.isEmpty()) {
            throw new DmaLoggingException(DmaLoggingException.EINVAL, "no ranges");
        }
        if (requested.size() > maxRanges) {
            throw new DmaLoggingException(DmaLoggingException.E2BIG, requested.size()
                + " ranges, this device tracks at most " + maxRanges);
        }
        final List<Range> sorted = new ArrayList<>(requested);
        for (Range r : sorted) {
            if (r == null || r.length <= 0) {
                throw new DmaLoggingException(DmaLoggingException.EINVAL, "empty range " + r);
            }
            if ((r.iova & (pageSize - 1)) != 0 || (r.length & (pageSize - 1)) != 0) {
                throw new DmaLoggingException(DmaLoggingException.EINVAL, "range " + hex(r) + " not aligned to "
                    + pageSize);
            }
            if (r.iova < 0 || r.iova >= IOVA_LIMIT || r.length > IOVA_LIMIT - r.iova) {
                throw new DmaLoggingException(DmaLoggingException.EOVERFLOW, "range " + hex(r)
                    + " beyond the 48-bit guest-physical space");
            }
        }
        sorted.sort(Comparator.comparingLong(Range::iova));
        for (int i = 1; i < sorted.size(); i++) {
            final Range a = sorted.get(i - 1);
            if (a.iova + a.length > sorted.get(i).iova) {
                throw new DmaLoggingException(DmaLoggingException.EINVAL, "ranges " + hex(a) + " and "
                    + hex(sorted.get(i)) + " overlap");
            }
        }
        int s = Long.numberOfTrailingZeros(pageSize);
        while (granules(sorted, s) > MAX_GRANULES) {
            s++;
        }
        final List<Run> built = new ArrayList<>();
        long runStart = -1;
        long runEnd = -1;
        final long g = 1L << s;
        for (Range r : sorted) {
            final long from = r.iova & -g;
            final long to = alignUp(r.iova + r.length, g);
            if (runStart >= 0 && from <= runEnd) {
                runEnd = Math.max(runEnd, to);
            } else {
                if (runStart >= 0) {
                    built.add(new Run(runStart, runEnd, s));
                }
                runStart = from;
                runEnd = to;
            }
        }
        built.add(new Run(runStart, runEnd, s));
        try {
            tracker.startDirtyLogging();
        } catch (RuntimeException e) {
            throw new DmaLoggingException(DmaLoggingException.EIO, "starting the dirty log failed", e);
        }
        this.shift = s;
        this.runs = built;
        this.ranges = List.copyOf(sorted);
        return g;
    }

    /** Report and clear; see the class comment. */
    public synchronized long[] report(long iova, long length, long pageSize) throws DmaLoggingException {
        if (ranges == null) {
            throw new DmaLoggingException(DmaLoggingException.EINVAL, "DMA logging not started");
        }
        checkPageSize(pageSize);
        if (length <= 0 || iova < 0 || length > Long.MAX_VALUE - iova) {
            throw new DmaLoggingException(length <= 0 ? DmaLoggingException.EINVAL : DmaLoggingException.EOVERFLOW,
                "report range " + Long.toHexString(iova) + "+" + Long.toHexString(length));
        }
        if ((iova & (pageSize - 1)) != 0 || (length & (pageSize - 1)) != 0) {
            throw new DmaLoggingException(DmaLoggingException.EINVAL, "report range not aligned to " + pageSize);
        }
        final long end = iova + length;
        if (!covered(iova, end)) {
            throw new DmaLoggingException(DmaLoggingException.EINVAL, "report range " + Long.toHexString(iova) + "-"
                + Long.toHexString(end) + " is not inside the logged ranges");
        }
        final int pageShift = Long.numberOfTrailingZeros(pageSize);
        final long bits = length >>> pageShift;
        if (bits > MAX_REPORT_BITS) {
            throw new DmaLoggingException(DmaLoggingException.E2BIG, "report of " + bits + " pages; split it");
        }
        final long[] bitmap = new long[(int) ((bits + 63) >>> 6)];
        final long g = 1L << shift;
        for (Run run : runs) {
            final long hs = Math.max(run.start, iova & -g);
            final long he = Math.min(run.end, alignUp(end, g));
            if (hs >= he) {
                continue;
            }
            final long[] harvested;
            try {
                harvested = tracker.reportAndClearDirty(hs, he - hs, shift);
            } catch (RuntimeException e) {
                throw new DmaLoggingException(DmaLoggingException.EIO,
                    "reading the dirty log failed: treat all memory as dirty", e);
            }
            final long base = (hs - run.start) >>> shift;
            final long count = (he - hs) >>> shift;
            for (long k = 0; k < count; k++) {
                if ((harvested[(int) (k >>> 6)] >>> k & 1) != 0) {
                    final long idx = base + k;
                    run.pending[(int) (idx >>> 6)] |= 1L << idx;
                }
            }
            for (long k = 0; k < count; k++) {
                final long idx = base + k;
                if ((run.pending[(int) (idx >>> 6)] >>> idx & 1) == 0) {
                    continue;
                }
                final long granule = hs + (k << shift);
                final long from = Math.max(granule, iova);
                final long to = Math.min(granule + g, end);
                for (long a = from; a < to; a += pageSize) {
                    final long bit = (a - iova) >>> pageShift;
                    bitmap[(int) (bit >>> 6)] |= 1L << bit;
                }
                if (granule >= iova && granule + g <= end) {
                    run.pending[(int) (idx >>> 6)] &= ~(1L << idx);
                }
            }
        }
        return bitmap;
    }

    /** Ends the session (a stop without a session is a no-op, as drivers answer it). */
    public synchronized void stop() {
        if (ranges == null) {
            return;
        }
        ranges = null;
        runs = null;
        tracker.stopDirtyLogging();
    }

    private boolean covered(long from, long to) {
        long at = from;
        for (Range r : ranges) {
            if (r.iova <= at && at < r.iova + r.length) {
                at = r.iova + r.length;
            }
            if (at >= to) {
                return true;
            }
        }
        return at >= to;
    }

    private static long granules(List<Range> sorted, int s) {
        final long g = 1L << s;
        long n = 0;
        for (Range r : sorted) {
            n += (alignUp(r.iova + r.length, g) - (r.iova & -g)) >>> s;
        }
        return n;
    }

    private static void checkPageSize(long pageSize) throws DmaLoggingException {
        if (pageSize < Page.SIZE || Long.bitCount(pageSize) != 1 || pageSize > IOVA_LIMIT) {
            throw new DmaLoggingException(DmaLoggingException.EINVAL, "page size " + pageSize
                + " is not a power of two of at least " + Page.SIZE);
        }
    }

    private static long alignUp(long v, long g) {
        return (v + g - 1) & -g;
    }

    private static String hex(Range r) {
        return "[0x" + Long.toHexString(r.iova) + ", +0x" + Long.toHexString(r.length) + ")";
    }
}
