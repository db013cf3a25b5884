package io.softdsa.bench;

import io.softdsa.bench.support.BatchList;
import io.softdsa.bench.support.DataOp;
import io.softdsa.bench.support.Pipeline;
import io.softdsa.bench.support.Slot;
import io.softdsa.bench.support.Testbed;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;

/**
 * A data operation submitted {@code count} at a time in Batch descriptors ({@link BatchList}), against the same CPU
 * baseline as the plain row: one operation of the row is one descriptor of a list, so the ratio says what batching
 * buys over the plain descriptors of {@link DataOpWorkload}. {@link Pipeline#DEFAULT_WINDOW} Batch descriptors are
 * in flight; the latency is one whole batch's, from intended send time to its record.
 */
final class BatchWorkload implements Workload {
    private final DataOpWorkload plain;
    private final DataOp op;
    private final int count;

    BatchWorkload(DataOp op, long size, int count) {
        this.plain = new DataOpWorkload(op, size);
        this.op = op;
        this.count = count;
    }

    @Override
    public String id() {
        return plain.id() + "-batch" + count;
    }

    @Override
    public String operation() {
        return op.label() + ", batch " + count;
    }

    @Override
    public long size() {
        return plain.size();
    }

    @Override
    public Unit unit() {
        return plain.unit();
    }

    @Override
    public String baselineName() {
        return plain.baselineName();
    }

    @Override
    public WqMode mode() {
        return plain.mode();
    }

    @Override
    public int operationsPerRoundTrip() {
        return count;
    }

    @Override
    public void open(HostMemory memory) {
        plain.open(memory);
    }

    @Override
    public void verify(Testbed testbed) {
        op.verify(new Slot(testbed, list(testbed).describer()), plain.buffers());
    }

    @Override
    public Batch softdsa(Testbed testbed) {
        final Pipeline pipeline = new Pipeline(testbed, Pipeline.DEFAULT_WINDOW, list(testbed).describer()).start();
        return new Batch() {
            /** Descriptors completed but not yet handed out as operations: the meter asks for any n, not batches. */
            private long credit;

            @Override
            public void run(int n) {
                while (credit < n) {
                    pipeline.step();
                    credit += count;
                }
                credit -= n;
            }

            @Override
            public void close() {
                pipeline.drain();
            }
        };
    }

    @Override
    public RoundTrip roundTrip(Testbed testbed) {
        return new Slot(testbed, list(testbed).describer())::execute;
    }

    @Override
    public Batch baseline() {
        return plain.baseline();
    }

    private BatchList list(Testbed testbed) {
        return BatchList.write(testbed, op, plain.buffers(), count);
    }

    @Override
    public void close() {
        plain.close();
    }
}
