package io.softdsa.bench.jmh;

import io.softdsa.bench.support.DataOp;
import io.softdsa.bench.support.OpBuffers;
import io.softdsa.bench.support.Pipeline;
import io.softdsa.bench.support.Slot;
import io.softdsa.bench.support.Testbed;
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
 * Pipelined throughput of the device's data operations: one submitting thread keeps
 * {@link Pipeline#DEFAULT_WINDOW} descriptors in flight on WQ 0, each invocation retires the oldest (checking its
 * completion record says Success) and resubmits it. Setup first checks the device's result against the CPU's
 * ({@link DataOp#verify}). ops/s = descriptors/s; {@code :bytes} = transfer bytes/s.
 * <p>
 * The CPU baselines are the same-named methods of {@link JavaDataOps}; the regex {@code DataOps.memmove} selects
 * both, side by side. Engine threads busy-spin: {@code engines=2} plus the submitter needs three cores to be
 * meaningful.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmArgs.ADD_EXPORTS, JvmArgs.MISC_TO_UNNAMED, JvmArgs.NATIVE_ACCESS, JvmArgs.SUN_MISC_UNSAFE})
public class DsaDataOps {

    /** A device with one WQ, the operation's buffers and a primed pipeline; one per benchmark trial. */
    @State(Scope.Thread)
    public abstract static class DeviceState {
        @Param({TransferSizes.S64, TransferSizes.S4K, TransferSizes.S64K, TransferSizes.S1M, TransferSizes.S16M})
        public int size;

        @Param({"shared", "dedicated"})
        public String mode;

        @Param({"1", "2"})
        public int engines;

        private final DataOp op;
        private HostMemory memory;
        private OpBuffers buffers;
        private Testbed testbed;
        private Pipeline pipeline;

        protected DeviceState(DataOp op) {
            this.op = op;
        }

        @Setup(Level.Trial)
        public void setUp() {
            memory = HostMemory.allocate(TransferSizes.hostMemoryFor(size));
            buffers = OpBuffers.allocate(memory, size);
            testbed = Testbed.open(memory, mode, engines);
            op.verify(new Slot(testbed, d -> op.describe(d, buffers)), buffers);
            pipeline = new Pipeline(testbed, Pipeline.DEFAULT_WINDOW, d -> op.describe(d, buffers)).start();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                if (pipeline != null) {
                    pipeline.drain();
                }
                if (testbed != null) {
                    testbed.checkHealthy();
                }
            } finally {
                Resources.close(testbed, buffers, memory);
            }
        }

        final int step(Bytes bytes) {
            bytes.bytes += size;
            return pipeline.step();
        }
    }

    @State(Scope.Thread)
    public static class Memmove extends DeviceState {
        public Memmove() {
            super(DataOp.MEMMOVE);
        }
    }

    @State(Scope.Thread)
    public static class Fill extends DeviceState {
        public Fill() {
            super(DataOp.FILL);
        }
    }

    @State(Scope.Thread)
    public static class Compare extends DeviceState {
        public Compare() {
            super(DataOp.COMPARE);
        }
    }

    @State(Scope.Thread)
    public static class Crc extends DeviceState {
        public Crc() {
            super(DataOp.CRC);
        }
    }

    @State(Scope.Thread)
    public static class CopyCrc extends DeviceState {
        public CopyCrc() {
            super(DataOp.COPY_CRC);
        }
    }

    @State(Scope.Thread)
    public static class Dualcast extends DeviceState {
        public Dualcast() {
            super(DataOp.DUALCAST);
        }
    }

    @Benchmark
    public int memmove(Memmove s, Bytes bytes) {
        return s.step(bytes);
    }

    @Benchmark
    public int fill(Fill s, Bytes bytes) {
        return s.step(bytes);
    }

    @Benchmark
    public int compare(Compare s, Bytes bytes) {
        return s.step(bytes);
    }

    @Benchmark
    public int crc(Crc s, Bytes bytes) {
        return s.step(bytes);
    }

    @Benchmark
    public int copyCrc(CopyCrc s, Bytes bytes) {
        return s.step(bytes);
    }

    @Benchmark
    public int dualcast(Dualcast s, Bytes bytes) {
        return s.step(bytes);
    }
}
