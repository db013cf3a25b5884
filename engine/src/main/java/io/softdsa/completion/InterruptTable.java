package io.softdsa.completion;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The device's interrupt handles (fact sheet section 12): MSI-X / IMS style entries, entry 0 the misc interrupt. An
 * allocated entry names its owner (the host, or the tag of a guest or process it was handed to) and where its
 * interrupts go: a handler run on the owner's {@link DeliveryThread}, or a vector of a guest's posted-interrupt
 * descriptor. A descriptor's RCI handle must name an entry allocated to its WQ's owner (else status 0x19): the
 * host's own entries (owner {@link #HOST}) are valid only from host WQs, never from a tenant's.
 * <p>
 * Each entry is one immutable object published with a release store and read with an acquire load, so an engine
 * sees its owner, target and generation together or not at all: a handle never looks allocated before its owner and
 * handler are set, and never carries the owner of one allocation with the handler of another. {@link #isValid} and
 * {@link #raise} are the engines' path: one acquire load, a counter increment and an atomic OR, no allocation, no
 * lock, no callback. Allocation and release are the control path (synchronized).
 */
public final class InterruptTable implements AutoCloseable {
    /** The misc interrupt (SWERR, command completion). */
    public static final int MISC = 0;
    /** Owner tag of the host: its handles are raisable only from WQs whose owner tag is also the host's. */
    public static final int HOST = 0;
    /**
     * The former name of {@link #HOST}. Despite the name, a handle with this owner is <em>not</em> valid from a WQ
     * handed to a tenant.
     */
    public static final int ANY_OWNER = HOST;

    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

    /** One allocation of one handle. Immutable: published whole (release) and read whole (acquire). */
    private static final class Entry {
        final int owner;
        final int generation;
        final InterruptHandler handler;
        final InterruptDelivery delivery;
        final PostedInterruptReceiver posted;
        final int vector;

        Entry(int owner, int generation, InterruptHandler handler, InterruptDelivery delivery,
              PostedInterruptReceiver posted, int vector) {
            this.owner = owner;
            this.generation = generation;
            this.handler = handler;
            this.delivery = delivery;
            this.posted = posted;
            this.vector = vector;
        }
    }

    private final int size;
    private final AtomicReferenceArray<Entry> entries;
    private final int[] generations;
    private final long[] counts;
    private final ThreadFactory threads;
    private final Map<Integer, InterruptDelivery> deliveries = new HashMap<>();
    private final AtomicLong handlerFailures = new AtomicLong();
    private final AtomicLong staleDeliveries = new AtomicLong();
    private volatile Throwable lastHandlerFailure;
    private boolean closed;

    /** @param threads where the owners' delivery threads come from (they are made daemons) */
    public InterruptTable(int size, ThreadFactory threads) {
        this.size = size;
        this.entries = new AtomicReferenceArray<>(size);
        this.generations = new int[size];
        this.counts = new long[size];
        this.threads = threads;
    }

    public int size() {
        return size;
    }

    /** Allocates the lowest free handle above the misc entry, to the host, with no handler. */
    public synchronized int allocate() {
        for (int h = 1; h < size; h++) {
            if (entries.get(h) == null) {
                publish(h, HOST, null, null, 0);
                return h;
            }
        }
        throw new IllegalStateException("no interrupt handle available (all " + (size - 1) + " in use)");
    }

    /** Allocates a specific handle (an MSI-X vector the driver set up) to the host, with no handler. */
    public synchronized void allocate(int handle) {
        allocate(handle, HOST, null);
    }

    /**
     * Allocates {@code handle} to {@code owner} with {@code handler} (may be null: counted only) in one step: an
     * engine sees the entry with both, or sees it free.
     */
    public synchronized void allocate(int handle, int owner, InterruptHandler handler) {
        checkFree(handle);
        publish(handle, owner, handler, null, 0);
    }

    /**
     * Allocates {@code handle} to {@code owner} in posted format: a raise posts {@code vector} to {@code receiver}'s
     * posted-interrupt descriptor (and notifies it); no handler runs on any host thread.
     */
    public synchronized void allocatePosted(int handle, int owner, PostedInterruptReceiver receiver, int vector) {
        checkFree(handle);
        if (vector < 0 || vector >= PostedInterruptDescriptorLayout.VECTORS) {
            throw new IllegalArgumentException("posted vector " + vector + " outside 0..255");
        }
        publish(handle, owner, null, java.util.Objects.requireNonNull(receiver), vector);
    }

    public synchronized void release(int handle) {
        check(handle);
        // release store of null: an engine that acquires null sees the handle free (0x19); one that acquired the
        // old entry just before may still raise it once, to the owner it then had
        entries.setRelease(handle, null);
    }

    /**
     * Gives allocated {@code handle} to {@code owner} (a guest or process the handle was allocated to); {@link #HOST}
     * gives it back to the host. Its handler or posted target stays.
     */
    public synchronized void owner(int handle, int owner) {
        final Entry e = allocated(handle);
        publish(handle, owner, e.handler, e.posted, e.vector);
    }

    /** Sets the handler of allocated {@code handle} (delivered on its owner's delivery thread). */
    public synchronized void handler(int handle, InterruptHandler handler) {
        final Entry e = allocated(handle);
        publish(handle, e.owner, handler, null, 0);
    }

    /** The owner tag of {@code handle}, or -1 if it is free. */
    public int owner(int handle) {
        if (handle < 0 || handle >= size) {
            return -1;
        }
        final Entry e = entries.getAcquire(handle); // pairs with publish's setRelease
        return e == null ? -1 : e.owner;
    }

    /**
     * Whether a descriptor from a WQ whose owner tag is {@code wqOwner} may raise {@code handle} (else status 0x19):
     * only if the handle is allocated to exactly that owner.
     */
    public boolean isValid(int handle, int wqOwner) {
        if (handle < 0 || handle >= size) {
            return false;
        }
        final Entry e = entries.getAcquire(handle); // pairs with publish's setRelease: owner comes with the entry
        return e != null && e.owner == wqOwner;
    }

    /** Whether {@code handle} is allocated (to anyone). */
    public boolean isValid(int handle) {
        return handle >= 0 && handle < size && entries.getAcquire(handle) != null;
    }

    /**
     * Raises {@code handle} for a descriptor of a WQ owned by {@code wqOwner}: checks ownership and raises from the
     * same load, so a handle released and given to another owner in between is never raised for the new one.
     * Returns whether it was raised.
     */
    public boolean raise(int handle, int wqOwner) {
        if (handle < 0 || handle >= size) {
            return false;
        }
        final Entry e = entries.getAcquire(handle);
        if (e == null || e.owner != wqOwner) {
            return false;
        }
        raise(handle, e);
        return true;
    }

    /**
     * Raises {@code handle} (after the completion record's release store): counts it and hands it to its target —
     * sets its pending mark and wakes its owner's delivery thread, or posts its vector. Never runs a handler on the
     * caller's thread; a free handle is not raised.
     */
    public void raise(int handle) {
        if (handle < 0 || handle >= size) {
            return;
        }
        final Entry e = entries.getAcquire(handle); // pairs with publish's setRelease
        if (e != null) {
            raise(handle, e);
        }
    }

    private void raise(int handle, Entry e) {
        COUNTS.getAndAdd(counts, handle, 1L);
        if (e.posted != null) {
            e.posted.post(e.vector);
        } else if (e.delivery != null) {
            e.delivery.post(handle, e.generation);
        }
    }

    /** Raises of {@code handle} so far (over all its allocations). */
    public long count(int handle) {
        check(handle);
        return (long) COUNTS.getVolatile(counts, handle);
    }

    /** Throwables interrupt handlers threw (each contained on its delivery thread). */
    public long handlerFailures() {
        return handlerFailures.get();
    }

    public Throwable lastHandlerFailure() {
        return lastHandlerFailure;
    }

    /** Raises dropped at delivery because the handle had been released (or reallocated) since. */
    public long staleDeliveries() {
        return staleDeliveries.get();
    }

    /** Stops every delivery thread (a handler stuck forever keeps its daemon thread, abandoned). */
    @Override
    public void close() {
        final InterruptDelivery[] all;
        synchronized (this) {
            closed = true;
            all = deliveries.values().toArray(InterruptDelivery[]::new);
            deliveries.clear();
        }
        for (InterruptDelivery d : all) {
            d.close();
        }
    }

    /** The delivery thread's call for a pending mark of {@code handle} set while it had {@code generation}. */
    void deliver(int handle, int generation) {
        final Entry e = entries.getAcquire(handle);
        if (e == null || e.generation != generation || e.handler == null) {
            staleDeliveries.incrementAndGet();
            return;
        }
        try {
            e.handler.onInterrupt(handle);
        } catch (Throwable t) { // the handler's problem, never the device's; the next handle is still delivered
            handlerFailures.incrementAndGet();
            lastHandlerFailure = t;
        }
    }

    // ---- control path (synchronized)

    private void publish(int handle, int owner, InterruptHandler handler, PostedInterruptReceiver posted,
                         int vector) {
        int g = generations[handle] + 1;
        if (g == 0) {
            g = 1; // 0 means "nothing pending" in the delivery marks
        }
        generations[handle] = g;
        final InterruptDelivery delivery = handler == null ? null : delivery(owner);
        // release store: the entry's fields (final) and the delivery thread are visible to an engine's acquire
        entries.setRelease(handle, new Entry(owner, g, handler, delivery, posted, vector));
    }

    private InterruptDelivery delivery(int owner) {
        if (closed) {
            throw new IllegalStateException("interrupt table closed");
        }
        return deliveries.computeIfAbsent(owner, o -> new InterruptDelivery(this, size,
            "softdsa-interrupts-owner" + o, threads));
    }

    private Entry allocated(int handle) {
        check(handle);
        final Entry e = entries.get(handle);
        if (e == null) {
            throw new IllegalStateException("interrupt handle " + handle + " is not allocated");
        }
        return e;
    }

    private void checkFree(int handle) {
        check(handle);
        if (entries.get(handle) != null) {
            throw new IllegalStateException("interrupt handle " + handle + " already allocated");
        }
    }

    private void check(int handle) {
        if (handle < 0 || handle >= size) {
            throw new IllegalArgumentException("interrupt handle " + handle + " outside 0.." + (size - 1));
        }
    }
}
