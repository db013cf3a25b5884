package io.softdsa.engine;

import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.errors.DistinctErrorLog;
import org.agrona.concurrent.errors.ErrorLogReader;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * What went wrong inside a device's engines, kept the way Aeron's media driver keeps it: Agrona
 * {@link AtomicCounter}s in a {@link CountersManager} (exact under any number of engines, unlike a {@code ++} on a
 * volatile) and a {@link DistinctErrorLog} holding each distinct {@link Throwable} once with its observation count,
 * first and last time. Recording never throws and allocates only when something has gone wrong.
 */
public final class EngineErrors {
    private static final int COUNTERS = 4;
    private static final int ERROR_LOG_BYTES = 64 * 1024;

    private final UnsafeBuffer errorLogBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(ERROR_LOG_BYTES));
    private final DistinctErrorLog errorLog = new DistinctErrorLog(errorLogBuffer, SystemEpochClock.INSTANCE);
    /** A Throwable inside one descriptor's execution: it completed as a hardware error. */
    private final AtomicCounter internalErrors;
    /** A Throwable that escaped an engine's duty cycle (caught there: the engine thread goes on). */
    private final AtomicCounter engineThreadErrors;

    /** Counters in private memory (a device without a counters file). */
    public EngineErrors() {
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(COUNTERS * CountersReader.METADATA_LENGTH)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(COUNTERS * CountersReader.COUNTER_LENGTH)));
        this.internalErrors = counters.newCounter("softdsa internal errors (descriptor)");
        this.engineThreadErrors = counters.newCounter("softdsa engine thread errors");
    }

    /** Counters allocated elsewhere: the device's counters file, where {@code ./softdsa stat} shows them. */
    public EngineErrors(AtomicCounter internalErrors, AtomicCounter engineThreadErrors) {
        this.internalErrors = java.util.Objects.requireNonNull(internalErrors);
        this.engineThreadErrors = java.util.Objects.requireNonNull(engineThreadErrors);
    }

    /** Counts and logs a Throwable thrown while a descriptor ran. */
    public void internalError(Throwable t) {
        internalErrors.increment(); // atomic add: several engines share the counter
        log(t);
    }

    /** Counts and logs a Throwable that escaped an engine's duty cycle. */
    public void engineThreadError(Throwable t) {
        engineThreadErrors.increment();
        log(t);
    }

    /** The counter the engine runners report to (Agrona's {@code AgentRunner} error counter). */
    public AtomicCounter engineThreadErrorCounter() {
        return engineThreadErrors;
    }

    public long internalErrors() {
        return internalErrors.get();
    }

    public long engineThreadErrors() {
        return engineThreadErrors.get();
    }

    /** Each distinct error observed, as "count × stack trace", oldest first. */
    public List<String> distinctErrors() {
        final List<String> out = new ArrayList<>();
        ErrorLogReader.read(errorLogBuffer, (count, first, last, encoded) -> out.add(count + " × " + encoded));
        return out;
    }

    private void log(Throwable t) {
        try {
            errorLog.record(t);
        } catch (Throwable ignored) {
            // the log is full or the error cannot even be described: the counter above still says it happened
        }
    }
}
