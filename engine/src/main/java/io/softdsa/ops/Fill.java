package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.iommu.Translation;
import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;

/**
 * Fill (0x04): repeats the 8-byte pattern (bytes 16-23), or with op flag 18 the 16-byte pattern (low 16-23, high
 * 40-47), over the destination; byte i of the destination is pattern byte i mod 8 (or 16), and the last repetition
 * is cut. Large runs copy from the engine's {@link PatternBlock}.
 */
public final class Fill implements Operation {
    private static final long SMALL = 256;

    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        if (x.badTransferSize(size)) {
            return Status.INVALID_TRANSFER_SIZE;
        }
        final long low = d.source();
        final long high = x.flag(DescriptorFlags.FILL_PATTERN_16) ? d.fillPatternHigh() : low;
        if (size > SMALL) {
            x.pattern.prepare(low, high);
        }
        final long dst = d.destination();
        final Dma dma = x.dma;
        long done = 0;
        while (done < size) {
            if (!dma.map(dst + done, size - done, Translation.WRITE)) {
                return x.fault(done);
            }
            final long n = dma.length();
            if (size <= SMALL) {
                writeSmall(x.memory, dma.hostAddress(), n, (int) (done & 15), low, high);
            } else {
                writeBlocks(x, dma.hostAddress(), n, (int) (done & 15));
            }
            done += n;
        }
        return Status.SUCCESS;
    }

    private static void writeSmall(MemorySegment m, long host, long n, int phase, long low, long high) {
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            m.set(Le.LONG, host + i, patternLong(low, high, (int) ((phase + i) & 15)));
        }
        for (; i < n; i++) {
            m.set(Le.BYTE, host + i, patternByte(low, high, (int) ((phase + i) & 15)));
        }
    }

    private static void writeBlocks(OpContext x, long host, long n, int phase) {
        final MemorySegment block = x.pattern.segment();
        long i = 0;
        while (i < n) {
            final long chunk = Math.min(n - i, PatternBlock.BLOCK);
            // the block has period 16, so starting at (phase + i) mod 16 continues the pattern exactly
            MemorySegment.copy(block, (phase + i) & 15, x.memory, host + i, chunk);
            i += chunk;
        }
    }

    /** The 8 bytes of the 16-byte pattern starting at byte {@code phase}. */
    static long patternLong(long low, long high, int phase) {
        if (phase >= 8) {
            final long t = low;
            low = high;
            high = t;
            phase -= 8;
        }
        return phase == 0 ? low : (low >>> (8 * phase)) | (high << (64 - 8 * phase));
    }

    static byte patternByte(long low, long high, int phase) {
        return (byte) ((phase < 8 ? low : high) >>> (8 * (phase & 7)));
    }
}
