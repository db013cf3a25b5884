package io.softdsa.bench.support;

/**
 * How the submitting thread waits: busy-spin ({@link Thread#onSpinWait()}) for about fifty microseconds, then
 * {@link Thread#yield()} on every further round. On a quiet machine a wait never gets that far, so this is a pure
 * spin; on an oversubscribed one (two cores shared by the engine, the submitter and anything else) it hands the
 * core to a descheduled engine instead of burning a whole time slice waiting for it.
 *
 * <pre>{@code
 * int spins = 0;
 * while (!done()) {
 *     spins = Spin.idle(spins);
 * }
 * }</pre>
 */
public final class Spin {
    /** Rounds of {@link Thread#onSpinWait()} before yielding. */
    public static final int SPINS_BEFORE_YIELD = 1024;

    private Spin() {
    }

    /** One round of waiting; pass the previous return value (start with 0). */
    public static int idle(int spins) {
        if (spins < SPINS_BEFORE_YIELD) {
            Thread.onSpinWait();
            return spins + 1;
        }
        Thread.yield();
        return spins;
    }
}
