package io.softdsa.bench.support;

import io.softdsa.descriptor.Descriptor;

import java.util.function.Consumer;

/**
 * A window of identical descriptors kept in flight: each {@link #step()} waits for the oldest one, checks it
 * succeeded, re-arms its completion record and submits it again. One engine executes a WQ in order, so the oldest
 * descriptor is the next to complete and the window stays full; every step is one completed descriptor.
 * <p>
 * Allocation-free after construction. Meant for one submitting thread.
 */
public final class Pipeline {
    /** Descriptors in flight used by the throughput benchmarks. */
    public static final int DEFAULT_WINDOW = 16;

    private final Slot[] slots;
    private final int mask;
    private int next;
    private boolean running;

    /** @param window descriptors in flight, a power of two no larger than the WQ size */
    public Pipeline(Testbed testbed, int window, Consumer<Descriptor> describe) {
        this(slots(testbed, window, describe));
    }

    /**
     * A window of slots built by the caller, each with its own descriptor and record, all into one WQ that one
     * engine serves (so they complete in submission order); {@code slots.length} is a power of two no larger than
     * the WQ size.
     */
    public Pipeline(Slot... slots) {
        final int window = slots.length;
        if (window < 1 || Integer.bitCount(window) != 1) {
            throw new IllegalArgumentException("window must be a power of two: " + window);
        }
        this.slots = slots.clone();
        this.mask = window - 1;
    }

    private static Slot[] slots(Testbed testbed, int window, Consumer<Descriptor> describe) {
        if (window < 1 || Integer.bitCount(window) != 1 || window > testbed.wq().config().size()) {
            throw new IllegalArgumentException("window must be a power of two <= WQ size: " + window);
        }
        final Slot[] slots = new Slot[window];
        for (int i = 0; i < window; i++) {
            slots[i] = new Slot(testbed, describe);
        }
        return slots;
    }

    /** Submits the whole window. */
    public Pipeline start() {
        if (!running) {
            for (Slot s : slots) {
                s.arm();
                s.submit();
            }
            next = 0;
            running = true;
        }
        return this;
    }

    /** Retires the oldest descriptor and resubmits it; returns its (Success) status. */
    public int step() {
        final Slot s = slots[next];
        final int status = s.check(s.await());
        s.arm();
        s.submit();
        next = (next + 1) & mask;
        return status;
    }

    /** {@code n} steps. */
    public void run(int n) {
        for (int i = 0; i < n; i++) {
            step();
        }
    }

    /** Waits for every descriptor in flight; {@link #start()} may follow. */
    public void drain() {
        if (running) {
            for (int i = 0; i < slots.length; i++) {
                final Slot s = slots[(next + i) & mask];
                s.check(s.await());
            }
            running = false;
        }
    }

    public int window() {
        return slots.length;
    }

    /** ENQCMD retries across the window (0 while the window is below the WQ size). */
    public long retries() {
        long total = 0;
        for (Slot s : slots) {
            total += s.retries();
        }
        return total;
    }
}
