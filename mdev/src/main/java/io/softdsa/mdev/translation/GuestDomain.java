package io.softdsa.mdev.translation;

import io.softdsa.mdev.host.HostDsa;

/**
 * One guest (virtual machine) as its assigned devices' DMA sees it: its physical memory (stage 2) and its IOMMU
 * (PASIDs, stage-1 bindings, page requests). Every virtual device given to the guest shares both.
 * <p>
 * <b>Migration.</b> The guest's own software (its driver, its processes) holds this object, so a VM that moves to
 * another host must not need a new one: {@link #switchTo} makes {@link #memory()} and {@link #iommu()} answer with
 * the destination's, as a real guest's RAM and IOMMU just continue on the other machine. The pair is published as
 * one {@link Placement} so no reader sees the destination's memory with the source's IOMMU.
 */
public final class GuestDomain implements AutoCloseable {
    /** Where the guest lives on one host: its RAM's backing there and the IOMMU emulation of that host. */
    private record Placement(GuestMemory memory, VirtualIommu iommu) {
    }

    private final String name;
    /** Volatile store in {@link #switchTo} / volatile load in every accessor. */
    private volatile Placement placement;

    private GuestDomain(String name, GuestMemory memory, VirtualIommu iommu) {
        this.name = name;
        this.placement = new Placement(memory, iommu);
    }

    /** A guest with {@code memoryBytes} of RAM, backed up front ({@code lazy} false) or on first touch. */
    public static GuestDomain create(HostDsa host, String name, long memoryBytes, boolean lazy) {
        final GuestMemory memory = lazy ? GuestMemory.lazy(host.iommu(), memoryBytes)
            : GuestMemory.backed(host.iommu(), memoryBytes);
        return new GuestDomain(name, memory, new VirtualIommu(host, memory));
    }

    /**
     * A guest that may migrate: its RAM is {@linkplain GuestMemory#movable movable} (4 KiB stage-2 pages, host
     * addresses in the process-wide view). Create the destination's domain of a migration the same way.
     */
    public static GuestDomain createMigratable(HostDsa host, String name, long memoryBytes, boolean lazy) {
        final GuestMemory memory = GuestMemory.movable(host.iommu(), memoryBytes, lazy);
        return new GuestDomain(name, memory, new VirtualIommu(host, memory));
    }

    public String name() {
        return name;
    }

    public GuestMemory memory() {
        return placement.memory();
    }

    public VirtualIommu iommu() {
        return placement.iommu();
    }

    /**
     * Migration switchover: this guest continues on {@code destination}'s host. The destination's memory takes over
     * this guest's guest-side RAM state ({@link GuestMemory#takeOver}), the guest's page-request handler moves to the
     * destination's IOMMU (the source's gets none: a late source request is refused, never delivered twice), and
     * from the return on this object's {@link #memory()} and {@link #iommu()} are the destination's — they are shared
     * with {@code destination}, so closing either closes them. The VMM calls it with the vCPUs paused, the source
     * device stopped, the RAM copied and the destination device resumed, before the destination device runs.
     *
     * @return what is left on the source host (its memory and IOMMU), for the VMM to close once the source device is
     *     gone
     * @throws IllegalArgumentException if the destination is this guest, or the memories cannot take over
     */
    public synchronized GuestDomain switchTo(GuestDomain destination) {
        if (destination == this) {
            throw new IllegalArgumentException("a guest cannot switch to itself");
        }
        final Placement from = placement;
        final Placement to = destination.placement;
        if (to.memory() == from.memory()) {
            throw new IllegalArgumentException(name + " already lives in " + destination.name + "'s memory");
        }
        to.memory().takeOver(from.memory());
        to.iommu().pageRequestHandler(from.iommu().pageRequestHandler());
        from.iommu().pageRequestHandler(null);
        placement = to; // volatile store: the guest's next access of memory() / iommu() is on the destination
        return new GuestDomain(name + "@source", from.memory(), from.iommu());
    }

    @Override
    public void close() {
        final Placement p = placement;
        p.iommu().close();
        p.memory().close();
    }

    @Override
    public String toString() {
        return "guest " + name;
    }
}
