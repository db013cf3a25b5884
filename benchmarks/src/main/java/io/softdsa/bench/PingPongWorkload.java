package io.softdsa.bench;

import io.softdsa.bench.support.Slot;
import io.softdsa.bench.support.Testbed;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A no-op at queue depth 1 (submit, the engine retires it, the submitter sees the record) against the floor of any
 * cross-thread hand-off in this JVM: a ping-pong between two busy-spinning threads through one counter each way. A
 * round trip of softdsa crosses the same two cores twice (descriptor to the engine, record back), so the floor says
 * how much of its latency is the machine's; both are measured the same way (throughput at depth 1, and latency by
 * the same meter, see {@link #baselineRoundTrip}).
 */
final class PingPongWorkload implements Workload {
    static final String ID = "roundtrip-noop";
    private PingPong pong;

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String operation() {
        return "noop round trip (qd 1)";
    }

    @Override
    public long size() {
        return 64;
    }

    @Override
    public Unit unit() {
        return Unit.MOPS_PER_S;
    }

    @Override
    public String baselineName() {
        return "thread ping-pong";
    }

    @Override
    public WqMode mode() {
        return WqMode.SHARED;
    }

    @Override
    public void open(HostMemory memory) {
    }

    @Override
    public void verify(Testbed testbed) {
        roundTrip(testbed).execute();
    }

    @Override
    public Batch softdsa(Testbed testbed) {
        final RoundTrip one = roundTrip(testbed);
        return Batch.of(n -> {
            for (int i = 0; i < n; i++) {
                one.execute();
            }
        }, () -> { });
    }

    @Override
    public RoundTrip roundTrip(Testbed testbed) {
        final Slot slot = new Slot(testbed, d -> d.opcode(Opcode.NOOP));
        return slot::execute;
    }

    @Override
    public Batch baseline() {
        final PingPong p = PingPong.start();
        return Batch.of(n -> {
            for (int i = 0; i < n; i++) {
                p.roundTrip();
            }
        }, p::close);
    }

    @Override
    public RoundTrip baselineRoundTrip() {
        pong = PingPong.start();
        return pong::roundTrip;
    }

    @Override
    public void closeBaselineRoundTrip() {
        if (pong != null) {
            pong.close();
            pong = null;
        }
    }

    @Override
    public void close() {
        closeBaselineRoundTrip();
    }

    /** Two counters and a partner thread that answers each ping. */
    static final class PingPong implements AutoCloseable {
        private final AtomicLong ping = new AtomicLong();
        private final AtomicLong pong = new AtomicLong();
        private final Thread partner;
        private volatile boolean stop;
        private long sent;

        private PingPong() {
            partner = Thread.ofPlatform().daemon().name("ping-pong").start(() -> {
                long seen = 0;
                while (!stop) {
                    final long p = ping.get(); // acquire: pairs with the caller's release of ping
                    if (p != seen) {
                        seen = p;
                        pong.lazySet(p); // release: pairs with the caller's acquire of pong
                    } else {
                        Thread.onSpinWait();
                    }
                }
            });
        }

        static PingPong start() {
            return new PingPong();
        }

        void roundTrip() {
            final long n = ++sent;
            ping.lazySet(n);
            while (pong.get() != n) {
                Thread.onSpinWait();
            }
        }

        @Override
        public void close() {
            stop = true;
            try {
                partner.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
