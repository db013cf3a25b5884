package io.softdsa.mdev.vdev;

import io.softdsa.mdev.migration.DmaLogging;
import io.softdsa.mdev.migration.MigrationArcException;
import io.softdsa.mdev.migration.MigrationState;
import io.softdsa.mdev.migration.MigrationStreamException;
import io.softdsa.mdev.migration.PrecopyInfo;

import java.nio.ByteBuffer;

/**
 * The migration interface of one virtual DSA, as a VFIO variant driver offers it to its VMM:
 * {@code VFIO_DEVICE_FEATURE_MIGRATION} ({@link #features}), {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE}
 * ({@link #state}, {@link #transition}), the migration data fd ({@link #read} while saving, {@link #write} while
 * resuming), {@code VFIO_MIG_GET_PRECOPY_INFO} ({@link #precopyInfo}) and the DMA logging features
 * ({@link #dmaLogging}). See the README's migration model for what is saved, drained and captured.
 */
public interface DeviceMigration {
    /** {@code VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY}. */
    int features();

    MigrationState state();

    /**
     * Moves the device to {@code to} along the uAPI's shortest path of direct arcs.
     *
     * @throws io.softdsa.mdev.migration.ForbiddenTransitionException if the request is forbidden (nothing changes)
     * @throws MigrationArcException                                    if an arc failed (the device is in ERROR)
     */
    void transition(MigrationState to) throws MigrationArcException;

    /** Device reset from any state (ERROR included) back to RUNNING, as {@code VFIO_DEVICE_RESET}. */
    void resetDevice() throws MigrationArcException;

    /**
     * A read of the saving data fd (PRE_COPY, PRE_COPY_P2P, STOP_COPY): bytes copied, 0 at the end of the stream
     * (STOP_COPY), or {@link io.softdsa.mdev.migration.SavingChannel#ENOMSG} when pre-copy has nothing more for now.
     *
     * @throws IllegalStateException outside the saving states
     */
    int read(ByteBuffer dst);

    /**
     * A write of the resuming data fd (RESUMING): all of {@code src} is taken; an incompatible source is refused as
     * soon as its compatibility section has arrived.
     *
     * @throws IllegalStateException outside RESUMING
     */
    int write(ByteBuffer src) throws MigrationStreamException;

    /** {@code VFIO_MIG_GET_PRECOPY_INFO}: only in PRE_COPY / PRE_COPY_P2P. */
    PrecopyInfo precopyInfo();

    /** DMA dirty logging of this device's writes to guest memory ({@code VFIO_DEVICE_FEATURE_DMA_LOGGING_*}). */
    DmaLogging dmaLogging();
}
