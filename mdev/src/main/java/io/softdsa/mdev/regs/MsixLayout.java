package io.softdsa.mdev.regs;

import io.softdsa.descriptor.Pasid;

/**
 * MSI-X table entries and the pending-bit array (PCI spec), and DSA's MSI-X permission table entries (fact sheet
 * section 12).
 *
 * <pre>
 *  MSI-X table entry (16 bytes):  +0 message address low (1:0 RO 0) | +4 message address high | +8 message data
 *                                 | +12 vector control: bit 0 mask (RW), reset 1 (masked)
 *  PBA: bit v = vector v pending                                                        RO
 *  permission entry (8 bytes):    2 ignore | 3 PASID enable | 31:12 PASID               RW (rest RO 0)
 * </pre>
 */
public final class MsixLayout {
    public static final int ENTRY_SIZE = 16;
    public static final int ADDRESS_LOW = 0;
    public static final int ADDRESS_HIGH = 4;
    public static final int DATA = 8;
    public static final int VECTOR_CONTROL = 12;
    public static final int VECTOR_MASKED = 1;

    public static final int PERM_IGNORE = 1 << 2;
    public static final int PERM_PASID_ENABLE = 1 << 3;
    public static final int PERM_PASID_SHIFT = 12;
    public static final long PERM_RW_MASK = 0xFFFF_F00CL;

    private MsixLayout() {
    }

    public static int permPasid(long perm) {
        return (int) (perm >>> PERM_PASID_SHIFT) & Pasid.MASK;
    }
}
