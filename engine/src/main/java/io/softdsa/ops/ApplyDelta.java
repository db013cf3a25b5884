package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorLayout;
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

    // the rest of the current translated run of the delta record
    private long windowHost;
    private long windowLeft;
    // where the last read entry is: in host memory, or staged in `entry`
    private MemorySegment entrySegment;
    private long entryOffset;

    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        final long delta = d.source();
        final long dst = d.destination();
        final long deltaSize = Integer.toUnsignedLong(d.u32(DescriptorLayout.DELTA_SIZE_OFFSET));
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
        windowLeft = 0;
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
        if (windowLeft >= ENTRY_LENGTH) {
            entrySegment = x.memory;
            entryOffset = windowHost;
            windowHost += ENTRY_LENGTH;
            windowLeft -= ENTRY_LENGTH;
            return true;
        }
        final Dma dma = x.dma;
        long copied = 0;
        while (copied < ENTRY_LENGTH) {
            if (windowLeft == 0) {
                final long next = consumed + copied;
                if (!dma.map(delta + next, deltaSize - next, Translation.READ)) {
                    return false;
                }
                windowHost = dma.hostAddress();
                windowLeft = dma.length();
                if (copied == 0 && windowLeft >= ENTRY_LENGTH) {
                    return read(x, delta, consumed, deltaSize);
                }
            }
            final long n = Math.min(windowLeft, ENTRY_LENGTH - copied);
            MemorySegment.copy(x.memory, windowHost, entry, copied, n);
            windowHost += n;
            windowLeft -= n;
            copied += n;
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
