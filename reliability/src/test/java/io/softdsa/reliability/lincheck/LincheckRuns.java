package io.softdsa.reliability.lincheck;

import org.jetbrains.lincheck.datastructures.Options;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds of the Lincheck runs: quick in the default test run (CI), long with {@code -Dlincheck.long=true} (the README's
 * long command), and the counters the README's figures come from.
 */
final class LincheckRuns {
    static final boolean LONG = Boolean.getBoolean("lincheck.long");
    /** Scenarios per check. */
    static final int ITERATIONS = Integer.getInteger("lincheck.iterations", LONG ? 100 : 25);
    /** Interleavings (model checking) or runs (stress) per scenario. */
    static final int INVOCATIONS = Integer.getInteger("lincheck.invocations", LONG ? 2_000 : 400);

    /** Scenario instances created (one per invocation) by every check of this JVM. */
    static final AtomicLong INSTANCES = new AtomicLong();

    private LincheckRuns() {
    }

    static <O extends Options<O, ?>> O bounded(O options) {
        return options.iterations(ITERATIONS).invocationsPerIteration(INVOCATIONS);
    }
}
