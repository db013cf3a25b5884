package io.softdsa.ops;

import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;

/**
 * A delta record (fact sheet section 7): a sequence of 10-byte entries in increasing word-index order, each the
 * index of an 8-byte word that differs and source 2's bytes of that word. Little-endian, packed, so entries are only
 * 2-byte aligned even when the record starts 8-byte aligned.
 *
 * <pre>
 *   0               1               2               3
 *  +-------------------------------+-------------------------------+
 *  |      word index (u16)         |   data bytes 0-1              |  0
 *  +-------------------------------+-------------------------------+
 *  |                         data bytes 2-5                        |  4
 *  +-------------------------------+-------------------------------+
 *  |   data bytes 6-7              |  next entry ...                  8
 *  +-------------------------------+
 * </pre>
 * Also the size rules of create and apply delta.
 */
public final class DeltaRecordLayout {
    public static final int INDEX_OFFSET = 0;
    public static final int DATA_OFFSET = 2;
    public static final int ENTRY_LENGTH = 10;
    /** Sources are compared in words of this many bytes; transfer sizes are multiples of it. */
    public static final int WORD = 8;
    /** Source, destination and delta record addresses must be aligned to this. */
    public static final int ALIGNMENT = 8;
    /** Create delta: largest transfer size (a 16-bit word index covers 512 KiB). */
    public static final long MAX_SOURCE_SIZE = 0x80000;
    /** Create delta: smallest maximum delta record size. */
    public static final long MIN_MAX_RECORD_SIZE = 80;

    private DeltaRecordLayout() {
    }

    public static int index(MemorySegment m, long entry) {
        return m.get(Le.SHORT, entry + INDEX_OFFSET) & 0xFFFF;
    }

    /** The 8 data bytes as a little-endian long (written back with {@link Le#LONG} they are the same bytes). */
    public static long data(MemorySegment m, long entry) {
        return m.get(Le.LONG, entry + DATA_OFFSET);
    }

    public static void write(MemorySegment m, long entry, int index, long data) {
        m.set(Le.SHORT, entry + INDEX_OFFSET, (short) index);
        m.set(Le.LONG, entry + DATA_OFFSET, data);
    }

    public static boolean misaligned(long address) {
        return (address & (ALIGNMENT - 1)) != 0;
    }
}
