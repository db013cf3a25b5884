package io.softdsa.bench;

import io.softdsa.bench.support.Testbed;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;

/**
 * One row of the QuickRun table: an operation done by softdsa and by its CPU baseline. The runner calls
 * {@link #open}; on a fresh device {@link #verify}, {@link #softdsa} and {@link #roundTrip}; with the device closed
 * {@link #baseline}; and finally {@link #close}.
 */
interface Workload extends AutoCloseable {
    /** Short stable name, e.g. {@code memmove-4k}; used for row selection and file names. */
    String id();

    String operation();

    /** Bytes per operation (the transfer size; 64 for descriptors and records). */
    long size();

    Unit unit();

    String baselineName();

    /** The mode of the WQ the device gets for this row. */
    WqMode mode();

    /**
     * Operations one {@link #roundTrip} performs (a Batch descriptor: its list's count); the latency run's offered
     * rate counts round trips, so it stays the same share of the pipelined rate.
     */
    default int operationsPerRoundTrip() {
        return 1;
    }

    /** Allocates operands in host memory. */
    void open(HostMemory memory);

    /** Runs the operation once on the device and throws unless the outcome is what the baseline computes. */
    void verify(Testbed testbed);

    /** The device doing the operation at full speed (pipelined). */
    Batch softdsa(Testbed testbed);

    /** The device doing one operation at a time. */
    RoundTrip roundTrip(Testbed testbed);

    /** The CPU (or software queue) doing the same work. */
    Batch baseline();

    /**
     * The baseline one operation at a time, when its latency is a figure of the row (measured by the same meter, with
     * the device closed); null if not. {@link #closeBaselineRoundTrip} ends it.
     */
    default RoundTrip baselineRoundTrip() {
        return null;
    }

    default void closeBaselineRoundTrip() {
    }

    @Override
    void close();
}
