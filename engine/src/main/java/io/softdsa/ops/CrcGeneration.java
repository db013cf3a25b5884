package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.iommu.Translation;
import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;

/**
 * CRC generation (0x10) and copy with CRC generation (0x11): CRC-32C of the source (fact sheet section 8) into
 * completion bytes 16-19, the copy variant also moving the source to a non-overlapping destination. The seed comes
 * from bytes 40-43, or with op flag 16 from 4 bytes at the seed address. On a partial completion the CRC field holds
 * the CRC of the bytes done, ready to seed the resumed descriptor.
 */
public final class CrcGeneration implements Operation {
    private final boolean copy;

    public CrcGeneration(boolean copy) {
        this.copy = copy;
    }

    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        if (x.badTransferSize(size)) {
            return Status.INVALID_TRANSFER_SIZE;
        }
        final long src = d.source();
        final long dst = d.destination();
        if (copy && Overlap.overlaps(src, size, dst, size)) {
            return Status.OVERLAPPING_BUFFERS;
        }
        final Dma dma = x.dma;
        int seed = d.crcSeed();
        if (x.flag(DescriptorFlags.CRC_SEED_FROM_MEMORY)) {
            final long seedAddress = d.crcSeedAddress();
            seed = 0;
            for (int i = 0; i < 4; ) { // 4 bytes that may straddle a page
                if (!dma.map(seedAddress + i, 4 - i, Translation.READ)) {
                    return x.fault(0);
                }
                for (long k = 0; k < dma.length(); k++, i++) {
                    seed |= (x.memory.get(Le.BYTE, dma.hostAddress() + k) & 0xFF) << (8 * i);
                }
            }
        }
        final Crc32cUnit crc = x.crc;
        crc.begin(seed, x.flags);
        final MemorySegment m = x.memory;
        long done = 0;
        while (done < size) {
            final boolean mapped = copy
                ? dma.map2(src + done, size - done, Translation.READ, dst + done, Translation.WRITE)
                : dma.map(src + done, size - done, Translation.READ);
            if (!mapped) {
                x.result.field16 = Integer.toUnsignedLong(crc.value(done));
                return x.fault(done);
            }
            final long from = dma.hostAddress(0);
            final long n = dma.length();
            if (copy) {
                MemorySegment.copy(m, from, m, dma.hostAddress(1), n);
            }
            crc.update(from, n);
            done += n;
        }
        x.result.field16 = Integer.toUnsignedLong(crc.value(size));
        return Status.SUCCESS;
    }
}
