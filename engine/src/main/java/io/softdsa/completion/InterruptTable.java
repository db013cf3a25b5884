package io.softdsa.completion;

import io.softdsa.memory.Le;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The device's interrupt handles (fact sheet section 12): MSI-X style entries, entry 0 the misc interrupt, each
 * with an allocated flag, a handler and a delivery count. A descriptor's RCI handle must name an allocated entry
 * (else status 0x19). Allocation is a control-path operation; {@link #isValid} and {@link #raise} are the engines'
 * fast path and allocate nothing.
 */
public final class InterruptTable {
    /** The misc interrupt (SWERR, command completion). */
    public static final int MISC = 0;

    private final int size;
    /** Owner tag 0: a device-wide handle any WQ may use. */
    public static final int ANY_OWNER = 0;

    private final boolean[] allocated;
    private final int[] owners;
    private final InterruptHandler[] handlers;
    private final MemorySegment counts;

    public InterruptTable(int size, Arena arena) {
        this.size = size;
        this.allocated = new boolean[size];
        this.owners = new int[size];
        this.handlers = new InterruptHandler[size];
        this.counts = arena.allocate(8L * size, 8);
    }

    public int size() {
        return size;
    }

    /** Allocates the lowest free handle above the misc entry. */
    public synchronized int allocate() {
        for (int h = 1; h < size; h++) {
            if (!allocated[h]) {
                allocated[h] = true;
                return h;
            }
        }
        throw new IllegalStateException("no interrupt handle available (all " + (size - 1) + " in use)");
    }

    /** Allocates a specific handle (an MSI-X vector the driver set up). */
    public synchronized void allocate(int handle) {
        check(handle);
        if (allocated[handle]) {
            throw new IllegalStateException("interrupt handle " + handle + " already allocated");
        }
        allocated[handle] = true;
    }

    public synchronized void release(int handle) {
        check(handle);
        allocated[handle] = false;
        handlers[handle] = null;
        owners[handle] = ANY_OWNER;
    }

    /**
     * Restricts {@code handle} to WQs whose owner tag is {@code owner} (a guest or process the handle was allocated
     * to); {@link #ANY_OWNER} makes it device-wide again.
     */
    public synchronized void owner(int handle, int owner) {
        check(handle);
        owners[handle] = owner;
    }

    /** Whether a descriptor from a WQ owned by {@code wqOwner} may raise {@code handle} (else status 0x19). */
    public boolean isValid(int handle, int wqOwner) {
        if (!isValid(handle)) {
            return false;
        }
        final int owner = owners[handle];
        return owner == ANY_OWNER || owner == wqOwner;
    }

    public synchronized void handler(int handle, InterruptHandler handler) {
        check(handle);
        handlers[handle] = handler;
    }

    public boolean isValid(int handle) {
        return handle >= 0 && handle < size && allocated[handle];
    }

    /** Delivers interrupt {@code handle}: counts it, then calls its handler (a throwing handler is contained). */
    public void raise(int handle) {
        Le.getAndAddLong(counts, 8L * handle, 1);
        final InterruptHandler h = handlers[handle];
        if (h != null) {
            try {
                h.onInterrupt(handle);
            } catch (RuntimeException ignored) {
                // an interrupt handler's failure is the handler's problem, never the device's
            }
        }
    }

    public long count(int handle) {
        check(handle);
        return Le.getLongVolatile(counts, 8L * handle);
    }

    private void check(int handle) {
        if (handle < 0 || handle >= size) {
            throw new IllegalArgumentException("interrupt handle " + handle + " outside 0.." + (size - 1));
        }
    }
}
