package io.softdsa.ops;

import io.softdsa.iommu.Translation;

import java.lang.foreign.MemorySegment;

/**
 * Moves one DIF block (or tuple) between device addresses and a flat view, through the engine's {@link Dma}. A
 * source block that one translation covers is used in place in host memory; one that straddles translation runs is
 * gathered into an engine-local scratch block. One per operation instance (operations are per engine).
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

    /** Makes {@code length} bytes at device {@code address} readable at {@link #segment}/{@link #offset}. */
    boolean read(OpContext x, long address, int length) {
        final Dma dma = x.dma;
        if (!dma.map(address, length, Translation.READ)) {
            return false;
        }
        if (dma.length() == length) {
            segment = x.memory;
            offset = dma.hostAddress();
            return true;
        }
        long done = 0;
        while (true) {
            final long n = dma.length();
            MemorySegment.copy(x.memory, dma.hostAddress(), scratch, done, n);
            done += n;
            if (done == length) {
                break;
            }
            if (!dma.map(address + done, length - done, Translation.READ)) {
                return false;
            }
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
