package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.iommu.Translation;

import java.lang.foreign.MemorySegment;

/**
 * Compare (0x05): result 0 when source 1 and source 2 (bytes 24-31) are equal, 1 otherwise with bytes completed =
 * the exact offset of the first difference. With Check result, the status says whether the result was the expected
 * one (byte 40).
 */
public final class Compare implements Operation {
    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        if (x.badTransferSize(size)) {
            return Status.INVALID_TRANSFER_SIZE;
        }
        final long a = d.source();
        final long b = d.destination();
        final Dma dma = x.dma;
        final MemorySegment m = x.memory;
        long done = 0;
        while (done < size) {
            if (!dma.map2(a + done, size - done, Translation.READ, b + done, Translation.READ)) {
                return x.fault(done);
            }
            final long n = dma.length();
            final long ha = dma.hostAddress(0);
            final long hb = dma.hostAddress(1);
            final long at = MemorySegment.mismatch(m, ha, ha + n, m, hb, hb + n);
            if (at >= 0) {
                x.result.result = 1;
                x.result.bytesCompleted = done + at;
                return checkResult(d, x);
            }
            done += n;
        }
        x.result.result = 0;
        return checkResult(d, x);
    }

    /** Check result (flag bit 7) for compare and compare pattern. */
    static int checkResult(Descriptor d, OpContext x) {
        if (!x.flag(DescriptorFlags.CHECK_RESULT)) {
            return Status.SUCCESS;
        }
        return x.result.result == d.expectedResult() ? Status.SUCCESS : Status.SUCCESS_PRED;
    }
}
