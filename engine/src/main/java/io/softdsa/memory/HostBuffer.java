package io.softdsa.memory;

import java.lang.foreign.MemorySegment;

/**
 * A physically contiguous buffer of host memory handed to a client: its host-physical address goes into
 * descriptors, its segment lets the client fill and inspect it. Close it to return the frames.
 */
public final class HostBuffer implements AutoCloseable {
    private final HostMemory memory;
    private final long address;
    private final long size;
    private final MemorySegment segment;
    private boolean freed;

    HostBuffer(HostMemory memory, long address, long size) {
        this.memory = memory;
        this.address = address;
        this.size = size;
        this.segment = memory.segment().asSlice(address, size);
    }

    /** Host-physical address of byte 0. */
    public long address() {
        return address;
    }

    public long size() {
        return size;
    }

    /** A view of exactly this buffer. */
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public synchronized void close() {
        if (!freed) {
            freed = true;
            memory.frames().free(address, size);
        }
    }
}
