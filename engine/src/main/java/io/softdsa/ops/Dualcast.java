package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.iommu.Translation;

import java.lang.foreign.MemorySegment;

/**
 * Dualcast (0x09): copies the source to destination 1 (bytes 24-31) and destination 2 (bytes 40-47). The two
 * destinations must agree in bits 11:0 (0x17), and no two of the three buffers may overlap (0x16).
 */
public final class Dualcast implements Operation {
    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        if (x.badTransferSize(size)) {
            return Status.INVALID_TRANSFER_SIZE;
        }
        final long src = d.source();
        final long dst1 = d.destination();
        final long dst2 = d.destination2();
        if ((dst1 & 0xFFF) != (dst2 & 0xFFF)) {
            return Status.DUALCAST_ADDRESS;
        }
        if (Overlap.overlaps(src, size, dst1, size) || Overlap.overlaps(src, size, dst2, size)
            || Overlap.overlaps(dst1, size, dst2, size)) {
            return Status.OVERLAPPING_BUFFERS;
        }
        final Dma dma = x.dma;
        final MemorySegment m = x.memory;
        long done = 0;
        while (done < size) {
            if (!dma.map3(src + done, size - done, Translation.READ, dst1 + done, Translation.WRITE,
                dst2 + done, Translation.WRITE)) {
                return x.fault(done);
            }
            final long n = dma.length();
            MemorySegment.copy(m, dma.hostAddress(0), m, dma.hostAddress(1), n);
            MemorySegment.copy(m, dma.hostAddress(0), m, dma.hostAddress(2), n);
            done += n;
        }
        return Status.SUCCESS;
    }
}
