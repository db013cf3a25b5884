package io.softdsa.completion;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The receiving side of a posted-interrupt descriptor (a guest's interrupt-delivery thread, fact sheet section 12):
 * senders {@link #post} vectors (PIR bit, then ON and one notification); the notification wakes this thread, which
 * drains the descriptor and hands each vector once to the guest's {@link PostedInterruptDescriptor.VectorSink}. No
 * guest code runs on a sender's thread. Whatever the sink throws is counted and contained.
 */
public final class PostedInterruptReceiver implements AutoCloseable {
    private final PostedInterruptDescriptor pid;
    private final PostedInterruptDescriptor.VectorSink sink;
    private final DeliveryThread thread;
    private final AtomicLong notifications = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile Throwable lastFailure;

    public PostedInterruptReceiver(String name, PostedInterruptDescriptor pid, ThreadFactory threads,
                                   PostedInterruptDescriptor.VectorSink sink) {
        this.pid = pid;
        this.sink = sink;
        this.thread = new DeliveryThread(name, threads, this::drain);
    }

    public PostedInterruptDescriptor descriptor() {
        return pid;
    }

    /**
     * Posts {@code vector} and, when the descriptor asks for it, sends the notification (wakes the receiver).
     * Allocation-free and lock-free: an engine calls it. Returns whether a notification was sent.
     */
    public boolean post(int vector) {
        if (pid.post(vector)) {
            notifications.incrementAndGet();
            thread.signal();
            return true;
        }
        return false;
    }

    /** Clears SN; notifies if vectors were posted while notifications were suppressed. */
    public void unsuppress() {
        if (pid.suppress(false)) {
            notifications.incrementAndGet();
            thread.signal();
        }
    }

    private int drain() {
        if (!pid.outstandingNotification() && (pid.suppressed() || !pid.anyPending())) {
            return 0;
        }
        return pid.drain(this::deliverOne);
    }

    private void deliverOne(int vector) {
        delivered.incrementAndGet();
        try {
            sink.vector(vector);
        } catch (Throwable t) { // the guest's failure: counted, the next vector is still delivered
            failures.incrementAndGet();
            lastFailure = t;
        }
    }

    /** Notifications sent (ON set from 0). */
    public long notifications() {
        return notifications.get();
    }

    /** Vectors handed to the sink. */
    public long delivered() {
        return delivered.get();
    }

    /** Throwables the sink threw. */
    public long failures() {
        return failures.get() + thread.failures();
    }

    public Throwable lastFailure() {
        return lastFailure;
    }

    /** Whether the caller is the delivery thread. */
    public boolean isDeliveryThread() {
        return thread.isCurrent();
    }

    @Override
    public void close() {
        thread.close();
    }
}
