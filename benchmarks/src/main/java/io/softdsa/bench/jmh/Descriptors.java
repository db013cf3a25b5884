package io.softdsa.bench.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A secondary result next to ops/s for benchmarks whose invocation retires more than one work descriptor (a batch):
 * work descriptors completed, reported by JMH as a rate ({@code <benchmark>:descriptors}, descriptors per second).
 * One add per invocation, no allocation.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Descriptors {
    public long descriptors;

    @Setup(Level.Iteration)
    public void reset() {
        descriptors = 0;
    }
}
