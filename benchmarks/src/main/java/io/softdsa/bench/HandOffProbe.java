package io.softdsa.bench;

import java.util.Arrays;

/**
 * A short measurement of this machine's cross-core hand-off — half the round trip of the ping-pong baseline
 * ({@link PingPongWorkload.PingPong}) — taken between a row's interleaved pairs. On a VM the host may move the two
 * vCPUs between separate cores and one core's hyperthreads in the middle of a run (measured here: 305–369 ns against
 * 40–86 ns), which moves every row bound by hand-offs by 2–3x while no other process runs; probing around each pair
 * shows whether a row's pairs ran in one mode.
 */
public final class HandOffProbe {
    /**
     * A row is flagged when its slowest probe took more than this many times its fastest: the two modes seen here
     * differ by 3.5x or more, while probes within one mode spread by up to 2.1x (25–52 ns in the fast mode).
     */
    public static final double SHIFT = 3.0;
    private static final int CHUNKS = 5;

    private final int roundTrips;

    /** @param roundTrips round trips per chunk (five chunks, after one chunk of warm-up; the median chunk counts) */
    HandOffProbe(int roundTrips) {
        if (roundTrips < 1) {
            throw new IllegalArgumentException("hand-off probe round trips must be >= 1: " + roundTrips);
        }
        this.roundTrips = roundTrips;
    }

    /** One probe: the median chunk's half round trip, in nanoseconds. */
    double measure() {
        try (PingPongWorkload.PingPong p = PingPongWorkload.PingPong.start()) {
            for (int i = 0; i < roundTrips; i++) {
                p.roundTrip(); // warm-up: the partner thread started and both loops compiled
            }
            final double[] chunks = new double[CHUNKS];
            for (int c = 0; c < CHUNKS; c++) {
                final long start = System.nanoTime();
                for (int i = 0; i < roundTrips; i++) {
                    p.roundTrip();
                }
                chunks[c] = (System.nanoTime() - start) / (2.0 * roundTrips);
            }
            return Median.of(chunks);
        }
    }

    /**
     * Whether these hand-offs (a row's probes, or two runs' hand-offs) differ by more than {@link #SHIFT}: the
     * machine changed mode between them. If any figure is unknown (NaN, or not positive), nothing counts as a change.
     */
    public static boolean shifted(double... probes) {
        if (probes == null || probes.length < 2) {
            return false;
        }
        final double min = Arrays.stream(probes).min().orElseThrow();
        final double max = Arrays.stream(probes).max().orElseThrow();
        return min > 0 && max / min > SHIFT;
    }

    /** The median probe (the lower middle one for an even count), or NaN for none. */
    static double median(double[] probes) {
        return probes == null || probes.length == 0 ? Double.NaN : Median.of(probes);
    }
}
