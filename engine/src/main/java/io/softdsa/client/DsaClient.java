package io.softdsa.client;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.CompletionRecordLayout;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.device.Device;
import io.softdsa.device.WorkQueue;
import io.softdsa.memory.FrameAllocator;
import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;
import io.softdsa.portal.Portal;
import org.agrona.concurrent.IdleStrategy;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * What "guest" code holds to use one WQ: buffers and completion records in host memory, staging descriptors, and
 * submit / wait helpers over the WQ's portal.
 *
 * <pre>{@code
 * DsaClient client = DsaClient.open(dsa, 0);
 * HostBuffer src = client.allocate(4096), dst = client.allocate(4096);
 * CompletionRecord cr = client.completionRecord();
 * Descriptor d = client.descriptor().opcode(Opcode.MEMMOVE)
 *     .source(src.address()).destination(dst.address()).transferSize(4096);
 * int status = client.execute(d, cr, new BackoffIdleStrategy());
 * }</pre>
 * A client is meant for one submitting thread (it owns its staging descriptors and record slab); any number of
 * clients may share a shared WQ.
 */
public final class DsaClient implements AutoCloseable {
    private static final int RECORDS_PER_FRAME = (int) (FrameAllocator.FRAME_SIZE / CompletionRecordLayout.LENGTH);

    private final HostMemory memory;
    private final WorkQueue wq;
    private final Portal portal;
    private final Arena arena = Arena.ofShared();
    private final List<HostBuffer> owned = new ArrayList<>();
    private HostBuffer recordFrame;
    private int nextRecord = RECORDS_PER_FRAME;

    private DsaClient(HostMemory memory, WorkQueue wq, Portal portal) {
        this.memory = memory;
        this.wq = wq;
        this.portal = portal;
    }

    /** A client of WQ {@code wqIndex} through its (limited) portal. */
    public static DsaClient open(Device device, int wqIndex) {
        final WorkQueue wq = device.wq(wqIndex);
        return new DsaClient(device.memory(), wq, wq.portal());
    }

    /** A client submitting through a specific portal (e.g. one bound to a process PASID). */
    public static DsaClient open(Device device, WorkQueue wq, Portal portal) {
        return new DsaClient(device.memory(), wq, portal);
    }

    public WorkQueue wq() {
        return wq;
    }

    public Portal portal() {
        return portal;
    }

    /** A zeroed, physically contiguous buffer in host memory, freed when the client closes. */
    public HostBuffer allocate(long bytes) {
        final HostBuffer b = memory.allocateBuffer(bytes);
        owned.add(b);
        return b;
    }

    /** A fresh 32-byte aligned completion record in host memory, armed (status 0). */
    public CompletionRecord completionRecord() {
        if (nextRecord == RECORDS_PER_FRAME) {
            recordFrame = allocate(FrameAllocator.FRAME_SIZE);
            nextRecord = 0;
        }
        final long address = recordFrame.address() + (long) nextRecord++ * CompletionRecordLayout.LENGTH;
        return new CompletionRecord(memory.segment(), address).arm();
    }

    /** A zeroed staging descriptor (off-heap, outside host memory: it is the CPU's source operand of ENQCMD). */
    public Descriptor descriptor() {
        return Descriptor.allocate(arena);
    }

    /** One submission attempt: ENQCMD on a shared WQ (false = retry), MOVDIR64B on a dedicated WQ (always true). */
    public boolean trySubmit(Descriptor d) {
        if (portal.isDedicated()) {
            portal.movdir64b(d);
            return true;
        }
        return portal.enqcmd(d);
    }

    /** Submits, idling on retry until the shared WQ accepts. */
    public void submit(Descriptor d, IdleStrategy idle) {
        idle.reset();
        while (!trySubmit(d)) {
            idle.idle();
        }
    }

    /**
     * Points {@code d} at {@code record} (CRAV | RCR), arms the record, submits and waits for the status.
     *
     * @return the completion status code
     */
    public int execute(Descriptor d, CompletionRecord record, IdleStrategy idle) {
        d.completionAddress(record.address())
            .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD);
        record.arm();
        submit(d, idle);
        return record.await(idle);
    }

    @Override
    public void close() {
        for (HostBuffer b : owned) {
            b.close();
        }
        owned.clear();
        arena.close();
    }
}
