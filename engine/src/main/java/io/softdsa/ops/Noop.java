package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;

/** No-op (0x00): completes with Success; probes a queue, orders with Fence inside a batch. */
public final class Noop implements Operation {
    @Override
    public int execute(Descriptor d, OpContext x) {
        return Status.SUCCESS;
    }
}
