package io.softdsa.ops;

/**
 * The shape of each DIF operation (fact sheet section 9): whether its source blocks carry tuples to check, and
 * what it writes per block. Block + tuple strides, sizes, overlap and completion fields all follow from it.
 */
enum DifKind {
    /** 0x12: checks source tuples, writes nothing. */
    CHECK(true, false, false, false),
    /** 0x13: writes each block followed by a new tuple. */
    INSERT(false, true, true, true),
    /** 0x14: checks source tuples, writes the blocks without them. */
    STRIP(true, true, false, true),
    /** 0x15: checks source tuples, writes the blocks with new (or passed-through) tuples. */
    UPDATE(true, true, true, true),
    /** 0x17: writes only the new tuples, contiguously. */
    DIX_GENERATE(false, false, true, false);

    /** Source blocks are followed by tuples, which are checked (source flags and seeds apply). */
    final boolean sourceTuples;
    /** The block data is copied to the destination. */
    final boolean writesData;
    /** A new tuple is written per block (destination flags and seeds apply). */
    final boolean writesTuples;
    /** Section 6 step 9 forbids source / destination overlap. */
    final boolean overlapForbidden;

    DifKind(boolean sourceTuples, boolean writesData, boolean writesTuples, boolean overlapForbidden) {
        this.sourceTuples = sourceTuples;
        this.writesData = writesData;
        this.writesTuples = writesTuples;
        this.overlapForbidden = overlapForbidden;
    }

    /** Source bytes per block. */
    int sourceStride(int blockSize) {
        return sourceTuples ? blockSize + DifTupleLayout.LENGTH : blockSize;
    }

    /** Destination bytes per block. */
    int destinationStride(int blockSize) {
        return (writesData ? blockSize : 0) + (writesTuples ? DifTupleLayout.LENGTH : 0);
    }
}
