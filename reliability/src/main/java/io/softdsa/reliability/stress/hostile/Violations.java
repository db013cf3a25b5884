package io.softdsa.reliability.stress.hostile;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * What broke during a hostile run: a count per invariant and the first few descriptions (each names the tenant and
 * the attack that was active), so the table says which invariant failed with which attack.
 */
public final class Violations {
    /** The invariants of the hostile run. */
    public enum Invariant {
        CANARY("every frame no tenant maps is unchanged (pool / freed / poisoned frames, page tables, PASID table)"),
        ISOLATION("a tenant's memory holds only what its own descriptors wrote"),
        EXACTLY_ONCE("every accepted descriptor completes exactly once (records re-armed and watched)"),
        NOT_LOST("nothing accepted is lost (after the run drains)"),
        RESULTS("completed descriptors have the right result"),
        INTERRUPTS("no interrupt raised through another owner's handle"),
        PROGRESS("every tenant not stalled by its own handler makes progress within the bound"),
        ENGINES("no engine thread died, no internal error"),
        BOUNDED("the run ended within its time bound (watchdog)");

        final String text;

        Invariant(String text) {
            this.text = text;
        }
    }

    private static final int NOTES_PER_INVARIANT = 6;

    private final LongAdder[] counts = new LongAdder[Invariant.values().length];
    private final List<List<String>> notes = new ArrayList<>();
    private final java.util.concurrent.ConcurrentHashMap<String, LongAdder> bySource =
        new java.util.concurrent.ConcurrentHashMap<>();

    public Violations() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
            notes.add(new ArrayList<>());
        }
    }

    public void violated(Invariant i, String what) {
        counts[i.ordinal()].increment();
        final int space = what.indexOf(' ');
        bySource.computeIfAbsent(i.name() + " " + (space < 0 ? what : what.substring(0, space)),
            k -> new LongAdder()).increment();
        final List<String> n = notes.get(i.ordinal());
        synchronized (n) {
            if (n.size() < NOTES_PER_INVARIANT) {
                n.add(what);
            }
        }
    }

    /** Violations per (invariant, the first word of the violation — the tenant, mostly), e.g. "RESULTS vm-a-swq". */
    public java.util.Map<String, Long> bySource() {
        final java.util.Map<String, Long> m = new java.util.TreeMap<>();
        bySource.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    public long count(Invariant i) {
        return counts[i.ordinal()].sum();
    }

    public List<String> notes(Invariant i) {
        final List<String> n = notes.get(i.ordinal());
        synchronized (n) {
            return List.copyOf(n);
        }
    }

    public boolean none() {
        for (LongAdder c : counts) {
            if (c.sum() != 0) {
                return false;
            }
        }
        return true;
    }
}
