package io.softdsa.bench.support;

import io.softdsa.iommu.AddressSpace;
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
 * address bits 11:0 as dualcast requires, and none overlaps another. {@link #allocate(AddressSpace, HostMemory, long)}
 * places them in a process's virtual address space instead (descriptors then carry virtual addresses).
 */
public final class OpBuffers implements AutoCloseable {
    /** Fill pattern: the same byte eight times, so an 8-byte pattern fill and a byte fill write the same memory. */
    public static final byte FILL_BYTE = 0x5A;
    public static final long FILL_PATTERN = 0x5A5A_5A5A_5A5A_5A5AL;

    private final long size;
    private final MemorySegment src;
    private final MemorySegment dst;
    private final MemorySegment dst2;
    private final long srcAddress;
    private final long dstAddress;
    private final long dst2Address;
    private final AutoCloseable release;
    private final ByteBuffer srcView;
    private final CRC32C crc = new CRC32C();

    private OpBuffers(long size, MemorySegment[] segments, long[] addresses, AutoCloseable release) {
        this.size = size;
        this.src = segments[0];
        this.dst = segments[1];
        this.dst2 = segments[2];
        this.srcAddress = addresses[0];
        this.dstAddress = addresses[1];
        this.dst2Address = addresses[2];
        this.release = release;
        this.srcView = src.asByteBuffer();
        fillOperands(src, dst, size);
    }

    public static OpBuffers allocate(HostMemory memory, long size) {
        checkSize(size);
        final HostBuffer src = memory.allocateBuffer(size);
        final HostBuffer dst = memory.allocateBuffer(size);
        final HostBuffer dst2 = memory.allocateBuffer(size);
        return new OpBuffers(size, new MemorySegment[] {src.segment(), dst.segment(), dst2.segment()},
            new long[] {src.address(), dst.address(), dst2.address()}, () -> {
                src.close();
                dst.close();
                dst2.close();
            });
    }

    /**
     * The three buffers in {@code as} (4 KiB pages, each buffer backed by contiguous host memory so the CPU baseline
     * and the checks can see it as one segment): the addresses are virtual, for descriptors carrying {@code as}'s
     * PASID. They stay mapped until the address space is unbound.
     */
    public static OpBuffers allocate(AddressSpace as, HostMemory memory, long size) {
        checkSize(size);
        final MemorySegment[] segments = new MemorySegment[3];
        final long[] addresses = new long[3];
        for (int i = 0; i < 3; i++) {
            addresses[i] = as.allocate(size, AddressSpace.RW_USER, AddressSpace.PageSize.SIZE_4K, true);
            segments[i] = memory.segment().asSlice(as.hostAddress(addresses[i]), size);
        }
        return new OpBuffers(size, segments, addresses, () -> { });
    }

    private static void checkSize(long size) {
        if (size < 1 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("size must be 1..2^31-1: " + size);
        }
    }

    private static void fillOperands(MemorySegment s, MemorySegment dst, long size) {
        final SplittableRandom random = new SplittableRandom(0x50F7D5AL);
        long i = 0;
        for (; i + 8 <= size; i += 8) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
        }
        for (; i < size; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        }
        MemorySegment.copy(s, 0, dst, 0, size);
    }

    public long size() {
        return size;
    }

    /** The addresses descriptors carry: host-physical, or virtual for buffers in an address space. */
    public long srcAddress() {
        return srcAddress;
    }

    public long dstAddress() {
        return dstAddress;
    }

    public long dst2Address() {
        return dst2Address;
    }

    /** The same buffers as segments, for the CPU baselines. */
    public MemorySegment src() {
        return src;
    }

    public MemorySegment dst() {
        return dst;
    }

    public MemorySegment dst2() {
        return dst2;
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
        try {
            release.close();
        } catch (Exception e) {
            throw new IllegalStateException("releasing operand buffers failed", e);
        }
    }
}
