package io.softdsa.bench;

import io.softdsa.bench.support.Testbed;
import io.softdsa.memory.HostMemory;

/**
 * Measures one row: on a fresh device (one busy-spinning engine) it verifies the operation, measures pipelined
 * throughput and then latency at a fixed offered rate; with the device closed, it measures the baseline.
 */
final class RowRunner {
    /** Bytes per second the latency runs may ask for (20k/s up to 64 KiB, 2k/s at 1 MiB). */
    static final long LATENCY_BYTES_PER_SECOND = 4_000_000_000L;

    private final HostMemory memory;
    private final RunOptions options;
    private final CpuMonitor cpu = new CpuMonitor();

    RowRunner(HostMemory memory, RunOptions options) {
        this.memory = memory;
        this.options = options;
    }

    RowResult run(Workload w) {
        final CpuMonitor.Sample start = cpu.sample();
        final ThroughputMeter meter = new ThroughputMeter(options.warmupNanos(), options.throughputNanos());
        final LatencyMeter latencyMeter = new LatencyMeter(options.warmupNanos(), options.latencyNanos());
        w.open(memory);
        try {
            final ThroughputMeter.Throughput softdsa;
            final LatencyMeter.Latency latency;
            try (Testbed testbed = Testbed.open(memory, w.mode(), 1, options.counters())) {
                w.verify(testbed);
                try (Batch batch = w.softdsa(testbed)) {
                    softdsa = meter.measure(batch);
                }
                latency = latencyMeter.measure(w.roundTrip(testbed),
                    offeredRate(w.size(), softdsa.opsPerSecond(), options.maxLatencyRate()));
                testbed.checkHealthy();
            }
            final ThroughputMeter.Throughput baseline;
            try (Batch batch = w.baseline()) {
                baseline = meter.measure(batch);
            }
            return new RowResult(w.id(), w.operation(), w.size(), w.unit(), softdsa, w.baselineName(), baseline,
                latency, cpu.foreignShare(start, cpu.sample()));
        } finally {
            w.close();
        }
    }

    /**
     * The latency run's offered rate: the requested maximum, unless the operation is large enough that this would
     * ask for more than {@link #LATENCY_BYTES_PER_SECOND}, or a quarter of the measured pipelined throughput; then
     * the lower figure rounded down to 1, 2 or 5 x 10^k. One-at-a-time submission thus stays well below capacity,
     * and a row gets the same rate from run to run.
     */
    static long offeredRate(long bytesPerOp, double pipelinedOpsPerSecond, long max) {
        final double limit = Math.min((double) LATENCY_BYTES_PER_SECOND / bytesPerOp, pipelinedOpsPerSecond / 4);
        if (limit >= max) {
            return max;
        }
        final double decade = Math.pow(10, Math.floor(Math.log10(Math.max(limit, 1))));
        final double mantissa = limit / decade;
        return Math.max(1, (long) (decade * (mantissa >= 5 ? 5 : mantissa >= 2 ? 2 : 1)));
    }
}
