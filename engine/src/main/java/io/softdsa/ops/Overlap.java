package io.softdsa.ops;

/** Overlap of device address ranges, unsigned and overflow-safe (fact sheet section 6 step 9). */
public final class Overlap {
    private Overlap() {
    }

    /** Whether [a, a + aLength) and [b, b + bLength) share a byte. */
    public static boolean overlaps(long a, long aLength, long b, long bLength) {
        if (aLength == 0 || bLength == 0) {
            return false;
        }
        // b - a (unsigned) < aLength means b lies inside a; and symmetrically
        return Long.compareUnsigned(b - a, aLength) < 0 || Long.compareUnsigned(a - b, bLength) < 0;
    }
}
