package io.softdsa.bench.support;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * What each DSA operation computes, done by the CPU with the JDK's best tools on the same host memory: the baselines
 * the device is compared against. Static and allocation-free, so JMH and QuickRun call them directly.
 */
public final class CpuKernels {
    private CpuKernels() {
    }

    /** Memory move. */
    public static void copy(OpBuffers b) {
        MemorySegment.copy(b.src(), 0, b.dst(), 0, b.size());
    }

    /** Fill with the pattern byte. */
    public static void fill(OpBuffers b) {
        b.dst().fill(OpBuffers.FILL_BYTE);
    }

    /** Compare: offset of the first difference, -1 if equal. */
    public static long mismatch(OpBuffers b) {
        return b.src().mismatch(b.dst());
    }

    /** CRC-32C of the source (seed 0, which is what the device's CRC generation gives for seed 0). */
    public static int crc32c(OpBuffers b) {
        final CRC32C crc = b.crc();
        final ByteBuffer view = b.srcView();
        view.clear();
        crc.reset();
        crc.update(view);
        return (int) crc.getValue();
    }

    /** Copy with CRC: the copy, then the CRC of the source. */
    public static int copyCrc32c(OpBuffers b) {
        copy(b);
        return crc32c(b);
    }

    /** Dualcast: the source copied to both destinations. */
    public static void dualcast(OpBuffers b) {
        MemorySegment.copy(b.src(), 0, b.dst(), 0, b.size());
        MemorySegment.copy(b.src(), 0, b.dst2(), 0, b.size());
    }
}
