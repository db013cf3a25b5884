package io.softdsa.ops;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The 8-byte T10 DIF tuple that follows each protected block (fact sheet section 9). Unlike every other device
 * structure it is <b>big-endian</b>.
 *
 * <pre>
 *   0               1               2               3
 *  +-------------------------------+-------------------------------+
 *  |        guard (CRC-16)         |       application tag         |  0
 *  +-------------------------------+-------------------------------+
 *  |                       reference tag                           |  4
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class DifTupleLayout {
    public static final int LENGTH = 8;
    public static final int GUARD_OFFSET = 0;
    public static final int APP_TAG_OFFSET = 2;
    public static final int REF_TAG_OFFSET = 4;

    private static final ValueLayout.OfShort BE_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private DifTupleLayout() {
    }

    public static int guard(MemorySegment m, long tuple) {
        return m.get(BE_SHORT, tuple + GUARD_OFFSET) & 0xFFFF;
    }

    public static int appTag(MemorySegment m, long tuple) {
        return m.get(BE_SHORT, tuple + APP_TAG_OFFSET) & 0xFFFF;
    }

    public static int refTag(MemorySegment m, long tuple) {
        return m.get(BE_INT, tuple + REF_TAG_OFFSET);
    }

    /** Whether all 8 tuple bytes are 0xFF (all-F detect). */
    public static boolean allF(MemorySegment m, long tuple) {
        return m.get(ValueLayout.JAVA_LONG_UNALIGNED, tuple) == -1L;
    }

    public static void write(MemorySegment m, long tuple, int guard, int appTag, int refTag) {
        m.set(BE_SHORT, tuple + GUARD_OFFSET, (short) guard);
        m.set(BE_SHORT, tuple + APP_TAG_OFFSET, (short) appTag);
        m.set(BE_INT, tuple + REF_TAG_OFFSET, refTag);
    }
}
