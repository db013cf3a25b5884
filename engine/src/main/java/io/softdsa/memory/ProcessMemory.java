package io.softdsa.memory;

import java.lang.foreign.MemorySegment;

/**
 * The whole address space of this process as one segment: an access through it is a native address plus a
 * bounds check against {@code Long.MAX_VALUE}, with no liveness check, since the global scope never closes. As a
 * {@code static final} constant the JIT folds its base, size and scope away, which a segment loaded from a field it
 * cannot. That is the whole point, and the whole danger: nothing stops an access to memory already freed, which
 * faults the process instead of throwing. So an address is read through it only while the code that reads it holds
 * a reference that keeps the memory alive (a segment of an automatic arena, which is freed only once unreachable),
 * or owns the memory's lifetime outright.
 */
public final class ProcessMemory {
    /** Native addresses 0 .. {@code Long.MAX_VALUE - 1}. */
    @SuppressWarnings("restricted") // native access is granted by softdsa.jvmArgs (--enable-native-access)
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private ProcessMemory() {
    }
}
