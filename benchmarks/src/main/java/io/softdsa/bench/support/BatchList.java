package io.softdsa.bench.support;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorLayout;
import io.softdsa.descriptor.Opcode;
import io.softdsa.memory.HostBuffer;

import java.util.function.Consumer;

/**
 * A descriptor list for Batch descriptors (opcode 0x01: the list's address in bytes 16-23, its count in bytes 32-35,
 * the list 64-byte aligned in host memory): {@code count} descriptors of one data operation on the same operands,
 * without completion fields. That is how a user batches for throughput: only the Batch descriptor asks for a record,
 * which says Success only if every descriptor in the list succeeded, so the engine writes one record instead of
 * {@code count}. Every Batch descriptor of a pipeline may share one list, since the device only reads it.
 */
public final class BatchList {
    private final long address;
    private final int count;

    private BatchList(long address, int count) {
        this.address = address;
        this.count = count;
    }

    /**
     * Writes the list into host memory from {@code testbed}'s client (freed with the testbed).
     *
     * @throws IllegalArgumentException if {@code count} is outside 2 .. the WQ's maximum batch size
     */
    public static BatchList write(Testbed testbed, DataOp op, OpBuffers buffers, int count) {
        final int max = testbed.wq().config().maxBatchSize();
        if (count < 2 || count > max) {
            throw new IllegalArgumentException("a batch holds 2 .. " + max + " descriptors (WQ max batch size): "
                + count);
        }
        final HostBuffer list = testbed.client().allocate((long) count * DescriptorLayout.LENGTH);
        if ((list.address() & (DescriptorLayout.LENGTH - 1)) != 0) {
            throw new IllegalStateException("descriptor list not 64-byte aligned: " + list.address());
        }
        for (int i = 0; i < count; i++) {
            op.describe(new Descriptor(list.segment(), (long) i * DescriptorLayout.LENGTH), buffers);
        }
        return new BatchList(list.address(), count);
    }

    /** Writes the Batch descriptor that runs this list into a zeroed descriptor (completion fields are the caller's). */
    public void describe(Descriptor d) {
        d.opcode(Opcode.BATCH).source(address).transferSize(count);
    }

    /** {@link #describe} as a {@link Slot}'s or {@link Pipeline}'s describer. */
    public Consumer<Descriptor> describer() {
        return this::describe;
    }

    public long address() {
        return address;
    }

    public int count() {
        return count;
    }
}
