package io.softdsa.iommu;

import io.softdsa.memory.HostMemory;
import io.softdsa.memory.Page;

import java.lang.foreign.MemorySegment;

/** Host-physical memory as a {@link PhysicalMemory}: identity addresses, frames from the host allocator. */
public final class HostPhysicalMemory implements PhysicalMemory {
    private final HostMemory memory;

    public HostPhysicalMemory(HostMemory memory) {
        this.memory = memory;
    }

    @Override
    public MemorySegment host() {
        return memory.segment();
    }

    @Override
    public long toHost(long pa) {
        return memory.contains(pa, 1) ? pa : -1;
    }

    @Override
    public boolean contains(long pa, long length) {
        return memory.contains(pa, length);
    }

    @Override
    public long allocateFrame() {
        final long frame = memory.frames().allocateFrame();
        memory.segment().asSlice(frame, Page.SIZE).fill((byte) 0);
        return frame;
    }

    @Override
    public long allocateContiguous(long bytes, long alignment) {
        final long run = memory.frames().allocateContiguous(bytes, alignment);
        memory.segment().asSlice(run, Page.roundUp(bytes)).fill((byte) 0);
        return run;
    }

    @Override
    public void free(long pa, long bytes) {
        memory.frames().free(pa, bytes);
    }
}
