package io.softdsa.mdev.host;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Makes a check-then-submit atomic with a state change, the way RCU makes a read side atomic with an update: a
 * submitter brackets "read the state (owner, PASID translation, enabled settings), then enqueue" with
 * {@link #enter} / {@link #exit}; whoever changes that state first publishes the new state, then calls
 * {@link #awaitSubmitters}, which returns once every submitter that might have read the old state has finished its
 * enqueue. What was enqueued under the old state is then in the WQ, where the caller's drain, abort or disable
 * reaches it; nothing enqueued later can have used the old state.
 * <p>
 * Submitters never block, never allocate and may nest (a callback that submits again from inside a submission is
 * fine). Waiters cannot be starved: {@link #awaitSubmitters} flips the submitters' counter index, so it waits only for
 * those that entered before the flip (SRCU's two-index scheme; two rounds so each index is checked after the state
 * change).
 * <p>
 * Ordering: all accesses to the phase and the counters are volatile (sequentially consistent in the Java memory
 * model). A submitter increments its counter, then reads the state; a waiter writes the state, then reads the
 * counter: whichever runs second sees the other's write (Dekker), so a submitter the waiter does not wait for sees the
 * new state.
 */
public final class SubmissionGate {
    private static final int STRIDE = 16; // the two counters 128 bytes apart: no false sharing between them

    private final AtomicLongArray counters = new AtomicLongArray(2 * STRIDE);
    private volatile int phase;

    /** Starts a submission; pass the result to {@link #exit}. */
    public int enter() {
        final int index = phase; // volatile load; a stale index only makes a waiter wait for us longer
        counters.getAndIncrement(index * STRIDE); // volatile RMW: ordered before our reads of the state (Dekker)
        return index;
    }

    /** Ends a submission started by {@link #enter} (after its enqueue). */
    public void exit(int index) {
        counters.getAndDecrement(index * STRIDE); // release of everything we enqueued, to the waiter's volatile read
    }

    /**
     * Returns once every submission that entered before this call has exited. Call it after publishing the new state
     * (a volatile store, or one under a lock the submitters do not need).
     */
    public synchronized void awaitSubmitters() {
        for (int round = 0; round < 2; round++) {
            final int old = phase;
            phase = old ^ 1; // new submitters count on the other index
            int spins = 0;
            while (counters.get(old * STRIDE) != 0) { // volatile load: pairs with enter's increment
                if (++spins > 100) {
                    Thread.yield();
                } else {
                    Thread.onSpinWait();
                }
            }
        }
    }
}
