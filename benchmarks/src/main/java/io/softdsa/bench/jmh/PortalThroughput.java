package io.softdsa.bench.jmh;

import io.softdsa.bench.support.NoopStream;
import io.softdsa.bench.support.RingRelay;
import io.softdsa.bench.support.Testbed;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.Threading;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;
import io.softdsa.portal.Portal;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The portal as a queue of 64-byte entries, against Agrona's ring buffers carrying 64-byte records. One invocation
 * = one entry accepted; the consumer (a busy-spinning engine retiring no-ops, or a busy-spinning thread reading
 * records) runs on the other core.
 * <ul>
 *   <li>{@code enqcmd}: ENQCMD into a shared WQ of {@value Testbed#WQ_SIZE}, retried while the WQ says full.</li>
 *   <li>{@code movdir64b}: MOVDIR64B into a dedicated WQ, the submitter keeping occupancy below the WQ size.</li>
 *   <li>{@code enqcmdSameThread}: ENQCMD then one engine duty cycle on the same thread (no engine thread): the
 *       submission and dispatch path alone, without cross-core traffic.</li>
 *   <li>{@code agronaManyToOne} / {@code agronaOneToOne}: {@code write} of a 64-byte record into an 8 KiB ring.</li>
 *   <li>{@code enqcmdTwoProducers} / {@code agronaManyToOneTwoProducers}: the same with two submitting threads into
 *       one shared WQ / one many-to-one ring (ops/s is the sum of both). On a 2-core machine the consumer shares a
 *       core with a producer, so these rows show contention on the tail, not scaling.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmArgs.ADD_EXPORTS, JvmArgs.MISC_TO_UNNAMED, JvmArgs.NATIVE_ACCESS, JvmArgs.SUN_MISC_UNSAFE})
public class PortalThroughput {
    private static final long HOST_MEMORY = 8L << 20;

    /** A device with one WQ of the subclass's mode, one busy-spinning engine, and a no-op stream into it. */
    @State(Scope.Thread)
    public abstract static class WqState {
        private final WqMode mode;
        private HostMemory memory;
        private Testbed testbed;
        NoopStream stream;

        protected WqState(WqMode mode) {
            this.mode = mode;
        }

        @Setup(Level.Trial)
        public void setUp() {
            memory = HostMemory.allocate(HOST_MEMORY);
            testbed = Testbed.open(memory, mode, 1);
            stream = new NoopStream(testbed);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                stream.drain();
                testbed.checkHealthy();
            } finally {
                Resources.close(testbed, memory);
            }
        }
    }

    @State(Scope.Thread)
    public static class SharedWq extends WqState {
        public SharedWq() {
            super(WqMode.SHARED);
        }
    }

    @State(Scope.Thread)
    public static class DedicatedWq extends WqState {
        public DedicatedWq() {
            super(WqMode.DEDICATED);
        }
    }

    /** One shared WQ for every benchmark thread ({@link Producer}s submit into it). */
    @State(Scope.Benchmark)
    public static class SharedWqForAll {
        private HostMemory memory;
        Testbed testbed;

        @Setup(Level.Trial)
        public void setUp() {
            memory = HostMemory.allocate(HOST_MEMORY);
            testbed = Testbed.open(memory, WqMode.SHARED, 1);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                testbed.wq().drain();
                testbed.checkHealthy();
            } finally {
                Resources.close(testbed, memory);
            }
        }
    }

    /** One submitting thread's no-op stream (its own descriptor) into the shared {@link SharedWqForAll}. */
    @State(Scope.Thread)
    public static class Producer {
        NoopStream stream;

        @Setup(Level.Trial)
        public void setUp(SharedWqForAll wq) {
            stream = new NoopStream(wq.testbed);
        }
    }

    /** A shared WQ whose engine has no thread: the benchmark thread drives it. */
    @State(Scope.Thread)
    public static class SameThread {
        private HostMemory memory;
        private Testbed testbed;
        Portal portal;
        Descriptor noop;
        Device device;

        @Setup(Level.Trial)
        public void setUp() {
            memory = HostMemory.allocate(HOST_MEMORY);
            testbed = Testbed.open(memory, WqMode.SHARED, 1, Threading.INVOKER);
            portal = testbed.client().portal();
            noop = testbed.client().descriptor().opcode(Opcode.NOOP);
            device = testbed.device();
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

    /** An Agrona ring with its consumer thread running. */
    @State(Scope.Thread)
    public abstract static class RelayState {
        private final RingRelay.Kind kind;
        RingRelay relay;

        protected RelayState(RingRelay.Kind kind) {
            this.kind = kind;
        }

        @Setup(Level.Trial)
        public void setUp() {
            relay = RingRelay.start(kind);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            relay.close();
        }
    }

    @State(Scope.Thread)
    public static class ManyToOne extends RelayState {
        public ManyToOne() {
            super(RingRelay.Kind.MANY_TO_ONE);
        }
    }

    /** One many-to-one ring for every benchmark thread. */
    @State(Scope.Benchmark)
    public static class ManyToOneForAll extends RelayState {
        public ManyToOneForAll() {
            super(RingRelay.Kind.MANY_TO_ONE);
        }
    }

    @State(Scope.Thread)
    public static class OneToOne extends RelayState {
        public OneToOne() {
            super(RingRelay.Kind.ONE_TO_ONE);
        }
    }

    @Benchmark
    public void enqcmd(SharedWq s) {
        s.stream.submit();
    }

    @Benchmark
    public void movdir64b(DedicatedWq s) {
        s.stream.submit();
    }

    @Benchmark
    public int enqcmdSameThread(SameThread s) {
        if (!s.portal.enqcmd(s.noop)) {
            throw new IllegalStateException("WQ full although every no-op is retired right away");
        }
        return s.device.invokeEngines();
    }

    @Benchmark
    public void agronaManyToOne(ManyToOne s) {
        s.relay.send();
    }

    @Benchmark
    public void agronaOneToOne(OneToOne s) {
        s.relay.send();
    }

    @Benchmark
    @Threads(2)
    public void enqcmdTwoProducers(Producer p) {
        p.stream.submit();
    }

    @Benchmark
    @Threads(2)
    public void agronaManyToOneTwoProducers(ManyToOneForAll s) {
        s.relay.send();
    }
}
