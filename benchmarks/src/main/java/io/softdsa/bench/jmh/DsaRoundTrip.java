package io.softdsa.bench.jmh;

import io.softdsa.bench.support.DataOp;
import io.softdsa.bench.support.OpBuffers;
import io.softdsa.bench.support.Slot;
import io.softdsa.bench.support.Testbed;
import io.softdsa.descriptor.Opcode;
import io.softdsa.memory.HostMemory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Closed-loop round trip of one descriptor (submit, engine executes, completion record polled), back to back, as a
 * sampled time distribution. This is the service time with nothing queued; QuickRun reports latency at a fixed
 * offered rate instead (open loop, coordinated-omission aware).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmArgs.ADD_EXPORTS, JvmArgs.MISC_TO_UNNAMED, JvmArgs.NATIVE_ACCESS, JvmArgs.SUN_MISC_UNSAFE})
public class DsaRoundTrip {

    @State(Scope.Thread)
    public static class NoopState {
        @Param({"shared", "dedicated"})
        public String mode;

        private HostMemory memory;
        private Testbed testbed;
        Slot slot;

        @Setup(Level.Trial)
        public void setUp() {
            memory = HostMemory.allocate(8L << 20);
            testbed = Testbed.open(memory, mode, 1);
            slot = new Slot(testbed, d -> d.opcode(Opcode.NOOP));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                testbed.checkHealthy();
            } finally {
                Resources.close(testbed, memory);
            }
        }
    }

    @State(Scope.Thread)
    public static class MemmoveState {
        @Param({TransferSizes.S64, TransferSizes.S4K, TransferSizes.S64K})
        public int size;

        @Param({"shared", "dedicated"})
        public String mode;

        private HostMemory memory;
        private OpBuffers buffers;
        private Testbed testbed;
        Slot slot;

        @Setup(Level.Trial)
        public void setUp() {
            memory = HostMemory.allocate(TransferSizes.hostMemoryFor(size));
            buffers = OpBuffers.allocate(memory, size);
            testbed = Testbed.open(memory, mode, 1);
            slot = new Slot(testbed, d -> DataOp.MEMMOVE.describe(d, buffers));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                testbed.checkHealthy();
            } finally {
                Resources.close(testbed, buffers, memory);
            }
        }
    }

    @Benchmark
    public int noop(NoopState s) {
        return s.slot.execute();
    }

    @Benchmark
    public int memmove(MemmoveState s) {
        return s.slot.execute();
    }
}
