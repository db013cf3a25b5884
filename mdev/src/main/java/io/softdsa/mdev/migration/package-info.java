/**
 * Live-migration building blocks of the virtual DSA, in the shape of VFIO migration v2: the device state machine
 * ({@link io.softdsa.mdev.migration.MigrationStateMachine} driving a device's
 * {@link io.softdsa.mdev.migration.MigrationArcs}), a QEMU-VMState-style versioned device-state stream
 * ({@link io.softdsa.mdev.migration.VmStateDescription}, {@link io.softdsa.mdev.migration.StateWriter},
 * {@link io.softdsa.mdev.migration.StateReader}, the DSA schema in {@link io.softdsa.mdev.migration.DsaStateSchema}),
 * the migration data channels ({@link io.softdsa.mdev.migration.SavingChannel},
 * {@link io.softdsa.mdev.migration.ResumingChannel}) and DMA dirty logging
 * ({@link io.softdsa.mdev.migration.DmaLogging}). Each part stands alone; the virtual device plugs them in.
 */
package io.softdsa.mdev.migration;
