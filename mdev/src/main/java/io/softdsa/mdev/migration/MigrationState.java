package io.softdsa.mdev.migration;

/**
 * The VFIO migration device states ({@code enum vfio_device_mig_state}), with the uAPI's numeric values, and the
 * feature flags ({@code VFIO_MIGRATION_*}) a state needs to exist on a device.
 */
public enum MigrationState {
    ERROR(0, ~0),
    STOP(1, MigrationStateMachine.STOP_COPY),
    RUNNING(2, MigrationStateMachine.STOP_COPY),
    STOP_COPY(3, MigrationStateMachine.STOP_COPY),
    RESUMING(4, MigrationStateMachine.STOP_COPY),
    RUNNING_P2P(5, MigrationStateMachine.STOP_COPY | MigrationStateMachine.P2P),
    PRE_COPY(6, MigrationStateMachine.STOP_COPY | MigrationStateMachine.PRE_COPY),
    PRE_COPY_P2P(7, MigrationStateMachine.STOP_COPY | MigrationStateMachine.P2P | MigrationStateMachine.PRE_COPY);

    private static final MigrationState[] BY_VALUE = values();

    private final int value;
    private final int requiredFeatures;

    MigrationState(int value, int requiredFeatures) {
        this.value = value;
        this.requiredFeatures = requiredFeatures;
    }

    /** The uAPI value ({@code VFIO_DEVICE_STATE_*}). */
    public int value() {
        return value;
    }

    /** The state with uAPI value {@code value}; {@link IllegalArgumentException} for a value the uAPI has not. */
    public static MigrationState of(int value) {
        if (value < 0 || value >= BY_VALUE.length) {
            throw new IllegalArgumentException("no VFIO migration state " + value);
        }
        return BY_VALUE[value];
    }

    /** Whether a device with these feature flags has this state (ERROR is never a state one may request). */
    public boolean existsWith(int features) {
        return (requiredFeatures & features) == requiredFeatures;
    }

    /** PRE_COPY, PRE_COPY_P2P and STOP_COPY: the device's saving data stream is open. */
    public boolean isSaving() {
        return this == PRE_COPY || this == PRE_COPY_P2P || this == STOP_COPY;
    }
}
