package io.softdsa.bench.jmh;

import io.softdsa.bench.support.BatchList;
import io.softdsa.bench.support.DataOp;
import io.softdsa.bench.support.OpBuffers;
import io.softdsa.bench.support.Pipeline;
import io.softdsa.bench.support.Slot;
import io.softdsa.bench.support.Testbed;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.config.WqMode;
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

import java.util.function.Consumer;
import java.util.concurrent.TimeUnit;

/**
 * Batch throughput: memmove descriptors of {@code size} bytes submitted {@code batchSize} at a time in one Batch
 * descriptor (opcode 0x01: the list's address in bytes 16-23, its count in bytes 32-35, the list 64-byte aligned in
 * host memory). One shared WQ, one busy-spinning engine, {@link Pipeline#DEFAULT_WINDOW} batch descriptors in
 * flight; one invocation retires the oldest batch and resubmits it.
 * <p>
 * {@code batchSize=1} is not a batch: a Batch descriptor's count must be at least 2 (fact sheet section 7), so that
 * point is the plain memmove descriptor of {@link DsaDataOps#memmove} in the same pipeline, the reference the
 * batches are compared with.
 * <p>
 * Only the batch descriptor asks for a completion record (CRAV | RCR) and only it is polled; the descriptors in the
 * list carry no completion fields at all. That is how a user batches for throughput: one record per batch says
 * Success only if every descriptor in it succeeded (anything else ends the batch with Batch Fail, which the pipeline
 * reports), and the engine writes one record instead of {@code batchSize}. All batches share one read-only list; all
 * its descriptors move the same source to the same destination, as the pipelined descriptors of
 * {@link DsaDataOps} do.
 * <p>
 * ops/s = batches (or, for 1, descriptors) per second; {@code :descriptors} = memmove descriptors per second;
 * {@code :bytes} = bytes moved per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmArgs.ADD_EXPORTS, JvmArgs.MISC_TO_UNNAMED, JvmArgs.NATIVE_ACCESS, JvmArgs.SUN_MISC_UNSAFE})
public class DsaBatch {
    /** Batch sizes measured; 1 means a plain descriptor. */
    static final String PLAIN = "1";

    @State(Scope.Thread)
    public static class BatchState {
        @Param({TransferSizes.S64, TransferSizes.S4K, TransferSizes.S64K, TransferSizes.S1M})
        public int size;

        @Param({PLAIN, "4", "8", "16", "32"})
        public int batchSize;

        private HostMemory memory;
        private OpBuffers buffers;
        private Testbed testbed;
        private Pipeline pipeline;
        private long bytesPerStep;

        @Setup(Level.Trial)
        public void setUp() {
            memory = HostMemory.allocate(TransferSizes.hostMemoryFor(size));
            buffers = OpBuffers.allocate(memory, size);
            testbed = Testbed.open(memory, WqMode.SHARED, 1);
            final Consumer<Descriptor> describe = batchSize == 1
                ? d -> DataOp.MEMMOVE.describe(d, buffers)
                : BatchList.write(testbed, DataOp.MEMMOVE, buffers, batchSize).describer();
            DataOp.MEMMOVE.verify(new Slot(testbed, describe), buffers);
            pipeline = new Pipeline(testbed, Pipeline.DEFAULT_WINDOW, describe).start();
            bytesPerStep = (long) size * batchSize;
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
    }

    @Benchmark
    public int memmove(BatchState s, Descriptors descriptors, Bytes bytes) {
        descriptors.descriptors += s.batchSize;
        bytes.bytes += s.bytesPerStep;
        return s.pipeline.step();
    }
}
