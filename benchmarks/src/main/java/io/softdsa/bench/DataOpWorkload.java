package io.softdsa.bench;

import io.softdsa.bench.support.DataOp;
import io.softdsa.bench.support.OpBuffers;
import io.softdsa.bench.support.Pipeline;
import io.softdsa.bench.support.Slot;
import io.softdsa.bench.support.Testbed;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;

/** A data operation on a shared WQ against its {@link io.softdsa.bench.support.CpuKernels CPU baseline}. */
final class DataOpWorkload implements Workload {
    private final DataOp op;
    private final long size;
    private OpBuffers buffers;
    /** Where the baseline's results go, so the JIT cannot drop a computation whose result is unused. */
    private long sink;

    DataOpWorkload(DataOp op, long size) {
        this.op = op;
        this.size = size;
    }

    @Override
    public String id() {
        return op.label() + "-" + Sizes.compact(size);
    }

    @Override
    public String operation() {
        return op.label();
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public Unit unit() {
        return Unit.GB_PER_S;
    }

    @Override
    public String baselineName() {
        return op.baselineName();
    }

    @Override
    public WqMode mode() {
        return WqMode.SHARED;
    }

    @Override
    public void open(HostMemory memory) {
        buffers = OpBuffers.allocate(memory, size);
    }

    @Override
    public void verify(Testbed testbed) {
        op.verify(new Slot(testbed, d -> op.describe(d, buffers)), buffers);
    }

    @Override
    public Batch softdsa(Testbed testbed) {
        final Pipeline pipeline = new Pipeline(testbed, Pipeline.DEFAULT_WINDOW, d -> op.describe(d, buffers)).start();
        return Batch.of(pipeline::run, pipeline::drain);
    }

    @Override
    public RoundTrip roundTrip(Testbed testbed) {
        final Slot slot = new Slot(testbed, d -> op.describe(d, buffers));
        return slot::execute;
    }

    @Override
    public Batch baseline() {
        return Batch.of(n -> sink += op.baseline(buffers, n), () -> { });
    }

    /** The operands {@link #open} allocated (null before it and after {@link #close}). */
    OpBuffers buffers() {
        return buffers;
    }

    @Override
    public void close() {
        if (buffers != null) {
            buffers.close();
            buffers = null;
        }
    }
}
