package io.softdsa.completion;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The device's SWERR register with its hardware semantics — the first error latches, later ones only set overflow
 * until software writes 1s to clear valid and overflow — plus a bounded history of every entry so tests and the stress
 * run can account for each one. Errors are rare and off the fast path, so this is simply synchronized.
 */
public final class SoftwareErrorRegister {
    private static final int HISTORY = 4096;

    private final long[] words = new long[SwerrLayout.WORDS];
    private final List<SwerrEntry> history = new ArrayList<>();
    private long total;
    private long historyDropped;
    private volatile Consumer<SwerrEntry> listener;

    /** Records an error: latches it if SWERR is free, else sets overflow. Notifies the listener (misc interrupt). */
    public void record(SwerrEntry entry) {
        final Consumer<SwerrEntry> l;
        synchronized (this) {
            if ((words[0] & SwerrLayout.VALID) == 0) {
                final long[] w = entry.toWords();
                System.arraycopy(w, 0, words, 0, SwerrLayout.WORDS);
            } else {
                words[0] |= SwerrLayout.OVERFLOW;
            }
            total++;
            if (history.size() < HISTORY) {
                history.add(entry);
            } else {
                historyDropped++;
            }
            l = listener;
        }
        if (l != null) {
            l.accept(entry);
        }
    }

    public synchronized long word(int index) {
        return words[index];
    }

    /** Write-1-to-clear of bits 0 (valid) and 1 (overflow) of word 0; clearing valid frees the register. */
    public synchronized void clear(long bits) {
        bits &= SwerrLayout.VALID | SwerrLayout.OVERFLOW;
        words[0] &= ~bits;
        if ((words[0] & SwerrLayout.VALID) == 0) {
            words[0] &= SwerrLayout.OVERFLOW;
            words[1] = 0;
            words[2] = 0;
            words[3] = 0;
        }
    }

    public synchronized boolean valid() {
        return (words[0] & SwerrLayout.VALID) != 0;
    }

    public synchronized boolean overflow() {
        return (words[0] & SwerrLayout.OVERFLOW) != 0;
    }

    /** Error code of the latched entry (bits 15:8). */
    public synchronized int errorCode() {
        return (int) (words[0] >>> SwerrLayout.ERROR_CODE_SHIFT) & 0xFF;
    }

    public synchronized long totalErrors() {
        return total;
    }

    /** Every recorded entry, oldest first (at most 4096 kept; see {@link #historyDropped()}). */
    public synchronized List<SwerrEntry> history() {
        return List.copyOf(history);
    }

    public synchronized long historyDropped() {
        return historyDropped;
    }

    /** Empties the history (the register itself is cleared only by {@link #clear}). */
    public synchronized void clearHistory() {
        history.clear();
    }

    public void listener(Consumer<SwerrEntry> l) {
        this.listener = l;
    }

    /** Device reset: register and history. */
    public synchronized void reset() {
        java.util.Arrays.fill(words, 0);
        history.clear();
        total = 0;
        historyDropped = 0;
    }
}
