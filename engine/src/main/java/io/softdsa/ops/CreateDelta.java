package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.iommu.Translation;
import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;

import static io.softdsa.ops.DeltaRecordLayout.ENTRY_LENGTH;
import static io.softdsa.ops.DeltaRecordLayout.WORD;

/**
 * Create delta record (0x07, fact sheet section 7): compares source 1 (bytes 16-23) and source 2 (24-31) as 8-byte
 * words and appends a {@link DeltaRecordLayout} entry for each differing word. Result 0 identical, 1 different, 2
 * the record would exceed the maximum size (what fitted is written). Completion bytes 16-19 = delta record size.
 * <p>
 * Equal stretches are skipped with {@link MemorySegment#mismatch}. On a translation failure bytes completed = source
 * bytes compared and the record size = whole entries written (section 10), so the remainder resumes with sources
 * += n, delta address += size, maximum −= size.
 */
public final class CreateDelta implements Operation {
    private final MemorySegment entry = MemorySegment.ofArray(new byte[ENTRY_LENGTH]);

    // the delta record being written and the bytes written so far
    private long deltaAddress;
    private long maxSize;
    private long written;

    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        final long src1 = d.source();
        final long src2 = d.destination();
        final long delta = d.deltaRecordAddress();
        final long max = d.maxDeltaRecordSize();
        if (x.badTransferSize(size) || size % WORD != 0 || size > DeltaRecordLayout.MAX_SOURCE_SIZE) { // step 7
            return Status.INVALID_TRANSFER_SIZE;
        }
        if (max % ENTRY_LENGTH != 0 || max < DeltaRecordLayout.MIN_MAX_RECORD_SIZE) {
            return Status.DELTA_RECORD_SIZE;
        }
        if (DeltaRecordLayout.misaligned(src1) || DeltaRecordLayout.misaligned(src2)                   // step 8
            || DeltaRecordLayout.misaligned(delta)) {
            return Status.MISALIGNED_ADDRESS;
        }
        if (Overlap.overlaps(delta, max, src1, size) || Overlap.overlaps(delta, max, src2, size)) {         // step 9
            return Status.OVERLAPPING_BUFFERS; // softdsa: the record may not rewrite what is being compared
        }
        deltaAddress = delta;
        maxSize = max;
        written = 0;
        final int status = compare(x, src1, src2, size);
        x.result.field16 = written;
        if (status != Status.SUCCESS) {
            return status;
        }
        if (!x.flag(DescriptorFlags.CHECK_RESULT)) {
            return Status.SUCCESS;
        }
        final int mask = d.expectedResultMask();
        return (mask >>> x.result.result & 1) != 0 ? Status.SUCCESS : Status.SUCCESS_PRED;
    }

    private int compare(OpContext x, long src1, long src2, long size) {
        final Dma dma = x.dma;
        final MemorySegment m = x.memory;
        long done = 0;
        while (done < size) {
            if (!dma.map2(src1 + done, size - done, Translation.READ, src2 + done, Translation.READ)) {
                return x.fault(done);
            }
            final long a = dma.hostAddress(0);
            final long b = dma.hostAddress(1);
            // both sources are 8-byte aligned and a run ends at a page end, the step limit or the size: whole words
            final long n = dma.length() & -WORD;
            if (n == 0) {
                throw new IllegalStateException("translation run shorter than a word at 0x" + Long.toHexString(b));
            }
            final long at = MemorySegment.mismatch(m, a, a + n, m, b, b + n);
            if (at < 0) {
                done += n;
                continue;
            }
            final long word = at & -WORD;
            x.result.result = 1;
            if (written + ENTRY_LENGTH > maxSize) {
                x.result.result = 2;
                return Status.SUCCESS;
            }
            final long data = m.get(Le.LONG, b + word);
            if (!append(x, (int) ((done + word) / WORD), data)) {
                return x.fault(done + word);
            }
            // appending is a step of its own, which may have let go of the sources' translations: map them again
            done += word + WORD;
        }
        return Status.SUCCESS;
    }

    /** Appends one entry at the end of the record; false on a translation failure (the entry does not count). */
    private boolean append(OpContext x, int index, long data) {
        DeltaRecordLayout.write(entry, 0, index, data);
        if (!DifBlockIo.write(x, entry, 0, deltaAddress + written, ENTRY_LENGTH)) {
            return false;
        }
        written += ENTRY_LENGTH;
        return true;
    }
}
