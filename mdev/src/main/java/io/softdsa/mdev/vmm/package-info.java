/**
 * A VMM model for live migration of a guest with a virtual DSA, in QEMU's shape: a {@link
 * io.softdsa.mdev.vmm.VirtualMachine} holds the guest ({@link io.softdsa.mdev.translation.GuestDomain}), its vCPUs
 * ({@link io.softdsa.mdev.vmm.VcpuGate}: guest code runs in steps the VMM can pause, and wait out for its dirty
 * log), and the device the guest driver talks to ({@link io.softdsa.mdev.vmm.ForwardingVfioDevice}, retargeted at
 * the switchover). {@link io.softdsa.mdev.vmm.LiveMigration} is the migration itself: iterative pre-copy of guest RAM
 * driven by the device's DMA dirty log and the vCPU dirty log, then stop-and-copy through the device's VFIO
 * migration states (one direct arc at a time, via P2P) and its state stream, resume on the other host's virtual DSA,
 * and the guest switched over with the same driver, processes and workload objects. {@link
 * io.softdsa.mdev.vmm.MigrationReport} is what it did: arcs, rounds, bytes, downtime.
 * <p>
 * {@code GuestWorkload} is a guest program that keeps the device busy with a mixed workload across migrations, and
 * {@code MigrationTestbed} two hosts and a guest (both mdev's test fixtures, with the guest driver), shared by
 * {@code ./softdsa migrate}, the tests and the benchmarks.
 */
package io.softdsa.mdev.vmm;
