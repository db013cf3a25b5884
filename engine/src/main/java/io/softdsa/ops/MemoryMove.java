package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.iommu.Translation;
import io.softdsa.memory.Page;

import java.lang.foreign.MemorySegment;

/**
 * Memory move (0x03) with memmove semantics (fact sheet section 7). Forward runs are as long as both translations
 * stay host-contiguous; an overlapping move with destination above source runs backwards page by page and reports
 * result = 1 so a partial completion is resumed by shrinking the size only.
 */
public final class MemoryMove implements Operation {
    private static final long PAGE = Page.SIZE;

    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        if (x.badTransferSize(size)) {
            return Status.INVALID_TRANSFER_SIZE;
        }
        final long src = d.source();
        final long dst = d.destination();
        if (dst != src && Long.compareUnsigned(dst - src, size) < 0) {
            x.result.result = 1;
            return backward(src, dst, size, x);
        }
        return forward(src, dst, size, x);
    }

    static int forward(long src, long dst, long size, OpContext x) {
        final Dma dma = x.dma;
        final MemorySegment m = x.memory;
        long done = 0;
        while (done < size) {
            if (!dma.map2(src + done, size - done, Translation.READ, dst + done, Translation.WRITE)) {
                return x.fault(done);
            }
            final long n = dma.length();
            MemorySegment.copy(m, dma.hostAddress(0), m, dma.hostAddress(1), n);
            done += n;
        }
        return Status.SUCCESS;
    }

    private static int backward(long src, long dst, long size, OpContext x) {
        final Dma dma = x.dma;
        final MemorySegment m = x.memory;
        long done = 0;
        while (done < size) {
            final long end = size - done;
            // the chunk ending at `end` that stays inside one page of both buffers
            long chunk = Math.min(end, ((src + end - 1) & (PAGE - 1)) + 1);
            chunk = Math.min(chunk, ((dst + end - 1) & (PAGE - 1)) + 1);
            final long offset = end - chunk;
            if (!dma.map2(src + offset, chunk, Translation.READ, dst + offset, Translation.WRITE)) {
                return x.fault(done);
            }
            if (dma.length() != chunk) {
                // a chunk lies inside one page of each buffer, and a translation covers at least to a page's end
                throw new IllegalStateException("translation run " + dma.length() + " < chunk " + chunk);
            }
            MemorySegment.copy(m, dma.hostAddress(0), m, dma.hostAddress(1), chunk);
            done += chunk;
        }
        return Status.SUCCESS;
    }
}
