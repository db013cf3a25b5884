package io.softdsa.completion;

/**
 * The 64-byte VT-d posted-interrupt descriptor (PID, fact sheet section 12), declared once. A guest's MSI-X vectors
 * are remapped in posted format to one PID in host memory; the device posts a vector by setting its PIR bit and
 * notifies the receiver only when no notification is outstanding.
 *
 * <pre>
 *   bit 0                                                             255
 *  +---------------------------------------------------------------------+
 *  | PIR: one bit per vector (4 x 64-bit words at offsets 0, 8, 16, 24)  |  bytes 0-31
 *  +----+----+----------+------------+-----------------------------------+
 *  | ON | SN | reserved | NV (7:0)   | reserved   | NDST (31:0)          |  bytes 32-39 (control word)
 *  |256 |257 | 271:258  | 279:272    | 287:280    | 319:288              |
 *  +----+----+----------+------------+------------+----------------------+
 *  | reserved                                                            |  bytes 40-63
 *  +---------------------------------------------------------------------+
 * </pre>
 */
public final class PostedInterruptDescriptorLayout {
    /** Size and alignment of a PID. */
    public static final int LENGTH = 64;
    /** The posted-interrupt requests: bits 255:0, one per vector. */
    public static final int PIR_OFFSET = 0;
    /** 64-bit PIR words. */
    public static final int PIR_WORDS = 4;
    /** Vectors a PID can post (256). */
    public static final int VECTORS = 64 * PIR_WORDS;
    /** The control word: bits 319:256 of the PID. */
    public static final int CONTROL_OFFSET = 32;
    /** Outstanding notification (PID bit 256). */
    public static final long ON = 1L;
    /** Suppress notification (PID bit 257). */
    public static final long SN = 1L << 1;
    /** Notification vector (PID bits 279:272), in the control word. */
    public static final int NV_SHIFT = 16;
    public static final long NV_MASK = 0xFFL << NV_SHIFT;
    /** Notification destination (PID bits 319:288), in the control word. */
    public static final int NDST_SHIFT = 32;
    public static final long NDST_MASK = 0xFFFF_FFFFL << NDST_SHIFT;

    private PostedInterruptDescriptorLayout() {
    }
}
