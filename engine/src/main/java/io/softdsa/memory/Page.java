package io.softdsa.memory;

/**
 * The 4 KiB page: the unit of host frames, of first- and second-level translation, of dirty logging's smallest
 * granule and of the device's page-crossing rules.
 */
public final class Page {
    public static final int SHIFT = 12;
    public static final int SIZE = 1 << SHIFT;
    /** The offset-in-page bits of an address. */
    public static final long OFFSET_MASK = SIZE - 1;

    private Page() {
    }

    /** {@code bytes} rounded up to whole pages. */
    public static long roundUp(long bytes) {
        return (bytes + OFFSET_MASK) & ~OFFSET_MASK;
    }
}
