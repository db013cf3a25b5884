package io.softdsa.iommu;

/**
 * VT-d scalable-mode PASID structures in host memory (fact sheet section 13): a PASID directory indexed by
 * PASID[19:6] of 8-byte entries, each pointing to a PASID table indexed by PASID[5:0] of 64-byte entries.
 *
 * <pre>
 *  directory entry (8 bytes):  bit 0 present | bits 63:12 PASID table address
 *
 *  PASID table entry (64 bytes), the fields softdsa uses at their VT-d positions:
 *   qword 0: bit 0 present | bits 8:6 PGTT (1 first-level, 2 second-level, 3 nested, 4 pass-through)
 *            | bits 63:12 second-level table root
 *   qword 2: bit 0 (entry bit 128) SRE supervisor requests enabled | bits 3:2 (131:130) FLPM 0 = 4-level,
 *            1 = 5-level | bits 63:12 (191:140) first-level table root
 *   other qwords: reserved, 0
 * </pre>
 */
public final class PasidTableLayout {
    public static final int DIRECTORY_ENTRIES = 1 << 14;
    public static final int DIRECTORY_ENTRY_SIZE = 8;
    public static final long DIRECTORY_BYTES = (long) DIRECTORY_ENTRIES * DIRECTORY_ENTRY_SIZE;
    public static final int TABLE_ENTRIES = 64;
    public static final int ENTRY_SIZE = 64;

    public static final long PRESENT = 1L;
    public static final long ADDRESS_MASK = 0x000F_FFFF_FFFF_F000L;

    public static final int QWORD0_OFFSET = 0;
    public static final int PGTT_SHIFT = 6;
    public static final long PGTT_MASK = 0x7L << PGTT_SHIFT;
    public static final int PGTT_FIRST_LEVEL = 1;
    public static final int PGTT_SECOND_LEVEL = 2;
    public static final int PGTT_NESTED = 3;
    public static final int PGTT_PASS_THROUGH = 4;

    public static final int QWORD2_OFFSET = 16;
    public static final long SRE = 1L;
    public static final int FLPM_SHIFT = 2;
    public static final long FLPM_MASK = 0x3L << FLPM_SHIFT;


    private PasidTableLayout() {
    }

    public static int directoryIndex(int pasid) {
        return pasid >>> 6;
    }

    public static int tableIndex(int pasid) {
        return pasid & 0x3F;
    }
}
