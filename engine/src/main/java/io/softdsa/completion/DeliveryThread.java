package io.softdsa.completion;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread of its own on which callbacks that the device does not trust run (interrupt handlers, a guest's posted
 * interrupts, page-request handlers): the device's side only {@link #signal signals} it, so nothing a callback does
 * (throw any {@link Throwable}, block forever, call back into the device) can stall an engine. Each pass runs the
 * duty until it reports no work, then parks until signalled.
 * <p>
 * No lost wake-up: a sender makes its work visible (a volatile read-modify-write or queue offer) before it calls
 * {@link #signal}, which is {@link LockSupport#unpark}; the thread looks for work before it parks, and a permit
 * given between that look and the park makes the park return at once. The park is also bounded, as a safety net.
 */
public final class DeliveryThread implements AutoCloseable {
    /** One pass of delivery: returns the work done (0 = nothing found). May throw anything; it is contained. */
    @FunctionalInterface
    public interface Duty {
        int deliver();
    }

    private static final long PARK_NANOS = 50_000_000L;

    private final Duty duty;
    private final Thread thread;
    private final AtomicLong failures = new AtomicLong();
    private volatile Throwable lastFailure;
    private volatile boolean running = true;

    /** Starts a daemon thread named {@code name} from {@code factory}. */
    public DeliveryThread(String name, ThreadFactory factory, Duty duty) {
        this.duty = duty;
        this.thread = factory.newThread(this::run);
        thread.setName(name);
        thread.setDaemon(true); // a stuck callback must not keep the JVM alive
        thread.start();
    }

    /** Wakes the thread (allocation-free, lock-free: an engine may call it). */
    public void signal() {
        LockSupport.unpark(thread);
    }

    private void run() {
        while (running) {
            int work;
            try {
                work = duty.deliver();
            } catch (Throwable t) { // a callback's failure is the callback's problem: count it, keep delivering
                failures.incrementAndGet();
                lastFailure = t;
                work = 1;
            }
            if (work == 0 && running) {
                LockSupport.parkNanos(this, PARK_NANOS);
            }
        }
    }

    /** Whether the caller is this delivery thread (a callback calling back into the device). */
    public boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    /** Failures the duty let escape (callbacks' throwables the duty did not contain itself). */
    public long failures() {
        return failures.get();
    }

    public Throwable lastFailure() {
        return lastFailure;
    }

    public boolean isAlive() {
        return thread.isAlive();
    }

    /**
     * Stops the thread: it finishes the pass it is in and exits. Waits at most {@code 200 ms} (never for itself): a
     * callback that blocks forever keeps its (daemon) thread, which is then abandoned.
     */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        if (isCurrent()) {
            return;
        }
        try {
            thread.join(200);
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
