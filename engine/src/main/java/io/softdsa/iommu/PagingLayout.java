package io.softdsa.iommu;

import io.softdsa.memory.Page;

/**
 * x86-64 first-level paging structures as the walker reads them from host memory (fact sheet section 13): each table
 * is one 4 KiB frame of 512 little-endian 8-byte entries.
 *
 * <pre>
 *   63  62      52 51                                   12 11  9 8 7 6 5 4 3 2 1 0
 *  +--+----------+---------------------------------------+-----+-+-+-+-+-+-+-+-+-+
 *  |XD| ignored  |     physical address of frame / table | ign |G|PS|D|A|PCD|PWT|U|W|P|
 *  +--+----------+---------------------------------------+-----+-+-+-+-+-+-+-+-+-+
 *  levels: PML5 (VA 56:48, 5-level only) -> PML4 (47:39) -> PDPT (38:30, PS = 1 GiB page)
 *          -> PD (29:21, PS = 2 MiB page) -> PT (20:12, 4 KiB page)
 *
 *  second level (VT-d stage 2, host-owned, 4-level over guest-physical addresses): same frame address and PS bits;
 *   ... 51:12 address | 11:10 - | 9 D | 8 A | 7 PS | 6:2 - | 1 W | 0 R      (no U/S; R doubles as present)
 * </pre>
 */
public final class PagingLayout {
    public static final long PRESENT = 1L;
    public static final long WRITABLE = 1L << 1;
    public static final long USER = 1L << 2;
    public static final long PWT = 1L << 3;
    public static final long PCD = 1L << 4;
    public static final long ACCESSED = 1L << 5;
    public static final long DIRTY = 1L << 6;
    public static final long PAGE_SIZE = 1L << 7;
    public static final long GLOBAL = 1L << 8;
    public static final long EXECUTE_DISABLE = 1L << 63;
    /** Bits 51:12: the frame or next-table address. */
    public static final long ADDRESS_MASK = 0x000F_FFFF_FFFF_F000L;

    // second-level entry bits that differ from the first level's
    public static final long SL_READ = 1L;
    public static final long SL_WRITE = 1L << 1;
    public static final long SL_ACCESSED = 1L << 8;
    public static final long SL_DIRTY = 1L << 9;

    /** Guest-physical address bits a 4-level second-level table maps. */
    public static final int SL_ADDRESS_BITS = 48;

    public static final int ENTRIES = 512;
    public static final int ENTRY_SIZE = 8;
    public static final int PAGE_SHIFT_4K = Page.SHIFT;
    public static final int PAGE_SHIFT_2M = 21;
    public static final int PAGE_SHIFT_1G = 30;

    private PagingLayout() {
    }

    /** Virtual-address shift of the index into a table of {@code level} (1 = PT ... 5 = PML5). */
    public static int indexShift(int level) {
        return PAGE_SHIFT_4K + 9 * (level - 1);
    }

    public static int index(long va, int level) {
        return (int) (va >>> indexShift(level)) & (ENTRIES - 1);
    }

    /** Whether {@code va} is canonical for a walk of {@code levels} (4: bits 63:47 equal; 5: bits 63:56 equal). */
    public static boolean canonical(long va, int levels) {
        final int topBit = levels == 5 ? 56 : 47;
        final long upper = va >> topBit; // arithmetic shift: all 0 or all 1 when canonical
        return upper == 0 || upper == -1;
    }
}
