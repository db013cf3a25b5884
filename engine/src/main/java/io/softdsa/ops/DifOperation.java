package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;

import java.lang.foreign.MemorySegment;

import static io.softdsa.descriptor.DescriptorLayout.*;

/**
 * DIF check (0x12), insert (0x13), strip (0x14), update (0x15) and DIX generate (0x17), fact sheet section 9, one
 * block at a time in the shape its {@link DifKind} gives. A DIF error stops at the failing block (status 0x09, DIF
 * status bits in the result byte, bytes completed = that block's source offset); a translation failure stops the
 * same way with whole blocks completed. Either way the completion tag fields hold the tags of the first block not
 * completed, i.e. the seeds that resume the sequence (all blocks on success).
 */
public final class DifOperation implements Operation {
    private final DifKind kind;
    private final DifBlockIo io = new DifBlockIo();
    private final DifTags source = new DifTags();
    private final DifTags destination = new DifTags();

    DifOperation(DifKind kind) {
        this.kind = kind;
    }

    public static DifOperation check() {
        return new DifOperation(DifKind.CHECK);
    }

    public static DifOperation insert() {
        return new DifOperation(DifKind.INSERT);
    }

    public static DifOperation strip() {
        return new DifOperation(DifKind.STRIP);
    }

    public static DifOperation update() {
        return new DifOperation(DifKind.UPDATE);
    }

    public static DifOperation dixGenerate() {
        return new DifOperation(DifKind.DIX_GENERATE);
    }

    @Override
    public int execute(Descriptor d, OpContext x) {
        final long size = d.transferSize();
        final int difFlags = d.difFlags();
        final int blockSize = DifFlags.blockSize(difFlags);
        final int sourceStride = kind.sourceStride(blockSize);
        if (x.badTransferSize(size) || size % sourceStride != 0) {                       // step 7
            return Status.INVALID_TRANSFER_SIZE;
        }
        final long blocks = size / sourceStride;
        final int destinationStride = kind.destinationStride(blockSize);
        final long src = d.source();
        final long dst = d.destination();
        if (kind.overlapForbidden && Overlap.overlaps(src, size, dst, blocks * destinationStride)) { // step 9
            return Status.OVERLAPPING_BUFFERS;
        }
        final int sourceFlags = kind.sourceTuples ? d.sourceDifFlags() : 0;
        final int destinationFlags = kind.writesTuples ? d.destinationDifFlags() : 0;
        source.load(d, SOURCE_REF_TAG_SEED_OFFSET, SOURCE_APP_TAG_MASK_OFFSET, SOURCE_APP_TAG_SEED_OFFSET,
            (sourceFlags & DifFlags.SRC_REF_FIXED) == 0, (sourceFlags & DifFlags.SRC_APP_INCREMENT) != 0);
        destination.load(d, DESTINATION_REF_TAG_SEED_OFFSET, DESTINATION_APP_TAG_MASK_OFFSET,
            DESTINATION_APP_TAG_SEED_OFFSET, (destinationFlags & DifFlags.DST_REF_FIXED) == 0,
            (destinationFlags & DifFlags.DST_APP_INCREMENT) != 0);

        for (long k = 0; k < blocks; k++) {
            final int status = block(x, k, src + k * sourceStride, dst + k * destinationStride, blockSize,
                difFlags, sourceFlags, destinationFlags);
            if (status != Status.SUCCESS) {
                if (status == Status.DIF_ERROR) {
                    x.result.bytesCompleted = k * sourceStride;
                }
                tagFields(x, k);
                return status;
            }
        }
        tagFields(x, blocks);
        return Status.SUCCESS;
    }

    /** One block: read (with its tuple), check, write; returns the status, having set the fault or DIF bits. */
    private int block(OpContext x, long k, long srcAddress, long dstAddress, int blockSize, int difFlags,
                      int sourceFlags, int destinationFlags) {
        final long done = k * kind.sourceStride(blockSize);
        if (!io.read(x, srcAddress, kind.sourceStride(blockSize))) {
            return x.fault(done);
        }
        final MemorySegment m = io.segment;
        final long data = io.offset;
        final long tuple = data + blockSize;
        boolean guardKnown = false;
        int guard = 0;
        if (kind.sourceTuples) {
            int errors = DifVerifier.fDetect(sourceFlags, m, tuple);
            if (errors == 0) {
                if (DifVerifier.checksGuard(sourceFlags)) {
                    guard = guard(m, data, blockSize, difFlags);
                    guardKnown = true;
                }
                errors = DifVerifier.tagErrors(sourceFlags, m, tuple, guard, source.ref(k), source.app(k),
                    source.appMask);
            }
            if (errors > 0) {
                x.result.result = errors;
                return Status.DIF_ERROR;
            }
        }
        if (kind.writesData && !DifBlockIo.write(x, m, data, dstAddress, blockSize)) {
            return x.fault(done);
        }
        if (kind.writesTuples) {
            final boolean update = kind.sourceTuples;
            final int outGuard = update && (destinationFlags & DifFlags.DST_GUARD_PASS) != 0
                ? DifTupleLayout.guard(m, tuple)
                : guardKnown ? guard : guard(m, data, blockSize, difFlags);
            final int outApp = update && (destinationFlags & DifFlags.DST_APP_PASS) != 0
                ? DifTupleLayout.appTag(m, tuple) : destination.app(k);
            final int outRef = update && (destinationFlags & DifFlags.DST_REF_PASS) != 0
                ? DifTupleLayout.refTag(m, tuple) : destination.ref(k);
            final MemorySegment out = io.tuple();
            DifTupleLayout.write(out, 0, outGuard, outApp, outRef);
            final long at = dstAddress + (kind.writesData ? blockSize : 0);
            if (!DifBlockIo.write(x, out, 0, at, DifTupleLayout.LENGTH)) {
                return x.fault(done);
            }
        }
        return Status.SUCCESS;
    }

    private static int guard(MemorySegment m, long data, int blockSize, int difFlags) {
        return Crc16T10.update(DifFlags.guardSeed(difFlags), m, data, blockSize) ^ DifFlags.guardXor(difFlags);
    }

    /** Completion tag fields (section 4): the tags block {@code next} would use. */
    private void tagFields(OpContext x, long next) {
        if (kind.sourceTuples) {
            x.result.field16 = source.completionField(next);
        }
        if (kind.writesTuples) {
            x.result.field24 = destination.completionField(next);
        }
    }
}
