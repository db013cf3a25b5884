package io.softdsa.bench;

/**
 * One measured row: softdsa and baseline throughput of the median interleaved pair, the ratio of every pair,
 * softdsa latency, the share of CPU time other processes took meanwhile ({@link CpuMonitor}; NaN if unknown), and
 * the cross-core hand-off probed before each pair and after the last ({@link HandOffProbe}, ns; empty if not probed).
 */
record RowResult(
    String id,
    String operation,
    long size,
    Unit unit,
    ThroughputMeter.Throughput softdsa,
    String baselineName,
    ThroughputMeter.Throughput baseline,
    LatencyMeter.Latency latency,
    double foreignCpuShare,
    double[] pairRatios,
    LatencyMeter.Latency baselineLatency,
    double[] handOffNanos) {

    RowResult(String id, String operation, long size, Unit unit, ThroughputMeter.Throughput softdsa,
              String baselineName, ThroughputMeter.Throughput baseline, LatencyMeter.Latency latency,
              double foreignCpuShare) {
        this(id, operation, size, unit, softdsa, baselineName, baseline, latency, foreignCpuShare,
            new double[] {softdsa.opsPerSecond() / baseline.opsPerSecond()}, null, new double[0]);
    }

    /** Whether the machine's hand-off changed by more than {@link HandOffProbe#SHIFT}x between this row's pairs. */
    boolean handOffShifted() {
        return HandOffProbe.shifted(handOffNanos);
    }

    /** The median of this row's hand-off probes, ns (NaN if not probed). */
    double handOff() {
        return HandOffProbe.median(handOffNanos);
    }

    double softdsaValue() {
        return unit.of(softdsa.opsPerSecond(), size);
    }

    double baselineValue() {
        return unit.of(baseline.opsPerSecond(), size);
    }

    /** Whether other processes took enough CPU during the row to distort it. */
    boolean disturbed() {
        return foreignCpuShare > CpuMonitor.DISTURBED;
    }

    /** softdsa / baseline of the median pair. */
    double ratio() {
        return softdsa.opsPerSecond() / baseline.opsPerSecond();
    }

    /** The lowest pair's ratio. */
    double ratioMin() {
        return java.util.Arrays.stream(pairRatios).min().orElse(ratio());
    }

    /** The highest pair's ratio. */
    double ratioMax() {
        return java.util.Arrays.stream(pairRatios).max().orElse(ratio());
    }
}
