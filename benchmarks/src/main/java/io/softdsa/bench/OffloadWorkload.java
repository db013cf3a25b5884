package io.softdsa.bench;

import io.softdsa.bench.support.DataOp;
import io.softdsa.bench.support.OpBuffers;
import io.softdsa.bench.support.Pipeline;
import io.softdsa.bench.support.Testbed;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;
import org.jctools.queues.MpscArrayQueue;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A 4 KiB memmove offloaded to softdsa against the same copy offloaded in software: to a one-thread
 * {@code ExecutorService} (a task per copy, the future as the completion flag), or through a JCTools
 * {@code MpscArrayQueue} to a busy-spinning worker thread that copies and then raises a completion counter (what
 * one would write by hand). Both keep as many copies in flight as softdsa's pipeline does.
 */
final class OffloadWorkload implements Workload {
    /** How the baseline offloads. */
    enum Kind {
        EXECUTOR("ExecutorService (1 thread)", "offload-executor"),
        JCTOOLS("JCTools MPSC + worker", "offload-jctools");

        final String label;
        final String id;

        Kind(String label, String id) {
            this.label = label;
            this.id = id;
        }
    }

    private static final long SIZE = 4096;
    private final Kind kind;
    /** The softdsa side is the memmove row's own: the same operands, verification, pipeline and round trip. */
    private final DataOpWorkload memmove = new DataOpWorkload(DataOp.MEMMOVE, SIZE);

    OffloadWorkload(Kind kind) {
        this.kind = kind;
    }

    @Override
    public String id() {
        return kind.id;
    }

    @Override
    public String operation() {
        return "memmove offload";
    }

    @Override
    public long size() {
        return SIZE;
    }

    @Override
    public Unit unit() {
        return Unit.GB_PER_S;
    }

    @Override
    public String baselineName() {
        return kind.label;
    }

    @Override
    public WqMode mode() {
        return memmove.mode();
    }

    @Override
    public void open(HostMemory memory) {
        memmove.open(memory);
    }

    @Override
    public void verify(Testbed testbed) {
        memmove.verify(testbed);
    }

    @Override
    public Batch softdsa(Testbed testbed) {
        return memmove.softdsa(testbed);
    }

    @Override
    public RoundTrip roundTrip(Testbed testbed) {
        return memmove.roundTrip(testbed);
    }

    @Override
    public Batch baseline() {
        return kind == Kind.EXECUTOR ? executor() : jctools();
    }

    private Batch executor() {
        final ExecutorService pool = Executors.newSingleThreadExecutor();
        final OpBuffers buffers = memmove.buffers();
        final Runnable copy = () -> DataOp.MEMMOVE.baseline(buffers, 1);
        final Future<?>[] window = new Future<?>[Pipeline.DEFAULT_WINDOW];
        final long[] submitted = new long[1];
        return Batch.of(n -> {
            for (int i = 0; i < n; i++) {
                final int slot = (int) (submitted[0]++ % window.length);
                if (window[slot] != null) {
                    await(window[slot]); // the window is full: wait for the oldest copy, as the pipeline does
                }
                window[slot] = pool.submit(copy);
            }
        }, () -> {
            for (Future<?> f : window) {
                if (f != null) {
                    await(f);
                }
            }
            pool.shutdownNow();
        });
    }

    private static void await(Future<?> f) {
        try {
            f.get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Batch jctools() {
        final OpBuffers buffers = memmove.buffers();
        final MpscArrayQueue<Object> queue = new MpscArrayQueue<>(Pipeline.DEFAULT_WINDOW * 2);
        final Object token = new Object();
        final AtomicLong completed = new AtomicLong();
        final long[] submitted = new long[1];
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        final Thread worker = Thread.ofPlatform().daemon().name("jctools-worker").start(() -> {
            while (!stop.get()) { // volatile read per empty poll: cheap next to the copy
                if (queue.relaxedPoll() != null) {
                    DataOp.MEMMOVE.baseline(buffers, 1);
                    completed.lazySet(completed.get() + 1); // release: the copy before the flag (single writer)
                } else {
                    Thread.onSpinWait();
                }
            }
        });
        return Batch.of(n -> {
            for (int i = 0; i < n; i++) {
                while (submitted[0] - completed.get() >= Pipeline.DEFAULT_WINDOW) { // acquire: pairs with lazySet
                    Thread.onSpinWait();
                }
                while (!queue.relaxedOffer(token)) {
                    Thread.onSpinWait();
                }
                submitted[0]++;
            }
        }, () -> {
            while (completed.get() < submitted[0]) {
                Thread.onSpinWait();
            }
            stop.set(true);
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @Override
    public void close() {
        memmove.close();
    }
}
