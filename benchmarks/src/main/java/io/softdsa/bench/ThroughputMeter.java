package io.softdsa.bench;

/**
 * Measures a {@link Batch} for a fixed time after a warm-up. During the warm-up the batch size doubles until one
 * batch takes at least {@link #TARGET_BATCH_NANOS}, so the clock is read rarely enough not to show in the result
 * and often enough to stop close to the deadline.
 */
final class ThroughputMeter {
    static final long TARGET_BATCH_NANOS = 200_000;
    private static final int MAX_BATCH = 1 << 24;

    /** Operations completed over a measured interval. */
    record Throughput(long operations, long nanos) {
        double opsPerSecond() {
            return operations * 1e9 / nanos;
        }
    }

    private final long warmupNanos;
    private final long measureNanos;

    ThroughputMeter(long warmupNanos, long measureNanos) {
        this.warmupNanos = warmupNanos;
        this.measureNanos = measureNanos;
    }

    Throughput measure(Batch batch) {
        int n = 1;
        final long warmupStart = System.nanoTime();
        long now = warmupStart;
        do {
            final long t0 = now;
            batch.run(n);
            now = System.nanoTime();
            if (now - t0 < TARGET_BATCH_NANOS && n < MAX_BATCH) {
                n <<= 1;
            }
        } while (now - warmupStart < warmupNanos);

        long operations = 0;
        final long start = System.nanoTime();
        long end;
        do {
            batch.run(n);
            operations += n;
        } while ((end = System.nanoTime()) - start < measureNanos);
        return new Throughput(operations, end - start);
    }
}
