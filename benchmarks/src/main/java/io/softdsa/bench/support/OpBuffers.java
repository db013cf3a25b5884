package io.softdsa.bench.support;

import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * The operands of one data operation of {@code size} bytes, in host memory so the device and the CPU baseline touch
 * the very same pages: a source of pseudo-random bytes, a destination holding a copy of it (so compare sees equal
 * buffers) and a second destination for dualcast. All three are 4 KiB aligned, so the two destinations agree in
 * address bits 11:0 as dualcast requires, and none overlaps another.
 */
public final class OpBuffers implements AutoCloseable {
    /** Fill pattern: the same byte eight times, so an 8-byte pattern fill and a byte fill write the same memory. */
    public static final byte FILL_BYTE = 0x5A;
    public static final long FILL_PATTERN = 0x5A5A_5A5A_5A5A_5A5AL;

    private final long size;
    private final HostBuffer src;
    private final HostBuffer dst;
    private final HostBuffer dst2;
    private final ByteBuffer srcView;
    private final CRC32C crc = new CRC32C();

    private OpBuffers(long size, HostBuffer src, HostBuffer dst, HostBuffer dst2) {
        this.size = size;
        this.src = src;
        this.dst = dst;
        this.dst2 = dst2;
        this.srcView = src.segment().asByteBuffer();
    }

    public static OpBuffers allocate(HostMemory memory, long size) {
        if (size < 1 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("size must be 1..2^31-1: " + size);
        }
        final HostBuffer src = memory.allocateBuffer(size);
        final HostBuffer dst = memory.allocateBuffer(size);
        final HostBuffer dst2 = memory.allocateBuffer(size);
        final MemorySegment s = src.segment();
        final SplittableRandom random = new SplittableRandom(0x50F7D5AL);
        long i = 0;
        for (; i + 8 <= size; i += 8) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
        }
        for (; i < size; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        }
        MemorySegment.copy(s, 0, dst.segment(), 0, size);
        return new OpBuffers(size, src, dst, dst2);
    }

    public long size() {
        return size;
    }

    /** Host-physical addresses, for descriptors. */
    public long srcAddress() {
        return src.address();
    }

    public long dstAddress() {
        return dst.address();
    }

    public long dst2Address() {
        return dst2.address();
    }

    /** The same buffers as segments, for the CPU baselines. */
    public MemorySegment src() {
        return src.segment();
    }

    public MemorySegment dst() {
        return dst.segment();
    }

    public MemorySegment dst2() {
        return dst2.segment();
    }

    /** A direct ByteBuffer over the source (for {@link CRC32C}); callers reset its position and limit. */
    public ByteBuffer srcView() {
        return srcView;
    }

    /** A reusable CRC-32C for the baseline. */
    public CRC32C crc() {
        return crc;
    }

    @Override
    public void close() {
        src.close();
        dst.close();
        dst2.close();
    }
}
