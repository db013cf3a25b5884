package io.softdsa.bench;

import io.softdsa.bench.support.Testbed;
import io.softdsa.memory.HostMemory;

/**
 * Measures one row: on a fresh device (one busy-spinning engine) it verifies the operation, measures pipelined
 * throughput and then latency at a fixed offered rate; with the device closed, it measures the baseline. Throughput
 * is measured in {@link #PAIRS} interleaved pairs (softdsa, baseline, softdsa, baseline, ...: A/B/A/B, each with its
 * share of the time), so that drift of the machine cancels in each pair's ratio; the row reports the median pair
 * with the ratios' min–max. Before each pair and after the last, a {@link HandOffProbe} measures the machine's
 * cross-core hand-off with the device closed, so a row whose pairs ran in different modes of the VM is flagged.
 */
final class RowRunner {
    /** Bytes per second the latency runs may ask for (20k/s up to 64 KiB, 2k/s at 1 MiB). */
    static final long LATENCY_BYTES_PER_SECOND = 4_000_000_000L;

    private final HostMemory memory;
    private final RunOptions options;
    private final CpuMonitor cpu = new CpuMonitor();
    private final HandOffProbe probe = new HandOffProbe(2_000);

    RowRunner(HostMemory memory, RunOptions options) {
        this.memory = memory;
        this.options = options;
    }

    /** Interleaved softdsa / baseline pairs per row. */
    static final int PAIRS = 3;

    RowResult run(Workload w) {
        final CpuMonitor.Sample start = cpu.sample();
        final ThroughputMeter meter = new ThroughputMeter(options.warmupNanos() / PAIRS,
            Math.max(1, options.throughputNanos() / PAIRS));
        final LatencyMeter latencyMeter = new LatencyMeter(options.warmupNanos(), options.latencyNanos());
        w.open(memory);
        try {
            final ThroughputMeter.Throughput[] softdsa = new ThroughputMeter.Throughput[PAIRS];
            final ThroughputMeter.Throughput[] baseline = new ThroughputMeter.Throughput[PAIRS];
            LatencyMeter.Latency latency = null;
            final double[] handOffs = new double[PAIRS + 1];
            for (int pair = 0; pair < PAIRS; pair++) {
                handOffs[pair] = probe.measure(); // no device open: nothing else spins on the cores
                // a fresh device per pair: its busy-spinning engine must not share the cores with the baseline
                try (Testbed testbed = Testbed.open(memory, w.mode(), 1, options.counters())) {
                    if (pair == 0) {
                        w.verify(testbed);
                    }
                    try (Batch batch = w.softdsa(testbed)) {
                        softdsa[pair] = meter.measure(batch);
                    }
                    if (pair == 0) {
                        final int k = w.operationsPerRoundTrip();
                        latency = latencyMeter.measure(w.roundTrip(testbed),
                            offeredRate(w.size() * k, softdsa[0].opsPerSecond() / k, options.maxLatencyRate()));
                    }
                    testbed.checkHealthy();
                }
                try (Batch batch = w.baseline()) {
                    baseline[pair] = meter.measure(batch);
                }
            }
            handOffs[PAIRS] = probe.measure();
            LatencyMeter.Latency floor = null;
            final RoundTrip baselineOne = w.baselineRoundTrip();
            if (baselineOne != null) {
                try {
                    floor = latencyMeter.measure(baselineOne, latency.ratePerSecond());
                } finally {
                    w.closeBaselineRoundTrip();
                }
            }
            final double[] ratios = new double[PAIRS];
            for (int i = 0; i < PAIRS; i++) {
                ratios[i] = softdsa[i].opsPerSecond() / baseline[i].opsPerSecond();
            }
            final int median = Median.index(ratios);
            return new RowResult(w.id(), w.operation(), w.size(), w.unit(), softdsa[median], w.baselineName(),
                baseline[median], latency, cpu.foreignShare(start, cpu.sample()), ratios.clone(), floor, handOffs);
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
