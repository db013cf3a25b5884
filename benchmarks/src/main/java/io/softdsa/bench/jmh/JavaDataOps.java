package io.softdsa.bench.jmh;

import io.softdsa.bench.support.CpuKernels;
import io.softdsa.bench.support.OpBuffers;
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
 * The CPU baselines of {@link DsaDataOps}, method for method, on buffers in the same kind of host memory:
 * {@code MemorySegment.copy / fill / mismatch}, {@link java.util.zip.CRC32C} over a direct ByteBuffer view, copy
 * then CRC, and two copies for dualcast. One thread, nothing else running. ops/s = operations/s; {@code :bytes} =
 * transfer bytes/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmArgs.ADD_EXPORTS, JvmArgs.MISC_TO_UNNAMED, JvmArgs.NATIVE_ACCESS, JvmArgs.SUN_MISC_UNSAFE})
public class JavaDataOps {

    @State(Scope.Thread)
    public static class Operands {
        @Param({TransferSizes.S64, TransferSizes.S4K, TransferSizes.S64K, TransferSizes.S1M, TransferSizes.S16M})
        public int size;

        private HostMemory memory;
        private OpBuffers buffers;

        @Setup(Level.Trial)
        public void setUp() {
            memory = HostMemory.allocate(TransferSizes.hostMemoryFor(size));
            buffers = OpBuffers.allocate(memory, size);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            Resources.close(buffers, memory);
        }
    }

    @Benchmark
    public void memmove(Operands o, Bytes bytes) {
        CpuKernels.copy(o.buffers);
        bytes.bytes += o.size;
    }

    @Benchmark
    public void fill(Operands o, Bytes bytes) {
        CpuKernels.fill(o.buffers);
        bytes.bytes += o.size;
    }

    @Benchmark
    public long compare(Operands o, Bytes bytes) {
        bytes.bytes += o.size;
        return CpuKernels.mismatch(o.buffers);
    }

    @Benchmark
    public int crc(Operands o, Bytes bytes) {
        bytes.bytes += o.size;
        return CpuKernels.crc32c(o.buffers);
    }

    @Benchmark
    public int copyCrc(Operands o, Bytes bytes) {
        bytes.bytes += o.size;
        return CpuKernels.copyCrc32c(o.buffers);
    }

    @Benchmark
    public void dualcast(Operands o, Bytes bytes) {
        CpuKernels.dualcast(o.buffers);
        bytes.bytes += o.size;
    }
}
