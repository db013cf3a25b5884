/**
 * The virtual device (mdev), split as QEMU splits a device model: {@link io.softdsa.mdev.vdev.VirtualDsa} is the
 * front that wires the MMIO / config decode, the BAR2 portals, the guest's interrupt handles, MSI-X delivery, the
 * guest's SWERR, reset and unplug, and the host slice behind the guest's WQs; its types and portal layout;
 * {@link io.softdsa.mdev.vdev.MdevManager} creates them and {@code VdevMigration} migrates them.
 */
package io.softdsa.mdev.vdev;
