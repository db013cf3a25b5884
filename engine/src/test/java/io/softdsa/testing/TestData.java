package io.softdsa.testing;

import java.util.SplittableRandom;

/** Reproducible test data: the same seed gives the same bytes in every module's tests. */
public final class TestData {
    private TestData() {
    }

    /** {@code n} pseudo-random bytes from {@code seed}. */
    public static byte[] random(int n, long seed) {
        final byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }
}
