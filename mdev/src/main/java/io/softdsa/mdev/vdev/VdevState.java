package io.softdsa.mdev.vdev;

/**
 * What every part of one virtual device consults: the device lock (register file and config space are touched
 * only under it), whether the device is unplugged, whether the guest turned memory decoding on, and whether the
 * device is held still for migration.
 */
final class VdevState {
    final Object lock = new Object();
    private final VdevMigration migration;
    /** Set once by the unplug: no MMIO, portal store or interrupt from then on (volatile: read lock-free). */
    volatile boolean closed;
    /** The COMMAND register's memory-space bit, for the portal path (which takes no lock). */
    volatile boolean memoryDecode;

    VdevState(VdevMigration migration) {
        this.migration = migration;
    }

    /** Stopped (or resuming) for migration: no DMA, no interrupt, no state change. */
    boolean stopped() {
        return migration.stopped();
    }

    /** Whether a guest write may change state now: not unplugged, not stopped. */
    boolean acceptsWrites() {
        return !closed && !stopped();
    }
}
