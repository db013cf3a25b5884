package io.softdsa.bench;

/**
 * One measured row: softdsa and baseline throughput, softdsa latency, and the share of CPU time other processes
 * took meanwhile ({@link CpuMonitor}; NaN if unknown).
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
    double foreignCpuShare) {

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

    /** softdsa / baseline. */
    double ratio() {
        return softdsa.opsPerSecond() / baseline.opsPerSecond();
    }
}
