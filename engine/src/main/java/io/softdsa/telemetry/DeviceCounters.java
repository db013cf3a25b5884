package io.softdsa.telemetry;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * The device-wide counters of a counters file: page requests raised by any engine, and the two error counters the
 * engines' {@code EngineErrors} keep (allocated here instead of in private memory when the device has a file).
 * Page requests are counted with an atomic add: every engine raises them, on a path that then waits for a response
 * anyway.
 */
public final class DeviceCounters {
    /** No counters file. */
    public static final DeviceCounters DISABLED = new DeviceCounters(null, null, null);

    private final boolean on;
    private final AtomicCounter pageRequests;
    private final AtomicCounter internalErrors;
    private final AtomicCounter engineThreadErrors;

    DeviceCounters(AtomicCounter pageRequests, AtomicCounter internalErrors, AtomicCounter engineThreadErrors) {
        this.on = pageRequests != null;
        this.pageRequests = pageRequests;
        this.internalErrors = internalErrors;
        this.engineThreadErrors = engineThreadErrors;
    }

    public boolean enabled() {
        return on;
    }

    /** An engine raised a page request (any engine: an atomic add). */
    public void pageRequestRaised() {
        if (on) {
            pageRequests.increment();
        }
    }

    /** The counter of Throwables inside descriptors, for {@code EngineErrors}; null without a file. */
    public AtomicCounter internalErrors() {
        return internalErrors;
    }

    /** The counter of Throwables that escaped an engine's duty cycle, for {@code EngineErrors}; null without a file. */
    public AtomicCounter engineThreadErrors() {
        return engineThreadErrors;
    }
}
