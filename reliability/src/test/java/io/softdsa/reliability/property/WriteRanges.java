package io.softdsa.reliability.property;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory a descriptor may write, read from its 64 bytes with the fact sheet's layout (sections 1, 7, 9; offsets
 * as literals, not the engine's constants): its completion record and its operation's destination buffers. A batch
 * may also write what its descriptors name, read from its list as it is in memory. Ranges are {start, length},
 * unsigned.
 */
public final class WriteRanges {
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final int[] DIF_BLOCK = {512, 520, 4096, 4104};

    private WriteRanges() {
    }

    /** What the descriptor at {@code d + offset} may write; {@code memory} holds batch lists. */
    public static List<long[]> of(MemorySegment d, long offset, MemorySegment memory, int maxBatch) {
        final List<long[]> out = new ArrayList<>();
        add(out, d, offset, memory, maxBatch, true);
        return out;
    }

    /** Whether a batch's own list lies inside what its descriptors may write (a list that rewrites itself). */
    public static boolean selfModifyingBatch(MemorySegment d, long offset, MemorySegment memory, int maxBatch) {
        if ((d.get(ValueLayout.JAVA_BYTE, offset + 7) & 0xFF) != 0x01) {
            return false;
        }
        final long list = d.get(U64, offset + 16);
        final long count = Integer.toUnsignedLong(d.get(U32, offset + 32));
        final List<long[]> inner = new ArrayList<>();
        add(inner, d, offset, memory, maxBatch, true);
        for (long[] r : inner) {
            if (overlaps(r[0], r[1], list, 64 * Math.min(count, maxBatch))) {
                return true;
            }
        }
        return false;
    }

    private static void add(List<long[]> out, MemorySegment d, long o, MemorySegment memory, int maxBatch,
                            boolean topLevel) {
        final int flags = d.get(U32, o + 4) & 0xFF_FFFF;
        final int opcode = d.get(ValueLayout.JAVA_BYTE, o + 7) & 0xFF;
        if ((flags & 0x04) != 0) {
            out.add(new long[] {d.get(U64, o + 8), 32});
        }
        final long src = d.get(U64, o + 16);
        final long dst = d.get(U64, o + 24);
        final long size = Integer.toUnsignedLong(d.get(U32, o + 32));
        switch (opcode) {
            case 0x03, 0x04, 0x08, 0x11 -> out.add(new long[] {dst, size});
            case 0x09 -> {
                out.add(new long[] {dst, size});
                out.add(new long[] {d.get(U64, o + 40), size});
            }
            case 0x07 -> out.add(new long[] {d.get(U64, o + 40), Integer.toUnsignedLong(d.get(U32, o + 48))});
            case 0x13, 0x14, 0x15, 0x17 -> {
                final int bs = DIF_BLOCK[d.get(ValueLayout.JAVA_BYTE, o + 42) & 3];
                final long stride = opcode == 0x14 || opcode == 0x15 ? bs + 8 : bs;
                final long blocks = size / stride;
                final long written = switch (opcode) {
                    case 0x13, 0x15 -> blocks * (bs + 8);
                    case 0x14 -> blocks * bs;
                    default -> blocks * 8;
                };
                out.add(new long[] {dst, written});
            }
            case 0x01 -> {
                if (topLevel) {
                    final long count = Math.min(size, maxBatch);
                    for (long i = 0; i < count; i++) {
                        final long at = src + 64 * i;
                        if (at < 0 || at + 64 > memory.byteSize() || at + 64 < at) {
                            break;
                        }
                        add(out, memory, at, memory, maxBatch, false);
                    }
                }
            }
            default -> {
                // no-op, drain, compare, compare pattern, translation fetch, CRC, DIF check, cache flush: no data
            }
        }
    }

    private static boolean overlaps(long a, long aLength, long b, long bLength) {
        if (aLength == 0 || bLength == 0) {
            return false;
        }
        return Long.compareUnsigned(b - a, aLength) < 0 || Long.compareUnsigned(a - b, bLength) < 0;
    }
}
