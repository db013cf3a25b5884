package io.softdsa.mdev.translation;

import io.softdsa.mdev.host.HostDsa;

/**
 * One guest (virtual machine) as its assigned devices' DMA sees it: its physical memory (stage 2) and its IOMMU
 * (PASIDs, stage-1 bindings, page requests). Every virtual device given to the guest shares both.
 */
public final class GuestDomain implements AutoCloseable {
    private final String name;
    private final GuestMemory memory;
    private final VirtualIommu iommu;

    private GuestDomain(String name, GuestMemory memory, VirtualIommu iommu) {
        this.name = name;
        this.memory = memory;
        this.iommu = iommu;
    }

    /** A guest with {@code memoryBytes} of RAM, backed up front ({@code lazy} false) or on first touch. */
    public static GuestDomain create(HostDsa host, String name, long memoryBytes, boolean lazy) {
        final GuestMemory memory = lazy ? GuestMemory.lazy(host.iommu(), memoryBytes)
            : GuestMemory.backed(host.iommu(), memoryBytes);
        return new GuestDomain(name, memory, new VirtualIommu(host, memory));
    }

    public String name() {
        return name;
    }

    public GuestMemory memory() {
        return memory;
    }

    public VirtualIommu iommu() {
        return iommu;
    }

    @Override
    public void close() {
        iommu.close();
        memory.close();
    }

    @Override
    public String toString() {
        return "guest " + name;
    }
}
