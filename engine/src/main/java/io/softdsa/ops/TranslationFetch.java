package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.iommu.Translation;
import io.softdsa.memory.Page;

/**
 * Translation fetch (0x0A, DSA 2.0, fact sheet section 7): translates the pages of the region [start (16-23),
 * start + region size (32-35)) as reads so the IOTLB holds them; no data moves. With a region stride (48-51) of 0
 * every page is translated; with a stride S only the pages holding start + j·S (j = 0, 1, …) inside the region are.
 * A failure stops with bytes completed = the region offset reached, like any read.
 */
public final class TranslationFetch implements Operation {
    private static final long PAGE = Page.SIZE;

    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        if (x.badTransferSize(size)) {
            return Status.INVALID_TRANSFER_SIZE;
        }
        final long start = d.source();
        final long stride = d.regionStride();
        final Dma dma = x.dma;
        long offset = 0;
        while (offset < size) {
            final long address = start + offset;
            // exactly the page holding `address` (never a neighbour a stride skips)
            final long wanted = Math.min(PAGE - (address & (PAGE - 1)), size - offset);
            if (!dma.map(address, wanted, Translation.READ)) {
                return x.fault(offset);
            }
            final long covered = offset + dma.length();
            if (stride == 0) {
                offset = covered;
            } else {
                // the first stride step at or beyond what this translation covered
                offset += (covered - offset + stride - 1) / stride * stride;
            }
        }
        return Status.SUCCESS;
    }
}
