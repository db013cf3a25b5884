package io.softdsa.ops;

/**
 * The three DIF flag bytes of a DIF descriptor (fact sheet section 9) and the DIF status bits of the completion
 * record's result byte.
 */
public final class DifFlags {
    // DIF flags byte (descriptor byte 42)
    public static final int BLOCK_SIZE_MASK = 0x03;
    /** Guard CRC initial value 0xFFFF instead of 0. */
    public static final int GUARD_SEED_ONES = 0x04;
    /** Invert the guard CRC result. */
    public static final int GUARD_INVERT = 0x08;

    // source DIF flags byte (check, strip, update: byte 40)
    /** All-F detect is an error (together with {@link #SRC_ALL_F_DETECT}). */
    public static final int SRC_ALL_F_ERROR = 0x01;
    /** All-F detect: all 8 tuple bytes 0xFF. */
    public static final int SRC_ALL_F_DETECT = 0x02;
    /** App-tag F detect: app tag 0xFFFF. */
    public static final int SRC_APP_F_DETECT = 0x04;
    /** App-and-ref-tag F detect: app tag 0xFFFF and ref tag 0xFFFFFFFF. */
    public static final int SRC_APP_REF_F_DETECT = 0x08;
    public static final int SRC_APP_INCREMENT = 0x10;
    public static final int SRC_GUARD_CHECK_DISABLE = 0x20;
    public static final int SRC_REF_CHECK_DISABLE = 0x40;
    public static final int SRC_REF_FIXED = 0x80;

    // destination DIF flags byte (insert, update, DIX generate: byte 41)
    /** Update: app tag passed through from the source tuple. */
    public static final int DST_APP_PASS = 0x08;
    public static final int DST_APP_INCREMENT = 0x10;
    /** Update: guard passed through from the source tuple. */
    public static final int DST_GUARD_PASS = 0x20;
    /** Update: ref tag passed through from the source tuple. */
    public static final int DST_REF_PASS = 0x40;
    public static final int DST_REF_FIXED = 0x80;

    // DIF status bits (completion record byte 1)
    public static final int GUARD_ERROR = 0x01;
    public static final int APP_TAG_ERROR = 0x02;
    public static final int REF_TAG_ERROR = 0x04;
    public static final int ALL_F_ERROR = 0x08;

    private static final int[] BLOCK_SIZES = {512, 520, 4096, 4104};

    private DifFlags() {
    }

    /** Protected block size in bytes selected by bits 1:0 of the DIF flags byte. */
    public static int blockSize(int difFlags) {
        return BLOCK_SIZES[difFlags & BLOCK_SIZE_MASK];
    }

    /** Initial value of the guard CRC. */
    public static int guardSeed(int difFlags) {
        return (difFlags & GUARD_SEED_ONES) != 0 ? 0xFFFF : 0;
    }

    /** Value xored into the final guard CRC. */
    public static int guardXor(int difFlags) {
        return (difFlags & GUARD_INVERT) != 0 ? 0xFFFF : 0;
    }
}
