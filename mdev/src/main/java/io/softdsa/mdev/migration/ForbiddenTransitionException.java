package io.softdsa.mdev.migration;

/**
 * A requested migration state the device cannot reach from where it is (the uAPI answers EINVAL): a state its feature
 * flags exclude, ERROR, anything from ERROR, or a saving state from STOP_COPY. The device state is unchanged.
 */
public final class ForbiddenTransitionException extends IllegalStateException {
    private final MigrationState from;
    private final MigrationState to;

    public ForbiddenTransitionException(MigrationState from, MigrationState to, String why) {
        super("migration state " + from + " -> " + to + " refused: " + why);
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
