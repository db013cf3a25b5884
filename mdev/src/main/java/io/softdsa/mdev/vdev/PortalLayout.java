package io.softdsa.mdev.vdev;

/**
 * BAR2 of the virtual device (fact sheet section 11): 4 pages per WQ.
 *
 * <pre>
 *  WQ i at i x 0x4000:  +0x0000 unlimited portal | +0x1000 limited portal
 *                       | +0x2000 unlimited portal (IMS) | +0x3000 limited portal (IMS)
 * </pre>
 * A 64-byte write anywhere in a portal page submits one descriptor. The IMS pages behave as their non-IMS twins
 * (softdsa rule: the virtual device has no IMS, handles come from Request Interrupt Handle either way).
 */
public final class PortalLayout {
    public static final long WQ_STRIDE = 0x4000;
    public static final long PAGE = 0x1000;
    public static final int UNLIMITED = 0;
    public static final int LIMITED = 1;
    public static final int UNLIMITED_IMS = 2;
    public static final int LIMITED_IMS = 3;

    private PortalLayout() {
    }

    public static long unlimited(int wq) {
        return wq * WQ_STRIDE;
    }

    public static long limited(int wq) {
        return wq * WQ_STRIDE + PAGE;
    }

    /** BAR2 size for {@code wqs} WQs: a power of two, at least one WQ's pages. */
    public static long barSize(int wqs) {
        final long bytes = wqs * WQ_STRIDE;
        return Long.highestOneBit(bytes) == bytes ? bytes : Long.highestOneBit(bytes) << 1;
    }
}
