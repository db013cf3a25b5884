package io.softdsa.mdev.vdev;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The guest errors of one virtual device, QEMU's {@code LOG_GUEST_ERROR}: a guest doing something the device
 * ignores or rejects (an MMIO access outside a register or of a bad size, a write to read-only bits or to a locked
 * table, a store to a portal that takes none, a command that fails). Each is counted, and logged as one line at most
 * every {@link #LOG_INTERVAL_NANOS} (saying how many were not logged since), so a guest hammering its device cannot
 * flood the host's log. Thread-safe and lock-free: any guest thread, the command thread or the device's own.
 */
final class GuestErrors {
    /** At most one log line per device per second. */
    static final long LOG_INTERVAL_NANOS = 1_000_000_000L;
    private static final System.Logger LOG = System.getLogger("io.softdsa.mdev.vdev.GuestErrors");

    private final String device;
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong unlogged = new AtomicLong();
    private final AtomicLong nextLogNanos = new AtomicLong(System.nanoTime());
    private volatile String last;

    GuestErrors(String device) {
        this.device = device;
    }

    /** The guest did {@code what}, which the device ignores or rejects. */
    void report(String what) {
        count.incrementAndGet();
        last = what;
        final long now = System.nanoTime();
        final long next = nextLogNanos.get();
        // one reporter per interval wins the CAS and logs; the others are counted for its line
        if (now - next >= 0 && nextLogNanos.compareAndSet(next, now + LOG_INTERVAL_NANOS)) {
            final long skipped = unlogged.getAndSet(0);
            LOG.log(System.Logger.Level.WARNING, device + ": guest error: " + what
                + (skipped > 0 ? " (" + skipped + " more not logged since the last line)" : ""));
        } else {
            unlogged.incrementAndGet();
        }
    }

    long count() {
        return count.get();
    }

    /** The latest guest error, or null if there was none. */
    String last() {
        return last;
    }
}
