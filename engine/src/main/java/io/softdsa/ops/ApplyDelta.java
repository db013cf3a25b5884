package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.iommu.Translation;
import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;

import static io.softdsa.ops.DeltaRecordLayout.ENTRY_LENGTH;
import static io.softdsa.ops.DeltaRecordLayout.WORD;

/**
 * Apply delta record (0x08, fact sheet section 7): for each entry of the delta record (address 16-23, size at 40)
 * writes its 8 data bytes at destination (24-31) + 8 · index. Entries are applied in order; an index not above the
 * previous one stops with 0x07, one with 8 · index ≥ transfer size with 0x08. On any stop, bytes completed = delta
 * record bytes consumed (whole entries applied), so a fault resumes with delta address += n, delta size −= n.
 */
public final class ApplyDelta implements Operation {
    private final MemorySegment entry = MemorySegment.ofArray(new byte[ENTRY_LENGTH]);

    // where the last read entry is: in host memory, or staged in `entry`
    private MemorySegment entrySegment;
    private long entryOffset;

    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        final long delta = d.source();
        final long dst = d.destination();
        final long deltaSize = d.deltaRecordSize();
        if (x.badTransferSize(size) || size % WORD != 0) {                                     // step 7
            return Status.INVALID_TRANSFER_SIZE;
        }
        if (deltaSize == 0 || deltaSize % ENTRY_LENGTH != 0) {
            return Status.DELTA_RECORD_SIZE;
        }
        if (DeltaRecordLayout.misaligned(delta) || DeltaRecordLayout.misaligned(dst)) {       // step 8
            return Status.MISALIGNED_ADDRESS;
        }
        if (Overlap.overlaps(delta, deltaSize, dst, size)) {                                    // step 9
            return Status.OVERLAPPING_BUFFERS;
        }
        final Dma dma = x.dma;
        final MemorySegment m = x.memory;
        int previous = -1;
        for (long consumed = 0; consumed < deltaSize; consumed += ENTRY_LENGTH) {
            if (!read(x, delta, consumed, deltaSize)) {
                return x.fault(consumed);
            }
            final int index = DeltaRecordLayout.index(entrySegment, entryOffset);
            if (index <= previous) {
                x.result.bytesCompleted = consumed;
                return Status.DELTA_OFFSETS_NOT_INCREASING;
            }
            if ((long) index * WORD >= size) {
                x.result.bytesCompleted = consumed;
                return Status.DELTA_OFFSET_OUT_OF_RANGE;
            }
            final long data = DeltaRecordLayout.data(entrySegment, entryOffset);
            final long target = dst + (long) index * WORD;
            if (!dma.map(target, WORD, Translation.WRITE)) {
                return x.fault(consumed);
            }
            if (dma.length() == WORD) {
                m.set(Le.LONG, dma.hostAddress(), data);
            } else if (!writePiecewise(x, target, data)) {
                return x.fault(consumed);
            }
            previous = index;
        }
        return Status.SUCCESS;
    }

    /** Makes the entry at {@code consumed} readable at {@link #entrySegment}; false on a translation failure. */
    private boolean read(OpContext x, long delta, long consumed, long deltaSize) {
        final Dma dma = x.dma;
        if (!dma.map(delta + consumed, ENTRY_LENGTH, Translation.READ)) {
            return false;
        }
        if (dma.length() == ENTRY_LENGTH) { // read in place, before the next step
            entrySegment = x.memory;
            entryOffset = dma.hostAddress();
            return true;
        }
        long copied = 0;
        while (true) { // the entry straddles translated runs: gather it
            final long n = dma.length();
            MemorySegment.copy(x.memory, dma.hostAddress(), entry, copied, n);
            copied += n;
            if (copied == ENTRY_LENGTH) {
                break;
            }
            if (!dma.map(delta + consumed + copied, ENTRY_LENGTH - copied, Translation.READ)) {
                return false;
            }
        }
        entrySegment = entry;
        entryOffset = 0;
        return true;
    }

    /** Writes an 8-byte word that straddles translated runs (cannot happen with page-granular translation). */
    private boolean writePiecewise(OpContext x, long target, long data) {
        final Dma dma = x.dma;
        for (int i = 0; i < WORD; ) {
            if (!dma.map(target + i, WORD - i, Translation.WRITE)) {
                return false;
            }
            for (long k = 0; k < dma.length(); k++, i++) {
                x.memory.set(Le.BYTE, dma.hostAddress() + k, (byte) (data >>> (8 * i)));
            }
        }
        return true;
    }
}
