package io.softdsa.bench;

import io.softdsa.bench.support.Spin;
import org.HdrHistogram.Histogram;

import java.util.concurrent.TimeUnit;

/**
 * Submit-to-completion latency at a fixed offered rate, one operation at a time. Sends are scheduled every
 * {@code 1/rate}; each latency is recorded from the <em>intended</em> send time, so an operation that delays the
 * next send charges that delay to the next sample too, as a client with a fixed arrival rate would see it (no
 * coordinated omission). The offered rate must stay below the operation's capacity for the figures to mean
 * anything; the runner picks it from the measured throughput.
 */
final class LatencyMeter {
    private static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final int WARMUP_CALLS = 4;

    /** Percentiles in nanoseconds, plus the histogram they came from. */
    record Latency(long ratePerSecond, Histogram histogram) {
        long samples() {
            return histogram.getTotalCount();
        }

        double micros(double percentile) {
            return histogram.getValueAtPercentile(percentile) / 1e3;
        }

        double maxMicros() {
            return histogram.getMaxValue() / 1e3;
        }
    }

    private final long warmupNanos;
    private final long measureNanos;

    LatencyMeter(long warmupNanos, long measureNanos) {
        this.warmupNanos = warmupNanos;
        this.measureNanos = measureNanos;
    }

    Latency measure(RoundTrip op, long ratePerSecond) {
        final Histogram histogram = new Histogram(1, HIGHEST_NANOS, 3);
        final long interval = Math.max(1, 1_000_000_000L / ratePerSecond);
        // Warm up in a few separate calls: the first compiled loop is thrown away when it first exits, and the
        // measured call should start in code that has already seen its way out.
        for (int i = 0; i < WARMUP_CALLS; i++) {
            record(op, interval, warmupNanos / WARMUP_CALLS, histogram);
        }
        histogram.reset();
        record(op, interval, measureNanos, histogram);
        return new Latency(ratePerSecond, histogram);
    }

    /** Allocation-free: the histogram is fixed-size and every value is clamped into its range. */
    private static void record(RoundTrip op, long interval, long duration, Histogram histogram) {
        final long start = System.nanoTime();
        long intended = start;
        long done;
        do {
            int spins = 0;
            while (System.nanoTime() - intended < 0) {
                spins = Spin.idle(spins);
            }
            op.execute();
            done = System.nanoTime();
            histogram.recordValue(Math.min(Math.max(done - intended, 1), HIGHEST_NANOS));
            intended += interval;
        } while (done - start < duration);
    }
}
