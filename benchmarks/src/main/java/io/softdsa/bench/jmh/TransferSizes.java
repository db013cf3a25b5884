package io.softdsa.bench.jmh;

/** Shared parameter values of the data-operation benchmarks. */
final class TransferSizes {
    /** Transfer sizes: a descriptor's worth, a page, L2-sized, L3-sized and beyond the caches. */
    static final String S64 = "64";
    static final String S4K = "4096";
    static final String S64K = "65536";
    static final String S1M = "1048576";
    static final String S16M = "16777216";

    private TransferSizes() {
    }

    /** Host memory for three buffers of {@code size} plus completion records and slack. */
    static long hostMemoryFor(long size) {
        final long rounded = (size + 4095) & -4096L;
        return 3 * rounded + (16L << 20);
    }
}
