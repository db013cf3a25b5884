package io.softdsa.ops;

import io.softdsa.completion.OpResult;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Everything an operation may use while it runs on one engine: the DMA window, the result accumulator, the per-WQ
 * limits and the engine's scratch units. One per engine; fields describing the current descriptor are set by the
 * executor before each {@link Operation#execute}.
 */
public final class OpContext {
    public final Dma dma;
    public final OpResult result = new OpResult();
    public final MemorySegment memory;
    public final Crc32cUnit crc;
    public final PatternBlock pattern;

    /** Current descriptor's flags (24 bits). */
    public int flags;
    /** The WQ's maximum transfer size and batch size. */
    public long maxTransferSize;
    public int maxBatchSize;
    /**
     * Waits until every descriptor dispatched earlier from the current WQ has completed (Drain). Given once, by the
     * engine this context belongs to: the one call that goes up the stack, from an operation to its engine, through
     * an interface of this package.
     */
    private EarlierWork earlierWork = EarlierWork.NONE;

    /**
     * @param bufferView the DMA memory again, in a session of its own, for the CRC unit's {@link java.nio.ByteBuffer}
     *                   views (see {@code HostMemory.bufferView})
     */
    public OpContext(Dma dma, MemorySegment bufferView, Arena scratch) {
        this.dma = dma;
        this.memory = dma.memory();
        this.crc = new Crc32cUnit(memory, bufferView);
        this.pattern = new PatternBlock(scratch);
    }

    public boolean flag(int mask) {
        return (flags & mask) != 0;
    }

    /** Step 7's common rule: 0, or above the WQ maximum transfer size. */
    public boolean badTransferSize(long size) {
        return size == 0 || size > maxTransferSize;
    }

    /** Fails the operation at a mapping failure after {@code done} bytes. */
    public int fault(long done) {
        return result.fault(done, dma.failureStatus(), dma.faultAddress(), dma.faultWrite());
    }

    /** The engine running this context answers {@link #awaitEarlierWork} with {@code w}; once only. */
    public void earlierWork(EarlierWork w) {
        if (earlierWork != EarlierWork.NONE) {
            throw new IllegalStateException("this context already belongs to an engine");
        }
        earlierWork = java.util.Objects.requireNonNull(w);
    }

    /** Drain's wait: every descriptor dispatched earlier from the current WQ has completed when this returns. */
    public void awaitEarlierWork() {
        earlierWork.await();
    }

    /** Waits for earlier descriptors of the same WQ (Drain); implemented by the engine. */
    @FunctionalInterface
    public interface EarlierWork {
        EarlierWork NONE = () -> { };

        void await();
    }
}
