package io.softdsa.ops;

import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * An engine's CRC-32C unit. The default mode runs {@link CRC32C} (a JIT intrinsic using the CPU's crc32
 * instruction) over direct {@link ByteBuffer} views of host memory and applies the seed afterwards by
 * {@link Crc32c#combine}; bypass-inversion alone maps onto the same path; bypass-data-reflection runs the fact
 * sheet's bitwise definition table-driven. Views are 1 GiB windows because a ByteBuffer holds at most 2 GiB, taken
 * from a second view of host memory whose session only these buffers use: {@link CRC32C#update(ByteBuffer)} acquires
 * and releases the buffer's session (two CASes) on every call, and on the main segment's session that write would
 * invalidate, on every core, the line each host-memory access reads for its liveness check (measured: 27 % of an
 * engine's time on 64 KiB CRCs, and the submitter's record polls missing behind it).
 */
public final class Crc32cUnit {
    private static final int WINDOW_SHIFT = 30;
    private static final long WINDOW_MASK = (1L << WINDOW_SHIFT) - 1;

    private final MemorySegment memory;
    private final ByteBuffer[] windows;
    private final CRC32C crc = new CRC32C();
    private int seed;
    private boolean bypassInversion;
    private boolean software;
    private int register;
    // the shift operator of the last length seen: descriptors of one size repeat it
    private long operatorLength = -1;
    private int operator;

    /**
     * @param memory     host memory, for the bit-by-bit path
     * @param bufferView the same memory (same size, same addresses) in a session of its own, for the intrinsic's
     *                   ByteBuffer windows
     */
    public Crc32cUnit(MemorySegment memory, MemorySegment bufferView) {
        if (bufferView.byteSize() != memory.byteSize()) {
            throw new IllegalArgumentException("the buffer view must cover host memory exactly: "
                + bufferView.byteSize() + " != " + memory.byteSize());
        }
        this.memory = memory;
        final int count = (int) ((memory.byteSize() + WINDOW_MASK) >>> WINDOW_SHIFT);
        this.windows = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            final long start = (long) i << WINDOW_SHIFT;
            final long length = Math.min(1L << WINDOW_SHIFT, memory.byteSize() - start);
            windows[i] = bufferView.asSlice(start, length).asByteBuffer();
        }
    }

    public void begin(int seed, int flags) {
        this.seed = seed;
        this.bypassInversion = (flags & DescriptorFlags.CRC_BYPASS_INVERSION) != 0;
        this.software = (flags & DescriptorFlags.CRC_BYPASS_DATA_REFLECTION) != 0;
        if (software) {
            register = Crc32c.msbInit(seed, bypassInversion);
        } else {
            crc.reset();
        }
    }

    /** Feeds {@code length} bytes at host address {@code host}. */
    public void update(long host, long length) {
        if (software) {
            int c = register;
            for (long i = 0; i < length; i++) {
                c = Crc32c.msbUpdate(c, memory.get(Le.BYTE, host + i), false);
            }
            register = c;
            return;
        }
        while (length > 0) {
            final ByteBuffer w = windows[(int) (host >>> WINDOW_SHIFT)];
            final int pos = (int) (host & WINDOW_MASK);
            final int n = (int) Math.min(length, w.capacity() - pos);
            w.clear();
            w.limit(pos + n).position(pos);
            crc.update(w);
            host += n;
            length -= n;
        }
    }

    private int shift(long length) {
        if (length != operatorLength) {
            operator = Crc32c.shiftOperator(length);
            operatorLength = length;
        }
        return operator;
    }

    /** The device's CRC value after {@code totalLength} bytes since {@link #begin}. */
    public int value(long totalLength) {
        if (software) {
            return Crc32c.msbFinish(register, bypassInversion);
        }
        final int plain = (int) crc.getValue();
        // no inversion: raw(r0, data) = ~crc_{~r0}(data), and the MSB-first register is the bit-reversed raw one
        final int start = bypassInversion ? ~Integer.reverse(seed) : seed;
        final int value = start == 0 || totalLength == 0 ? start ^ plain : Crc32c.combine(start, plain, shift(totalLength));
        return bypassInversion ? Integer.reverse(~value) : value;
    }
}
