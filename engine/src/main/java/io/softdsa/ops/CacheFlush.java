package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.iommu.Translation;

/**
 * Cache flush (0x20, fact sheet section 7): softdsa has no CPU cache to flush, so it validates, translates every
 * page of the destination range (24-31, size) as a write — faulting exactly as a write would — and completes without
 * touching memory. Cache control (keep the lines) is accepted and changes nothing.
 */
public final class CacheFlush implements Operation {
    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        if (x.badTransferSize(size)) {
            return Status.INVALID_TRANSFER_SIZE;
        }
        final long dst = d.destination();
        final Dma dma = x.dma;
        long done = 0;
        while (done < size) {
            if (!dma.map(dst + done, size - done, Translation.WRITE)) {
                return x.fault(done);
            }
            done += dma.length();
        }
        return Status.SUCCESS;
    }
}
