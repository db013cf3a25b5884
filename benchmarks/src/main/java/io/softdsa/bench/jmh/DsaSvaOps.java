package io.softdsa.bench.jmh;

import io.softdsa.bench.support.DataOp;
import io.softdsa.bench.support.OpBuffers;
import io.softdsa.bench.support.Pipeline;
import io.softdsa.bench.support.Slot;
import io.softdsa.bench.support.Testbed;
import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.CompletionRecordLayout;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.ScalableModeIommu;
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
 * The cost of shared virtual addressing under JMH: the pipelined memmove and CRC generation of {@link DsaDataOps}
 * (one shared WQ, one busy-spinning engine, {@link Pipeline#DEFAULT_WINDOW} descriptors in flight) on a device with
 * a scalable-mode IOMMU, with the WQ's PASID support {@code off} (host-physical addresses, as {@link DsaDataOps})
 * or {@code on}: the buffers and completion records live in a process address space bound to a PASID, descriptors
 * carry its virtual addresses and the PASID, and the engine translates every address (IOTLB, page walk on a miss).
 * Once warm every translation hits the IOTLB, so on/off is the IOTLB-hit overhead. Both sides are built the same
 * way but for the addresses and the WQ's PASID enable; {@code io.softdsa.bench.SvaOverhead} is the plain-main
 * version. ops/s = descriptors/s; {@code :bytes} = transfer bytes/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmArgs.ADD_EXPORTS, JvmArgs.MISC_TO_UNNAMED, JvmArgs.NATIVE_ACCESS, JvmArgs.SUN_MISC_UNSAFE})
public class DsaSvaOps {
    /** The PASID the process address space is bound to. */
    static final int PASID = 42;

    @State(Scope.Thread)
    public abstract static class SvaState {
        @Param({TransferSizes.S4K, TransferSizes.S64K, TransferSizes.S1M, TransferSizes.S16M})
        public int size;

        @Param({"off", "on"})
        public String pasid;

        private final DataOp op;
        private HostMemory memory;
        private OpBuffers buffers;
        private Testbed testbed;
        private Pipeline pipeline;

        protected SvaState(DataOp op) {
            this.op = op;
        }

        @Setup(Level.Trial)
        public void setUp() {
            final boolean on = switch (pasid) {
                case "on" -> true;
                case "off" -> false;
                default -> throw new IllegalArgumentException("pasid must be off or on: " + pasid);
            };
            memory = HostMemory.allocate(TransferSizes.hostMemoryFor(size) + (16L << 20));
            final ScalableModeIommu iommu = new ScalableModeIommu(memory);
            final DeviceConfig config = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
                .wq(WqConfig.builder(0).shared().size(Testbed.WQ_SIZE).group(0).name("wq0.0").pasidEnabled(on)
                    .maxTransferSize(1L << 31).maxBatchSize(1024).build())
                .build();
            testbed = Testbed.open(memory, config, DeviceOptions.defaults().busySpin().sva(iommu));
            final DsaClient client = testbed.client();
            final Slot[] slots = new Slot[Pipeline.DEFAULT_WINDOW];
            final long recordsVa;
            final long recordsHost;
            if (on) {
                final AddressSpace as = iommu.bind(PASID);
                buffers = OpBuffers.allocate(as, memory, size);
                recordsVa = as.allocate(4096, AddressSpace.RW_USER, AddressSpace.PageSize.SIZE_4K, true);
                recordsHost = as.hostAddress(recordsVa);
            } else {
                buffers = OpBuffers.allocate(memory, size);
                recordsVa = client.allocate(4096).address();
                recordsHost = recordsVa;
            }
            for (int i = 0; i < slots.length; i++) {
                final long offset = (long) i * CompletionRecordLayout.LENGTH;
                final Descriptor d = client.descriptor();
                op.describe(d, buffers);
                d.completionAddress(recordsVa + offset)
                    .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD);
                if (on) {
                    d.pasid(PASID);
                }
                slots[i] = new Slot(d, new CompletionRecord(memory.segment(), recordsHost + offset),
                    memory.segment(), client::trySubmit);
            }
            op.verify(slots[0], buffers);
            pipeline = new Pipeline(slots).start();
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
    public static class Memmove extends SvaState {
        public Memmove() {
            super(DataOp.MEMMOVE);
        }
    }

    @State(Scope.Thread)
    public static class Crc extends SvaState {
        public Crc() {
            super(DataOp.CRC);
        }
    }

    @Benchmark
    public int memmove(Memmove s, Bytes bytes) {
        return s.step(bytes);
    }

    @Benchmark
    public int crc(Crc s, Bytes bytes) {
        return s.step(bytes);
    }
}
