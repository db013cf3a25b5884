package io.softdsa.bench.jmh;

import io.softdsa.bench.support.BatchList;
import io.softdsa.bench.support.DataOp;
import io.softdsa.bench.support.OpBuffers;
import io.softdsa.bench.support.RingRelay;
import io.softdsa.bench.support.Slot;
import io.softdsa.bench.support.Testbed;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorLayout;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.Threading;
import io.softdsa.device.config.WqMode;
import io.softdsa.engine.DescriptorExecutor;
import io.softdsa.memory.HostMemory;
import io.softdsa.memory.Le;
import io.softdsa.portal.Portal;
import org.agrona.BufferUtil;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The engine's own work per descriptor, without a second core: one thread submits a run of
 * {@value #RUN} descriptors and then drives the engine ({@link Threading#INVOKER_RUNS} or
 * {@link Threading#INVOKER}) until they are all done, so no
 * cache line crosses between cores and the VM's hand-off modes (which move every cross-core row two- to threefold)
 * do not enter. Time per descriptor, average mode: the figure that bounds every row limited by per-descriptor cost
 * (a pipeline on two cores runs no faster than its slower side, and the engine's side is at least this).
 * <ul>
 *   <li>{@code softdsa}, {@code op = noop}: a no-op without a completion record, the portal rows' descriptor.</li>
 *   <li>{@code softdsa}, {@code op = memmove}: a 64-byte memmove with a completion record (two translations of its
 *       operands, one of the record), the batch and 4 KiB rows' descriptor with the copy nearly free.</li>
 *   <li>{@code batch}: a Batch of 32 such memmoves, per descriptor of its list (no record of their own).</li>
 *   <li>{@code agronaOneToOne}: the same run of 64-byte records written into and read back from an Agrona
 *       {@code OneToOneRingBuffer} on one thread, the bare queue's own work.</li>
 *   <li>{@code copy64}: {@code MemorySegment.copy} of the 64 bytes alone.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmArgs.ADD_EXPORTS, JvmArgs.MISC_TO_UNNAMED, JvmArgs.NATIVE_ACCESS, JvmArgs.SUN_MISC_UNSAFE})
public class EngineWork {
    /** Descriptors per invocation: one claim run of the engine. */
    static final int RUN = DescriptorExecutor.CLAIM_RUN;
    /** Descriptors in the {@link #batch} row's list: the Linux default maximum batch size. */
    static final int BATCH = 32;
    private static final long HOST_MEMORY = 8L << 20;

    /** A shared WQ whose one engine has no thread of its own, and two 64-byte buffers; each row adds its own. */
    @State(Scope.Thread)
    public abstract static class InvokedDevice {
        private HostMemory memory;
        OpBuffers buffers;
        Testbed testbed;
        Device device;

        @Setup(Level.Trial)
        public void openDevice() {
            memory = HostMemory.allocate(HOST_MEMORY);
            buffers = OpBuffers.allocate(memory, 64);
            testbed = Testbed.open(memory, WqMode.SHARED, 1, threading());
            device = testbed.device();
            prepare();
        }

        HostMemory memory() {
            return memory;
        }

        /** Who drives the engine: the invoker, one descriptor a call, unless a row says otherwise. */
        Threading threading() {
            return Threading.INVOKER;
        }

        /** The row's own descriptors, once the device is open (one setup method: JMH orders several arbitrarily). */
        abstract void prepare();

        @TearDown(Level.Trial)
        public void closeDevice() {
            try {
                testbed.checkHealthy();
            } finally {
                Resources.close(testbed, buffers, memory);
            }
        }
    }

    /**
     * {@value #RUN} descriptors to submit: no-ops without record, or memmoves each with its own record; the engine
     * invoked as a runner thread's duty cycle ({@code INVOKER_RUNS}: the {@value #RUN} taken with one claim, their
     * records held back to the run's end) or stepped one descriptor a call ({@code INVOKER}, as tests step it: a claim
     * and the invoker's own CAS and volatile store per descriptor).
     */
    @State(Scope.Thread)
    public static class Rig extends InvokedDevice {
        @Param({"noop", "memmove"})
        public String op;
        @Param({"INVOKER_RUNS", "INVOKER"})
        public String threading;

        @Override
        Threading threading() {
            return Threading.valueOf(threading);
        }

        Portal portal;
        Descriptor noop;
        final Slot[] slots = new Slot[RUN];
        long completed;

        @Override
        void prepare() {
            portal = testbed.client().portal();
            noop = testbed.client().descriptor().opcode(Opcode.NOOP);
            for (int i = 0; i < RUN; i++) {
                slots[i] = new Slot(testbed, d -> DataOp.MEMMOVE.describe(d, buffers));
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(RUN)
    public long softdsa(Rig r) {
        if (r.op.equals("noop")) {
            for (int i = 0; i < RUN; i++) {
                if (!r.portal.enqcmd(r.noop)) {
                    throw new IllegalStateException("WQ full although every run is retired before the next");
                }
            }
            r.completed += RUN;
            while (r.device.completedDescriptors() < r.completed) {
                r.device.invokeEngines();
            }
            return r.completed;
        }
        for (Slot s : r.slots) {
            s.arm();
            s.submit();
        }
        while (!r.slots[RUN - 1].isDone()) {
            r.device.invokeEngines();
        }
        long sum = 0;
        for (Slot s : r.slots) {
            sum += s.check(s.record().rawStatus());
        }
        return sum;
    }

    /** A Batch of {@value #BATCH} 64-byte memmoves (one record, the batch's). */
    @State(Scope.Thread)
    public static class BatchRig extends InvokedDevice {
        Slot batch;
        /** For {@link #bareList}: the list, host memory, and the WQ's limits as plain tables. */
        long list;
        java.lang.foreign.MemorySegment hostMemory;
        long maxTransferSize;
        final boolean[] implemented = new boolean[256];
        final int[] allowedFlags = new int[256];

        @Override
        void prepare() {
            final BatchList l = BatchList.write(testbed, DataOp.MEMMOVE, buffers, BATCH);
            batch = new Slot(testbed, l.describer());
            list = l.address();
            hostMemory = memory().segment();
            maxTransferSize = testbed.wq().config().maxTransferSize();
            implemented[Opcode.MEMMOVE] = true;
            allowedFlags[Opcode.MEMMOVE] = 0x00FF_FFFF; // the list carries no flags: the test, not the mask, is the cost
        }
    }

    /** Time per descriptor of the list: validation, two translations and the copy, no record of its own. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int batch(BatchRig r) {
        r.batch.arm();
        r.batch.submit();
        while (!r.batch.isDone()) {
            r.device.invokeEngines();
        }
        return r.batch.check(r.batch.record().rawStatus());
    }

    /**
     * The same list as {@link #batch}, run by the least a correct interpreter of it must do: per descriptor, the
     * generic checks (opcode, flags against the opcode's allowed set, the reserved bits of bytes 0-3, 38-39 and
     * 40-63, the transfer size against the WQ's maximum), both operands bounded by host memory (pass-through
     * translation), the overlap test, and the copy; read with plain loads through one segment, no translation cache,
     * no record, no SWERR path, no telemetry. A floor for {@code batch}, not a design: what is left between the two is
     * softdsa's own per-descriptor work.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long bareList(BatchRig r) {
        final java.lang.foreign.MemorySegment m = r.hostMemory;
        final long limit = m.byteSize();
        long status = 0;
        for (int i = 0; i < BATCH; i++) {
            final long at = r.list + (long) i * DescriptorLayout.LENGTH;
            final int pasidWord = m.get(Le.INT, at + DescriptorLayout.PASID_PRIV_OFFSET);
            final int word = m.get(Le.INT, at + DescriptorLayout.FLAGS_OFFSET);
            final int opcode = word >>> DescriptorLayout.OPCODE_SHIFT;
            final int flags = word & DescriptorLayout.FLAGS_MASK;
            final long src = m.get(Le.LONG, at + DescriptorLayout.SOURCE_OFFSET);
            final long dst = m.get(Le.LONG, at + DescriptorLayout.DESTINATION_OFFSET);
            final long size = Integer.toUnsignedLong(m.get(Le.INT, at + DescriptorLayout.TRANSFER_SIZE_OFFSET));
            if (!r.implemented[opcode] || (flags & ~r.allowedFlags[opcode]) != 0
                || (pasidWord & DescriptorLayout.PASID_RESERVED_MASK) != 0
                || m.get(Le.SHORT, at + DescriptorLayout.RESERVED_38_OFFSET) != 0
                || (m.get(Le.LONG, at + 40) | m.get(Le.LONG, at + 48) | m.get(Le.LONG, at + 56)) != 0
                || size == 0 || size > r.maxTransferSize
                || Long.compareUnsigned(src, limit - size) > 0 || Long.compareUnsigned(dst, limit - size) > 0
                || (dst != src && Long.compareUnsigned(dst - src, size) < 0)) {
                status++;
                continue;
            }
            java.lang.foreign.MemorySegment.copy(m, src, m, dst, size);
        }
        if (status != 0) {
            throw new IllegalStateException(status + " of the list's descriptors failed the floor's checks");
        }
        return status;
    }

    /** An Agrona one-to-one ring written and read on this thread. */
    @State(Scope.Thread)
    public static class Ring {
        OneToOneRingBuffer ring;
        UnsafeBuffer record;
        long checksum;
        final MessageHandler handler = (type, buffer, index, length) -> checksum += buffer.getLong(index);

        @Setup(Level.Trial)
        public void setUp() {
            ring = new OneToOneRingBuffer(new UnsafeBuffer(BufferUtil.allocateDirectAligned(
                RingRelay.CAPACITY + RingBufferDescriptor.TRAILER_LENGTH, 64)));
            record = new UnsafeBuffer(BufferUtil.allocateDirectAligned(RingRelay.RECORD_LENGTH, 64));
        }
    }

    @Benchmark
    @OperationsPerInvocation(RUN)
    public long agronaOneToOne(Ring r) {
        for (int i = 0; i < RUN; i++) {
            if (!r.ring.write(1, r.record, 0, RingRelay.RECORD_LENGTH)) {
                throw new IllegalStateException("ring full although every run is read before the next");
            }
        }
        int read = 0;
        while (read < RUN) {
            read += r.ring.read(r.handler);
        }
        return r.checksum;
    }

    /** Two 64-byte buffers. */
    @State(Scope.Thread)
    public static class Buffers {
        final java.lang.foreign.MemorySegment from = java.lang.foreign.Arena.ofAuto().allocate(64, 64);
        final java.lang.foreign.MemorySegment to = java.lang.foreign.Arena.ofAuto().allocate(64, 64);
    }

    @Benchmark
    public java.lang.foreign.MemorySegment copy64(Buffers b) {
        java.lang.foreign.MemorySegment.copy(b.from, 0, b.to, 0, 64);
        return b.to;
    }
}
