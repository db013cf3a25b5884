package io.softdsa.ops;

import java.lang.foreign.MemorySegment;

import static io.softdsa.ops.DifFlags.*;

/**
 * The per-block source tuple check of fact sheet section 9, in its order: (1) all-F error, (2) F-detect skip,
 * (3) guard, app-tag (under the mask) and ref-tag comparisons, whose error bits may combine.
 */
final class DifVerifier {
    /** {@link #fDetect} result: an enabled F-detect condition holds, every check of the block is skipped. */
    static final int SKIP = -1;

    private DifVerifier() {
    }

    /**
     * Steps 1 and 2.
     *
     * @return {@link DifFlags#ALL_F_ERROR}, {@link #SKIP}, or 0 when the block's tags must be checked
     */
    static int fDetect(int sourceFlags, MemorySegment m, long tuple) {
        final boolean allF = DifTupleLayout.allF(m, tuple);
        if ((sourceFlags & SRC_ALL_F_DETECT) != 0 && allF) {
            return (sourceFlags & SRC_ALL_F_ERROR) != 0 ? ALL_F_ERROR : SKIP;
        }
        final boolean appF = DifTupleLayout.appTag(m, tuple) == 0xFFFF;
        if ((sourceFlags & SRC_APP_F_DETECT) != 0 && appF) {
            return SKIP;
        }
        if ((sourceFlags & SRC_APP_REF_F_DETECT) != 0 && appF && DifTupleLayout.refTag(m, tuple) == -1) {
            return SKIP;
        }
        return 0;
    }

    /** Whether step 3 needs the computed guard. */
    static boolean checksGuard(int sourceFlags) {
        return (sourceFlags & SRC_GUARD_CHECK_DISABLE) == 0;
    }

    /**
     * Step 3: the DIF status bits of the tuple against the computed guard (ignored when the guard check is disabled)
     * and the expected tags of this block; a set app-tag mask bit excludes that bit from the comparison.
     */
    static int tagErrors(int sourceFlags, MemorySegment m, long tuple, int guard, int ref, int app, int appMask) {
        int errors = 0;
        if (checksGuard(sourceFlags) && DifTupleLayout.guard(m, tuple) != guard) {
            errors |= GUARD_ERROR;
        }
        if (((DifTupleLayout.appTag(m, tuple) ^ app) & ~appMask & 0xFFFF) != 0) {
            errors |= APP_TAG_ERROR;
        }
        if ((sourceFlags & SRC_REF_CHECK_DISABLE) == 0 && DifTupleLayout.refTag(m, tuple) != ref) {
            errors |= REF_TAG_ERROR;
        }
        return errors;
    }
}
