package io.softdsa.mdev.migration;

/** A direct arc of the device failed (its {@link MigrationArcs} method threw); the device is now in ERROR. */
public final class MigrationArcException extends Exception {
    private final MigrationState from;
    private final MigrationState to;

    public MigrationArcException(MigrationState from, MigrationState to, Throwable cause) {
        super("migration arc " + from + " -> " + to + " failed, device in ERROR until reset: " + cause, cause);
        this.from = from;
        this.to = to;
    }

    public MigrationState from() {
        return from;
    }

    public MigrationState to() {
        return to;
    }
}
