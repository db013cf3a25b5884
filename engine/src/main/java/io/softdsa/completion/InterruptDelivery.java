package io.softdsa.completion;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadFactory;

/**
 * One owner's interrupt-delivery thread and its pending marks, as MSI pending bits: a raise sets the handle's mark
 * (the generation of the allocation it was raised for) and, if the mark was clear, the handle's bit in a summary
 * bitmap, then wakes the thread. Bounded (one mark per handle) and allocation-free; raises before a delivery
 * coalesce into one handler call, and there is always at least one call after the record of every raise:
 * <ul>
 * <li>an engine's record (release store) happens before its {@code getAndSet} of the mark; the thread's
 * {@code getAndSet} of the mark that reads it (or a later value) therefore sees the record;</li>
 * <li>the engine that finds the mark clear sets the summary bit after it; the thread clears the summary bit before
 * it takes the marks under it, so a mark set after the take comes with a fresh summary bit.</li>
 * </ul>
 */
final class InterruptDelivery implements AutoCloseable {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final InterruptTable table;
    private final long[] marks;
    private final long[] summary;
    private final DeliveryThread thread;

    InterruptDelivery(InterruptTable table, int handles, String name, ThreadFactory threads) {
        this.table = table;
        this.marks = new long[handles];
        this.summary = new long[(handles + 63) >>> 6];
        this.thread = new DeliveryThread(name, threads, this::deliver);
    }

    /** Engine side: marks {@code handle} pending for {@code generation} (never 0) and wakes the thread. */
    void post(int handle, int generation) {
        final long previous = (long) WORDS.getAndSet(marks, handle, (long) generation);
        if (previous == 0) {
            WORDS.getAndBitwiseOr(summary, handle >>> 6, 1L << (handle & 63)); // after the mark: see the class doc
            thread.signal();
        }
    }

    private int deliver() {
        int n = 0;
        for (int w = 0; w < summary.length; w++) {
            long bits = (long) WORDS.getAndSet(summary, w, 0L); // before the marks: see the class doc
            while (bits != 0) {
                final int handle = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                final long generation = (long) WORDS.getAndSet(marks, handle, 0L);
                if (generation != 0) {
                    n++;
                    table.deliver(handle, (int) generation);
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        thread.close();
    }
}
