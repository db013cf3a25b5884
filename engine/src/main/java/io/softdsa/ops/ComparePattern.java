package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.iommu.Translation;

import java.lang.foreign.MemorySegment;

/**
 * Compare pattern (0x06): source byte i against byte (i mod 8) of the pattern at bytes 24-31. On a difference the
 * bytes-completed field is the offset rounded down to a multiple of 8, exact inside a final partial word (softdsa
 * rule, fact sheet section 7).
 */
public final class ComparePattern implements Operation {
    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        if (x.badTransferSize(size)) {
            return Status.INVALID_TRANSFER_SIZE;
        }
        final long pattern = d.destination();
        x.pattern.prepare(pattern, pattern);
        final MemorySegment block = x.pattern.segment();
        final long src = d.source();
        final Dma dma = x.dma;
        final MemorySegment m = x.memory;
        long done = 0;
        while (done < size) {
            if (!dma.map(src + done, size - done, Translation.READ)) {
                return x.fault(done);
            }
            final long host = dma.hostAddress();
            final long n = dma.length();
            for (long i = 0; i < n; ) {
                final long chunk = Math.min(n - i, PatternBlock.BLOCK);
                final long phase = (done + i) & 7;
                final long at = MemorySegment.mismatch(m, host + i, host + i + chunk, block, phase, phase + chunk);
                if (at >= 0) {
                    final long offset = done + i + at;
                    x.result.result = 1;
                    x.result.bytesCompleted = offset >= (size & ~7L) ? offset : offset & ~7L;
                    return Compare.checkResult(d, x);
                }
                i += chunk;
            }
            done += n;
        }
        x.result.result = 0;
        return Compare.checkResult(d, x);
    }
}
