package io.softdsa.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Little-endian accessors for device structures in off-heap memory. Every hardware structure is little-endian
 * (fact sheet preamble); the DIF tuple is the one big-endian exception and says so where it is used.
 * The aligned handles support acquire/release and compare-and-set; use them only on naturally aligned fields.
 */
public final class Le {
    public static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Byte handle with every access mode (status bytes: release store, acquire load). */
    public static final VarHandle BYTE_HANDLE = ValueLayout.JAVA_BYTE.varHandle();
    /** Aligned 8-byte handle (sequences, counters, page-table entries): acquire/release/CAS. */
    public static final VarHandle LONG_HANDLE =
        ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private Le() {
    }

    public static long getLongAcquire(MemorySegment segment, long offset) {
        return (long) LONG_HANDLE.getAcquire(segment, offset);
    }

    public static long getLongVolatile(MemorySegment segment, long offset) {
        return (long) LONG_HANDLE.getVolatile(segment, offset);
    }

    public static void setLongRelease(MemorySegment segment, long offset, long value) {
        LONG_HANDLE.setRelease(segment, offset, value);
    }

    public static void setLongOpaque(MemorySegment segment, long offset, long value) {
        LONG_HANDLE.setOpaque(segment, offset, value);
    }

    public static boolean compareAndSetLong(MemorySegment segment, long offset, long expected, long value) {
        return LONG_HANDLE.compareAndSet(segment, offset, expected, value);
    }

    public static long getAndSetLong(MemorySegment segment, long offset, long value) {
        return (long) LONG_HANDLE.getAndSet(segment, offset, value);
    }

    public static long getAndBitwiseOrLong(MemorySegment segment, long offset, long bits) {
        return (long) LONG_HANDLE.getAndBitwiseOr(segment, offset, bits);
    }

    public static long getAndAddLong(MemorySegment segment, long offset, long delta) {
        return (long) LONG_HANDLE.getAndAdd(segment, offset, delta);
    }

    public static byte getByteAcquire(MemorySegment segment, long offset) {
        return (byte) BYTE_HANDLE.getAcquire(segment, offset);
    }

    public static void setByteRelease(MemorySegment segment, long offset, byte value) {
        BYTE_HANDLE.setRelease(segment, offset, value);
    }
}
