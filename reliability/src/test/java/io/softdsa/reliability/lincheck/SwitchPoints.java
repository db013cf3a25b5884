package io.softdsa.reliability.lincheck;

import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Where an {@link OffHeapTwin} sends every off-heap access of an engine class: one Lincheck switch point, then the
 * very access the engine code makes.
 * <p>
 * Lincheck's model checker interleaves threads only at the memory accesses it can see: Java fields, arrays,
 * atomics. The engine keeps rings and completion records in off-heap {@link MemorySegment}s, whose accesses run inside
 * the JDK and are invisible to it, so an engine method would look like one atomic step. The twin replaces each
 * {@code Le.*} call, each {@code MemorySegment.get/set/fill/copy} and each {@code VarHandle} call with a call here;
 * the read of {@link #offHeap} is the point where the checker may switch threads, and the access that follows runs
 * alone until the next one. The model is sequentially consistent (as Lincheck's is): it proves the protocols'
 * orderings of accesses, while the acquire/release pairing itself is checked by the JDK's VarHandle semantics.
 * <p>
 * Each method keeps the exact signature of the call it replaces, with the receiver first.
 */
public final class SwitchPoints {
    /** Read before every off-heap access: the switch point the model checker sees. */
    @SuppressWarnings("unused")
    private static volatile int offHeap;

    private SwitchPoints() {
    }

    private static void point() {
        final int ignored = offHeap;
    }

    // ---- io.softdsa.memory.Le
    public static long getLongAcquire(MemorySegment s, long o) {
        point();
        return Le.getLongAcquire(s, o);
    }

    public static long getLongVolatile(MemorySegment s, long o) {
        point();
        return Le.getLongVolatile(s, o);
    }

    public static void setLongRelease(MemorySegment s, long o, long v) {
        point();
        Le.setLongRelease(s, o, v);
    }

    public static void setLongOpaque(MemorySegment s, long o, long v) {
        point();
        Le.setLongOpaque(s, o, v);
    }

    public static boolean compareAndSetLong(MemorySegment s, long o, long expected, long v) {
        point();
        return Le.compareAndSetLong(s, o, expected, v);
    }

    public static long getAndSetLong(MemorySegment s, long o, long v) {
        point();
        return Le.getAndSetLong(s, o, v);
    }

    public static long getAndBitwiseOrLong(MemorySegment s, long o, long bits) {
        point();
        return Le.getAndBitwiseOrLong(s, o, bits);
    }

    public static long getAndAddLong(MemorySegment s, long o, long delta) {
        point();
        return Le.getAndAddLong(s, o, delta);
    }

    public static byte getByteAcquire(MemorySegment s, long o) {
        point();
        return Le.getByteAcquire(s, o);
    }

    public static void setByteRelease(MemorySegment s, long o, byte v) {
        point();
        Le.setByteRelease(s, o, v);
    }

    // ---- MemorySegment instance accesses (receiver first)
    public static byte get(MemorySegment s, ValueLayout.OfByte l, long o) {
        point();
        return s.get(l, o);
    }

    public static short get(MemorySegment s, ValueLayout.OfShort l, long o) {
        point();
        return s.get(l, o);
    }

    public static int get(MemorySegment s, ValueLayout.OfInt l, long o) {
        point();
        return s.get(l, o);
    }

    public static long get(MemorySegment s, ValueLayout.OfLong l, long o) {
        point();
        return s.get(l, o);
    }

    public static void set(MemorySegment s, ValueLayout.OfByte l, long o, byte v) {
        point();
        s.set(l, o, v);
    }

    public static void set(MemorySegment s, ValueLayout.OfShort l, long o, short v) {
        point();
        s.set(l, o, v);
    }

    public static void set(MemorySegment s, ValueLayout.OfInt l, long o, int v) {
        point();
        s.set(l, o, v);
    }

    public static void set(MemorySegment s, ValueLayout.OfLong l, long o, long v) {
        point();
        s.set(l, o, v);
    }

    public static MemorySegment fill(MemorySegment s, byte v) {
        point();
        return s.fill(v);
    }

    public static void copy(MemorySegment from, long fromOffset, MemorySegment to, long toOffset, long bytes) {
        point();
        MemorySegment.copy(from, fromOffset, to, toOffset, bytes);
    }

    // ---- VarHandle calls (polymorphic signatures as the engine's call sites use them)
    public static long getOpaque(VarHandle h, MemorySegment s, long o) {
        point();
        return (long) h.getOpaque(s, o);
    }

    public static long getAndBitwiseAnd(VarHandle h, MemorySegment s, long o, long bits) {
        point();
        return (long) h.getAndBitwiseAnd(s, o, bits);
    }

    public static long getAndBitwiseOr(VarHandle h, MemorySegment s, long o, long bits) {
        point();
        return (long) h.getAndBitwiseOr(s, o, bits);
    }

    /** {@code getAndBitwiseAnd} whose result the call site drops (its polymorphic signature then returns void). */
    public static void getAndBitwiseAndVoid(VarHandle h, MemorySegment s, long o, long bits) {
        point();
        h.getAndBitwiseAnd(s, o, bits);
    }

    public static void getAndBitwiseOrVoid(VarHandle h, MemorySegment s, long o, long bits) {
        point();
        h.getAndBitwiseOr(s, o, bits);
    }

    public static void setOpaque(VarHandle h, MemorySegment s, long o, long v) {
        point();
        h.setOpaque(s, o, v);
    }

    // ---- long[] elements (the IOTLB's entries and quiescence slots): plain and through an array VarHandle
    public static long laload(long[] a, int i) {
        point();
        return a[i];
    }

    public static void lastore(long[] a, int i, long v) {
        point();
        a[i] = v;
    }

    public static long getOpaque(VarHandle h, long[] a, int i) {
        point();
        return (long) h.getOpaque(a, i);
    }

    public static long getAcquire(VarHandle h, long[] a, int i) {
        point();
        return (long) h.getAcquire(a, i);
    }

    public static long getVolatile(VarHandle h, long[] a, int i) {
        point();
        return (long) h.getVolatile(a, i);
    }

    public static void setRelease(VarHandle h, long[] a, int i, long v) {
        point();
        h.setRelease(a, i, v);
    }

    public static void setVolatile(VarHandle h, long[] a, int i, long v) {
        point();
        h.setVolatile(a, i, v);
    }

    public static boolean compareAndSet(VarHandle h, long[] a, int i, long expected, long v) {
        point();
        return h.compareAndSet(a, i, expected, v);
    }

    // ---- fields of engine objects through a field VarHandle (the engine's drain tag)
    public static void setRelease(VarHandle h, Object o, long v) {
        point();
        h.setRelease(o, v);
    }

    public static void setRelease(VarHandle h, Object o, int v) {
        point();
        h.setRelease(o, v);
    }

    public static void setOpaque(VarHandle h, Object o, long v) {
        point();
        h.setOpaque(o, v);
    }

    public static void setOpaque(VarHandle h, Object o, int v) {
        point();
        h.setOpaque(o, v);
    }

    public static long getAcquire(VarHandle h, Object o) {
        point();
        return (long) h.getAcquire(o);
    }

    public static int getAcquireInt(VarHandle h, Object o) {
        point();
        return (int) h.getAcquire(o);
    }
}
