package io.softdsa.mdev.vmm;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The guest's vCPUs as the VMM controls them. Guest code runs in <em>steps</em> on a {@link Vcpu} ({@link Vcpu#enter}
 * / {@link Vcpu#exit}: a step is what a vCPU does between two VM exits — a few portal stores, polls and memory
 * accesses, never a wait for the device); the VMM can
 * <ul>
 * <li>{@link #pause} the vCPUs: new steps wait, and the call returns once no step is running — as QEMU stops the
 *     vCPUs before it moves the devices to STOP, so no portal store or guest memory access races the switchover;</li>
 * <li>{@link #resume} them;</li>
 * <li>wait for a grace period ({@link #awaitStepBoundary}): returns once every step running at the call has ended,
 *     without stopping new ones — what KVM's TLB flush after write-protecting does for its dirty log, and what the
 *     vCPU dirty log of {@link io.softdsa.iommu.GuestPhysicalMemory} needs, since a step may store through a host
 *     address it translated (and marked dirty) before the harvest.</li>
 * </ul>
 * A host address a step obtains from guest memory must not be used after that step: that is the rule that makes
 * the dirty log and the switchover safe (a guest CPU's TLB entries do not survive a VM exit here).
 * <p>
 * Ordering (Dekker, as {@link io.softdsa.mdev.host.SubmissionGate}): a vCPU makes its sequence odd with a volatile
 * store, then reads {@code paused} (volatile); the VMM writes {@code paused} (volatile), then reads each sequence
 * (volatile). Whichever runs second sees the other's store, so a vCPU the VMM does not wait for sees the pause and
 * backs out. A step's end is a release store of the even sequence, which the VMM's acquire read pairs with:
 * everything the step did happens-before what the VMM does after the wait.
 */
public final class VcpuGate {
    private final List<Vcpu> vcpus = new CopyOnWriteArrayList<>();
    /** Written by the VMM under this object's monitor, read by vCPUs without it: volatile store / volatile load. */
    private volatile boolean paused;
    private long pausedAt;
    private long pauses;

    /** Registers a vCPU (a thread of guest code; one thread per vCPU at a time). */
    public Vcpu vcpu(String name) {
        final Vcpu v = new Vcpu(name);
        vcpus.add(v);
        return v;
    }

    public boolean isPaused() {
        return paused;
    }

    /**
     * Stops the vCPUs: from now on {@link Vcpu#enter} waits, and the call returns once no vCPU is inside a step.
     *
     * @return {@link System#nanoTime()} when the last step had ended (the vCPUs are off the CPU from then on)
     * @throws IllegalStateException if already paused
     */
    public long pause() {
        synchronized (this) {
            if (paused) {
                throw new IllegalStateException("vCPUs already paused");
            }
            paused = true; // volatile store, then the volatile loads below: Dekker with enter()
            pauses++;
        }
        for (Vcpu v : vcpus) {
            waitOutOfStep(v);
        }
        final long now = System.nanoTime();
        synchronized (this) {
            pausedAt = now;
        }
        return now;
    }

    /** Lets the vCPUs run again; returns {@link System#nanoTime()} when they may. */
    public long resume() {
        synchronized (this) {
            if (!paused) {
                throw new IllegalStateException("vCPUs are not paused");
            }
            paused = false; // volatile store: waiting vCPUs re-check it after the notify
            notifyAll();
        }
        return System.nanoTime();
    }

    /** When the last {@link #pause} returned (nanoTime), 0 if never. */
    public synchronized long pausedAt() {
        return pausedAt;
    }

    public synchronized long pauses() {
        return pauses;
    }

    /**
     * A grace period: returns once every step that was running when it was called has ended (later steps are not
     * waited for, and nothing is blocked).
     */
    public void awaitStepBoundary() {
        for (Vcpu v : vcpus) {
            final long s = v.sequence.get(); // volatile load
            if ((s & 1) != 0) {
                waitWhile(v, s);
            }
        }
    }

    /** Waits until {@code v} is outside a step (paused: it cannot enter a new one). */
    private static void waitOutOfStep(Vcpu v) {
        long s;
        while (((s = v.sequence.get()) & 1) != 0) { // volatile load, pairs with exit's release store
            waitWhile(v, s);
        }
    }

    /** Waits until {@code v}'s sequence is no longer {@code s} (the step it numbers has ended). */
    private static void waitWhile(Vcpu v, long s) {
        int spins = 0;
        while (v.sequence.get() == s) { // volatile load, pairs with exit's release store
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(spins < 1_000 ? 1_000 : 50_000);
            }
        }
    }

    private synchronized void awaitResumed() {
        boolean interrupted = false;
        while (paused) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true; // a paused vCPU stays paused; the flag is kept for the caller
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** One vCPU: a thread of guest code that runs in steps. */
    public final class Vcpu {
        private final String name;
        /** Even: outside a step; odd: inside one. Only its own thread writes it. */
        private final AtomicLong sequence = new AtomicLong();
        private long steps;
        private long waits;

        private Vcpu(String name) {
            this.name = name;
        }

        public String name() {
            return name;
        }

        /** Starts a step, waiting while the VMM has the vCPUs paused. Not reentrant. */
        public void enter() {
            long s = sequence.get();
            if ((s & 1) != 0) {
                throw new IllegalStateException(name + ": a step is already running");
            }
            for (;;) {
                sequence.set(++s); // volatile store (odd), then the volatile load of paused: Dekker with pause()
                if (!paused) {
                    steps++;
                    return;
                }
                sequence.set(++s); // back out (even): the pausing VMM may be waiting for exactly this
                waits++;
                awaitResumed();
            }
        }

        /** Ends the step: everything it did happens-before a VMM that sees it ended. */
        public void exit() {
            final long s = sequence.get();
            if ((s & 1) == 0) {
                throw new IllegalStateException(name + ": no step is running");
            }
            sequence.lazySet(s + 1); // release store, pairs with the VMM's volatile load in waitUntil
        }

        /** {@link #enter}, {@code step}, {@link #exit}. */
        public void step(Runnable step) {
            enter();
            try {
                step.run();
            } finally {
                exit();
            }
        }

        /** Steps this vCPU has run. Its own thread only. */
        public long steps() {
            return steps;
        }

        /** Times a step had to wait for a resume. Its own thread only. */
        public long waits() {
            return waits;
        }

        @Override
        public String toString() {
            return "vCPU " + name;
        }
    }
}
