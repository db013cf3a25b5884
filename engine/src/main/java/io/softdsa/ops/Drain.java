package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.iommu.Translation;

/**
 * Drain (0x02): completes after every descriptor dispatched earlier from the same WQ has completed (a superset of
 * "same PASID", which is what the fact sheet requires), then reads the readback addresses whose valid flags are set
 * (a fault there is 0x1F).
 */
public final class Drain implements Operation {
    @Override
    public int execute(Descriptor d, OpContext x) {
        x.awaitEarlierWork();
        if (x.flag(DescriptorFlags.DRAIN_READBACK1) && !x.dma.map(d.source(), 1, Translation.READ)) {
            x.fault(0);
            return Status.READBACK_FAULT;
        }
        if (x.flag(DescriptorFlags.DRAIN_READBACK2) && !x.dma.map(d.destination(), 1, Translation.READ)) {
            x.fault(0);
            return Status.READBACK_FAULT;
        }
        return Status.SUCCESS;
    }
}
