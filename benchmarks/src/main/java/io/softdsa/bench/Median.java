package io.softdsa.bench;

/**
 * The median the benchmarks report: of an odd count the middle value, of an even count the lower middle one (never
 * an average, so the figure reported is one that was measured, and its index names the pair it came from).
 */
public final class Median {
    private Median() {
    }

    /** The index of the median of {@code values}. */
    public static int index(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("the median of no values");
        }
        final Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        return order[(values.length - 1) / 2];
    }

    /** The median of {@code values}. */
    public static double of(double[] values) {
        return values[index(values)];
    }
}
