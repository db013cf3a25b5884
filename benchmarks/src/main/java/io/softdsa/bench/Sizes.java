package io.softdsa.bench;

/** Byte counts as people write them. */
public final class Sizes {
    private Sizes() {
    }

    /** {@code 64 B}, {@code 4 KiB}, {@code 1 MiB}. */
    public static String readable(long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " B";
    }

    /** {@code 64}, {@code 4k}, {@code 1m}: for ids. */
    static String compact(long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return (bytes >> 20) + "m";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
            return (bytes >> 10) + "k";
        }
        return Long.toString(bytes);
    }
}
