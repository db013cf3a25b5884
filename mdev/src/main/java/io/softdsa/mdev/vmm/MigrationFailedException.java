package io.softdsa.mdev.vmm;

/**
 * A migration that did not complete. Before the switchover the VMM rolls back — logging stopped, the source device
 * back to RUNNING, the destination device reset, the vCPUs resumed on the source — and {@link #rolledBack()} is true;
 * {@link #report()} has what happened up to the failure.
 */
public final class MigrationFailedException extends Exception {
    private final transient MigrationReport report;
    private final boolean rolledBack;

    public MigrationFailedException(String message, MigrationReport report, boolean rolledBack, Throwable cause) {
        super(message + (rolledBack ? " (rolled back: the guest runs on the source)" : " (NOT rolled back)"), cause);
        this.report = report;
        this.rolledBack = rolledBack;
    }

    public MigrationReport report() {
        return report;
    }

    public boolean rolledBack() {
        return rolledBack;
    }
}
