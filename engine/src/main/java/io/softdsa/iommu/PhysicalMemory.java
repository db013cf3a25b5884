package io.softdsa.iommu;

import java.lang.foreign.MemorySegment;

/**
 * A physical address space page tables can live in: host-physical memory itself, or a guest's physical memory
 * reached through its stage-2 tables. {@link AddressSpace} edits tables through this view, so one editor serves a
 * host process and a guest driver writing its own stage-1 tables.
 */
public interface PhysicalMemory {
    /** The host memory everything finally lands in. */
    MemorySegment host();

    /** Host address of physical address {@code pa}, or -1 if nothing backs it. */
    long toHost(long pa);

    /** Whether [pa, pa + length) is inside this physical space. */
    boolean contains(long pa, long length);

    /** A zeroed 4 KiB frame (its physical address). */
    long allocateFrame();

    /** A zeroed physically contiguous run aligned to {@code alignment}. */
    long allocateContiguous(long bytes, long alignment);

    void free(long pa, long bytes);
}
