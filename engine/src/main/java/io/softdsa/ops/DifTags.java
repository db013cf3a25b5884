package io.softdsa.ops;

import io.softdsa.completion.CompletionRecordLayout;
import io.softdsa.descriptor.Descriptor;

/**
 * One side's (source or destination) DIF tag sequence: the reference and application tag seeds, the app-tag mask,
 * and whether each tag increments per block (fact sheet section 9). Block {@code k}'s tags are {@code seed + k} when
 * incrementing (wrapping at 32 / 16 bits), else the seed. One per operation instance, reloaded per descriptor.
 */
final class DifTags {
    /** Bit positions of the tag fields inside an 8-byte completion-record DIF group (section 4), little-endian. */
    private static final int REF_SHIFT = 8 * (CompletionRecordLayout.DIF_SOURCE_REF_TAG_OFFSET
        - CompletionRecordLayout.DIF_SOURCE_REF_TAG_OFFSET);
    private static final int MASK_SHIFT = 8 * (CompletionRecordLayout.DIF_SOURCE_APP_TAG_MASK_OFFSET
        - CompletionRecordLayout.DIF_SOURCE_REF_TAG_OFFSET);
    private static final int APP_SHIFT = 8 * (CompletionRecordLayout.DIF_SOURCE_APP_TAG_OFFSET
        - CompletionRecordLayout.DIF_SOURCE_REF_TAG_OFFSET);

    int refSeed;
    int appSeed;
    int appMask;
    boolean refIncrementing;
    boolean appIncrementing;

    /** Loads seeds and mask from the descriptor offsets of one side, and the increment rules from its flags. */
    DifTags load(Descriptor d, int refOffset, int maskOffset, int appOffset, boolean refIncrementing,
                 boolean appIncrementing) {
        this.refSeed = d.u32(refOffset);
        this.appMask = d.u16(maskOffset);
        this.appSeed = d.u16(appOffset);
        this.refIncrementing = refIncrementing;
        this.appIncrementing = appIncrementing;
        return this;
    }

    int ref(long block) {
        return refIncrementing ? refSeed + (int) block : refSeed;
    }

    int app(long block) {
        return (appIncrementing ? appSeed + (int) block : appSeed) & 0xFFFF;
    }

    /** The 8 bytes of completion-record tag fields (ref tag, app-tag mask, app tag) for resuming at {@code block}. */
    long completionField(long block) {
        return (Integer.toUnsignedLong(ref(block)) << REF_SHIFT) | ((long) appMask << MASK_SHIFT)
            | ((long) app(block) << APP_SHIFT);
    }
}
