package io.softdsa.mdev.vmm;

import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.VfioDevice;
import io.softdsa.mdev.vdev.VirtualDsa;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A VM as its VMM (QEMU) holds it: the guest ({@link #guest()}, the one {@link GuestDomain} object the guest's own
 * software holds for its whole life), its vCPUs ({@link #vcpus()}), the device the guest driver talks to
 * ({@link #device()}, forwarding to the virtual DSA of the host the VM runs on) and where it runs now
 * ({@link #placement()}). {@link #migrate} moves it, live, to another host's placement; the guest's driver,
 * processes and workload keep running across it, on the same objects.
 * <p>
 * Guest threads that run guest code outside the vCPU gate — the guest driver's interrupt thread, which serves
 * interrupts and page requests — are registered with {@link #addGuestDrain}: the VMM waits out what they have queued
 * after each vCPU dirty-log harvest and after the device is stopped (in a real VM they are vCPUs too; here they must
 * keep running while the device stops, because a stopping device may wait for page responses).
 */
public final class VirtualMachine {
    private final String name;
    private final GuestDomain guest;
    private final ForwardingVfioDevice device;
    private final VcpuGate vcpus = new VcpuGate();
    private final List<Runnable> drains = new CopyOnWriteArrayList<>();
    /** Volatile store after a switchover, load by anyone asking where the VM is. */
    private volatile VmPlacement placement;
    private boolean migrating;
    private int migrations;

    /**
     * A VM whose guest is {@code guest} on its first host, with {@code device} assigned to it there. The guest's
     * driver must be given {@link #device()}, never {@code device} itself.
     */
    public VirtualMachine(GuestDomain guest, VirtualDsa device) {
        this.placement = new VmPlacement(guest, device);
        this.name = guest.name();
        this.guest = guest;
        this.device = new ForwardingVfioDevice(device);
    }

    public String name() {
        return name;
    }

    /** The guest as its software sees it; after a migration it answers with the destination host's memory and IOMMU. */
    public GuestDomain guest() {
        return guest;
    }

    /** The device for the guest driver: config space, BARs, portals and MSI-X of whichever host the VM is on. */
    public VfioDevice device() {
        return device;
    }

    public VcpuGate vcpus() {
        return vcpus;
    }

    public VmPlacement placement() {
        return placement;
    }

    /** Completed migrations. */
    public synchronized int migrations() {
        return migrations;
    }

    /** A guest thread outside the vCPU gate: {@code drain} returns once it has done everything queued before. */
    public void addGuestDrain(Runnable drain) {
        drains.add(drain);
    }

    /**
     * Live-migrates the VM to {@code destination} with the default phases: setup, pre-copy until converged or
     * {@code options.maxRounds()}, switchover. On failure before the switchover the VM keeps running on the source.
     */
    public MigrationReport migrate(VmPlacement destination, MigrationOptions options) throws MigrationFailedException {
        final LiveMigration m = prepareMigration(destination, options);
        m.setup();
        m.precopy();
        final MigrationReport r = m.switchover();
        m.releaseSource();
        return r;
    }

    /**
     * A migration to drive phase by phase ({@link LiveMigration#setup}, {@link LiveMigration#precopyRound},
     * {@link LiveMigration#switchover}, {@link LiveMigration#releaseSource}); one at a time per VM.
     */
    public synchronized LiveMigration prepareMigration(VmPlacement destination, MigrationOptions options) {
        if (migrating) {
            throw new IllegalStateException(name + " is already migrating");
        }
        final VmPlacement source = placement;
        if (destination.domain() == source.domain() || destination.device() == source.device()) {
            throw new IllegalArgumentException("the destination is where " + name + " runs now");
        }
        if (!source.domain().memory().isMovable() || !destination.domain().memory().isMovable()) {
            throw new IllegalArgumentException("migration needs movable guest memory on both hosts "
                + "(GuestDomain.createMigratable)");
        }
        if (source.domain().memory().size() != destination.domain().memory().size()) {
            throw new IllegalArgumentException("destination RAM " + destination.domain().memory().size()
                + " bytes, the guest has " + source.domain().memory().size());
        }
        migrating = true;
        return new LiveMigration(this, source, destination, options);
    }

    List<Runnable> drains() {
        return drains;
    }

    ForwardingVfioDevice forwarding() {
        return device;
    }

    /** The switchover has happened: the VM runs on {@code p}. */
    synchronized void placed(VmPlacement p) {
        placement = p; // volatile store
        migrations++;
    }

    synchronized void migrationEnded() {
        migrating = false;
    }

    @Override
    public String toString() {
        return "VM " + name + " on " + placement.device().name();
    }
}
