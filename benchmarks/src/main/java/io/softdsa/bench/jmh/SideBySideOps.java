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
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.userspace.UserPortal;
import io.softdsa.mdev.userspace.UserProcess;
import io.softdsa.mdev.userspace.UserspaceDmaDriver;
import io.softdsa.mdev.vdev.MdevManager;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The same 4 KiB memmove through the three ways softdsa hands a DSA to software, as
 * {@code io.softdsa.mdev.examples.SideBySide} sets them up, but measured by JMH: {@code bareEngine} (a host WQ of
 * type kernel, host-physical addresses, the device's own portal), {@code userspaceDma} (a process of the
 * userspace-DMA driver: its virtual addresses through its PASID's page tables, submitted through its mapped
 * portal, which substitutes the PASID) and {@code virtualDevice} (an application in a guest on a virtual DSA backed
 * by a host WQ of type mdev: guest-virtual addresses, nested translation, the guest's portal write per ENQCMD).
 * <p>
 * Each path gets its own host device with one group, one shared WQ of {@value Testbed#WQ_SIZE} and one busy-spinning
 * engine, and the pipeline of {@link DsaDataOps} ({@link Pipeline#DEFAULT_WINDOW} descriptors in flight, each
 * invocation retires the oldest and resubmits it). Setup checks that the path really moves the bytes. ops/s =
 * descriptors/s; {@code :bytes} = transfer bytes/s. (SideBySide itself also gives queue-depth-1 latency;
 * {@link DsaRoundTrip} is the JMH counterpart for the bare engine.)
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmArgs.ADD_EXPORTS, JvmArgs.MISC_TO_UNNAMED, JvmArgs.NATIVE_ACCESS, JvmArgs.SUN_MISC_UNSAFE})
public class SideBySideOps {
    private static final long HOST_MEMORY = 256L << 20;
    private static final int CRAV_RCR =
        DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD;

    /** One host device whose only WQ (shared, {@link Testbed#WQ_SIZE}) has the subclass's type. */
    @State(Scope.Thread)
    public abstract static class PathState {
        @Param({TransferSizes.S4K})
        public int size;

        private final String wqType;
        HostMemory memory;
        HostDsa host;
        Arena arena;
        Pipeline pipeline;
        private AutoCloseable[] owned = {};

        protected PathState(String wqType) {
            this.wqType = wqType;
        }

        @Setup(Level.Trial)
        public void setUp() {
            memory = HostMemory.allocate(HOST_MEMORY);
            final WqConfig.Builder wq = WqConfig.builder(0).shared().size(Testbed.WQ_SIZE).group(0).type(wqType)
                .name(wqType).maxTransferSize(1L << 30).maxBatchSize(1024);
            if (HostDsa.TYPE_MDEV.equals(wqType)) {
                wq.threshold(Testbed.WQ_SIZE);
            }
            host = HostDsa.start(memory, DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0)).wq(wq.build())
                .build(), DeviceOptions.defaults().busySpin());
            arena = Arena.ofShared();
            final Slot[] slots = new Slot[Pipeline.DEFAULT_WINDOW];
            owned = open(slots);
            pipeline = new Pipeline(slots).start();
        }

        /** Builds the path's slots (verifying one), returns what teardown closes (innermost first). */
        abstract AutoCloseable[] open(Slot[] slots);

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                if (pipeline != null) {
                    pipeline.drain();
                }
                final long swerr = host == null ? 0 : host.device().swerr().totalErrors();
                if (swerr != 0) {
                    throw new IllegalStateException("device reported " + swerr + " SWERR entries");
                }
            } finally {
                final AutoCloseable[] all = Arrays.copyOf(owned, owned.length + 3);
                all[owned.length] = host;
                all[owned.length + 1] = arena;
                all[owned.length + 2] = memory;
                Resources.close(all);
            }
        }

        final int step(Bytes bytes) {
            bytes.bytes += size;
            return pipeline.step();
        }
    }

    /** Host-physical buffers and the kernel WQ's portal through a {@link DsaClient}. */
    @State(Scope.Thread)
    public static class Bare extends PathState {
        public Bare() {
            super(HostDsa.TYPE_KERNEL);
        }

        @Override
        AutoCloseable[] open(Slot[] slots) {
            final DsaClient client = DsaClient.open(host.device(), 0);
            final OpBuffers buffers = OpBuffers.allocate(memory, size);
            for (int i = 0; i < slots.length; i++) {
                final CompletionRecord record = client.completionRecord();
                final Descriptor d = client.descriptor();
                DataOp.MEMMOVE.describe(d, buffers);
                slots[i] = new Slot(d.completionAddress(record.address()).addFlags(CRAV_RCR), record,
                    memory.segment(), client::trySubmit);
            }
            DataOp.MEMMOVE.verify(slots[0], buffers);
            return new AutoCloseable[] {buffers, client};
        }
    }

    /** A userspace-DMA process: buffers and records at its virtual addresses, its portal. */
    @State(Scope.Thread)
    public static class Userspace extends PathState {
        public Userspace() {
            super(HostDsa.TYPE_USER);
        }

        @Override
        AutoCloseable[] open(Slot[] slots) {
            final UserspaceDmaDriver driver = new UserspaceDmaDriver(host);
            final UserProcess process = driver.spawn("bench");
            final UserPortal portal = driver.open(process, HostDsa.TYPE_USER).portal();
            final OpBuffers buffers = OpBuffers.allocate(process.addressSpace(), memory, size);
            final long records = process.allocate((long) CompletionRecordLayout.LENGTH * slots.length);
            for (int i = 0; i < slots.length; i++) {
                final long va = records + (long) i * CompletionRecordLayout.LENGTH;
                final Descriptor d = Descriptor.allocate(arena);
                DataOp.MEMMOVE.describe(d, buffers);
                slots[i] = new Slot(d.completionAddress(va).addFlags(CRAV_RCR), process.completionRecord(va),
                    memory.segment(), portal::enqcmd);
            }
            DataOp.MEMMOVE.verify(slots[0], buffers);
            return new AutoCloseable[] {process, driver};
        }
    }

    /** An application in a guest driving a virtual DSA (one shared WQ) backed by the host's mdev WQ. */
    @State(Scope.Thread)
    public static class VirtualDevice extends PathState {
        public VirtualDevice() {
            super(HostDsa.TYPE_MDEV);
        }

        @Override
        AutoCloseable[] open(Slot[] slots) {
            final MdevManager mdev = new MdevManager(host);
            final GuestDomain guest = GuestDomain.create(host, "bench-vm", (64L << 20) + 4L * size, false);
            final VirtualDsa vdsa = mdev.create(VdevType.SHARED_WQ, guest);
            final GuestDriver driver = new GuestDriver(vdsa, guest);
            driver.bringUp(true, DeviceSetup.oneGroup(1, new WqSetup(0, false, Testbed.WQ_SIZE, Testbed.WQ_SIZE,
                10, false, true, 0, false, 30, 5, 0)));
            final GuestProcess app = driver.newProcess("bench");
            final long src = app.allocate(size);
            final long dst = app.allocate(size);
            final long records = app.allocate((long) CompletionRecordLayout.LENGTH * slots.length);
            final int pasid = app.pasid();
            final MemorySegment guestHost = guest.memory().hostSegment();
            final Slot.Submitter enqcmd = d -> vdsa.portalWrite(0x1000, d.segment(), d.offset(),
                PortalInstruction.ENQCMD, pasid) == PortalResult.ACCEPTED;
            for (int i = 0; i < slots.length; i++) {
                final long va = records + (long) i * CompletionRecordLayout.LENGTH;
                final Descriptor d = driver.descriptor().opcode(io.softdsa.descriptor.Opcode.MEMMOVE).source(src)
                    .destination(dst).transferSize(size).completionAddress(va).addFlags(CRAV_RCR);
                slots[i] = new Slot(d, app.completionRecord(va), guestHost, enqcmd);
            }
            final byte[] data = new byte[size];
            new SplittableRandom(0x50F7D5AL).nextBytes(data);
            app.write(src, data);
            slots[0].execute();
            if (!Arrays.equals(app.read(dst, size), data)) {
                throw new IllegalStateException("virtual device: destination differs from the source");
            }
            return new AutoCloseable[] {app, driver, guest, mdev};
        }
    }

    @Benchmark
    public int bareEngine(Bare s, Bytes bytes) {
        return s.step(bytes);
    }

    @Benchmark
    public int userspaceDma(Userspace s, Bytes bytes) {
        return s.step(bytes);
    }

    @Benchmark
    public int virtualDevice(VirtualDevice s, Bytes bytes) {
        return s.step(bytes);
    }
}
