package io.softdsa.ops;

import io.softdsa.iommu.Translation;

import java.lang.foreign.MemorySegment;

/**
 * Moves one DIF block (or tuple, or delta entry) between device addresses and an engine-local view, through the
 * engine's {@link Dma}: a source block is gathered into a scratch block, an output is scattered from one, each run
 * used within the step that mapped it. One per operation instance (operations are per engine).
 */
final class DifBlockIo {
    private static final int MAX_BLOCK = 4104 + DifTupleLayout.LENGTH;

    private final MemorySegment scratch = MemorySegment.ofArray(new byte[MAX_BLOCK]);
    private final MemorySegment tuple = MemorySegment.ofArray(new byte[DifTupleLayout.LENGTH]);

    /** Where the last {@link #read} put its bytes. */
    MemorySegment segment;
    long offset;

    /** An 8-byte buffer to compose an outgoing tuple in. */
    MemorySegment tuple() {
        return tuple;
    }

    /**
     * Gathers {@code length} bytes at device {@code address} into the scratch block at {@link #segment}/
     * {@link #offset}. Always a copy: the block is used after later steps (its output), which may let go of the
     * source's translation (a page request, an epoch release), so no host address of it may outlive this call.
     */
    boolean read(OpContext x, long address, int length) {
        final Dma dma = x.dma;
        long done = 0;
        while (done < length) {
            if (!dma.map(address + done, length - done, Translation.READ)) {
                return false;
            }
            final long n = dma.length();
            MemorySegment.copy(x.memory, dma.hostAddress(), scratch, done, n);
            done += n;
        }
        segment = scratch;
        offset = 0;
        return true;
    }

    /** Writes {@code length} bytes of {@code from} at {@code fromOffset} to device {@code address}. */
    static boolean write(OpContext x, MemorySegment from, long fromOffset, long address, long length) {
        final Dma dma = x.dma;
        long done = 0;
        while (done < length) {
            if (!dma.map(address + done, length - done, Translation.WRITE)) {
                return false;
            }
            final long n = dma.length();
            MemorySegment.copy(from, fromOffset + done, x.memory, dma.hostAddress(), n);
            done += n;
        }
        return true;
    }
}
