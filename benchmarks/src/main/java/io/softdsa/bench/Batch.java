package io.softdsa.bench;

import java.util.function.IntConsumer;

/**
 * Operations run in bulk: {@link #run(int)} performs {@code n} operations with the loop inside, so the meter's clock
 * is read once per batch, not once per operation. {@link #close()} ends the phase (drains what is in flight, stops
 * helper threads).
 */
interface Batch extends AutoCloseable {
    void run(int n);

    @Override
    default void close() {
    }

    static Batch of(IntConsumer body, Runnable close) {
        return new Batch() {
            @Override
            public void run(int n) {
                body.accept(n);
            }

            @Override
            public void close() {
                close.run();
            }
        };
    }
}
