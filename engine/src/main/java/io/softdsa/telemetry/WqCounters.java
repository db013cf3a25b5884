package io.softdsa.telemetry;

import org.agrona.concurrent.status.AtomicCounter;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.Function;

/**
 * One WQ's counters in the device's counters file: what submitters offered it and what became of it. Every method is
 * a no-op on {@link #DISABLED} (a device without a counters file): one predictable branch on the hot path.
 * <p>
 * Writers: a shared WQ's portal is used by any number of submitter threads at once, and every engine of the WQ's
 * group completes its descriptors, so these counters have many writers and are updated with Agrona's atomic adds
 * ({@code lock xadd}: exact under any number of writers, where a single-writer ordered increment would lose counts).
 * A reader's volatile load of a value pairs with those adds. SWERR entries are counted on the error path only.
 */
public final class WqCounters {
    /** No counters file: nothing is counted. */
    public static final WqCounters DISABLED = new WqCounters();

    private final boolean on;
    private final AtomicCounter submitted;
    private final AtomicCounter accepted;
    private final AtomicCounter retried;
    private final AtomicCounter success;
    private final AtomicCounter pageFault;
    private final AtomicCounter error;
    private final AtomicCounter swerr;
    private final AtomicCounter occupancyHighWater;
    /** Every counter by kind, for relabelling (not the hot path). */
    private final Map<CounterKind, AtomicCounter> all = new EnumMap<>(CounterKind.class);

    private WqCounters() {
        on = false;
        submitted = accepted = retried = success = pageFault = error = swerr = occupancyHighWater = null;
    }

    /** @param allocate makes the counter of one WQ kind */
    WqCounters(Function<CounterKind, AtomicCounter> allocate) {
        on = true;
        for (CounterKind kind : CounterKind.values()) {
            if (kind.scope() == CounterKind.Scope.WQ) {
                all.put(kind, allocate.apply(kind));
            }
        }
        submitted = all.get(CounterKind.WQ_SUBMITTED);
        accepted = all.get(CounterKind.WQ_ACCEPTED);
        retried = all.get(CounterKind.WQ_RETRIED);
        success = all.get(CounterKind.WQ_COMPLETED_SUCCESS);
        pageFault = all.get(CounterKind.WQ_COMPLETED_PAGE_FAULT);
        error = all.get(CounterKind.WQ_COMPLETED_ERROR);
        swerr = all.get(CounterKind.WQ_SWERR);
        occupancyHighWater = all.get(CounterKind.WQ_OCCUPANCY_HIGH_WATER);
    }

    public boolean enabled() {
        return on;
    }

    /** A submission the WQ took (ENQCMD accepted, or MOVDIR64B found room). */
    public void accepted() {
        if (on) {
            submitted.increment();
            accepted.increment();
        }
    }

    /** ENQCMD answered retry (the WQ was full, at its threshold, or not enabled). */
    public void retried() {
        if (on) {
            submitted.increment();
            retried.increment();
        }
    }

    /** MOVDIR64B found the WQ full or disabled: the descriptor was dropped (and is counted as a SWERR entry too). */
    public void dropped() {
        if (on) {
            submitted.increment();
        }
    }

    /** A descriptor taken from this WQ completed with Success (or success with a false predicate). */
    public void completedSuccess() {
        if (on) {
            success.increment();
        }
    }

    /** A descriptor taken from this WQ completed with a page fault (its record says how far it got). */
    public void completedPageFault() {
        if (on) {
            pageFault.increment();
        }
    }

    /** A descriptor taken from this WQ completed with any other error status. */
    public void completedWithError() {
        if (on) {
            error.increment();
        }
    }

    /** A SWERR entry was recorded about a descriptor of this WQ (the error path). */
    public void swerr() {
        if (on) {
            swerr.increment();
        }
    }

    /**
     * {@code occupancy} descriptors were queued: seen by an engine right after it dispatched one (a sample), or by a
     * submitter the WQ refused because it was full (exact). The plain read filters out the common case (no new
     * maximum) without a write; a new maximum goes through Agrona's CAS loop, since several threads may propose at
     * once.
     */
    public void occupancy(long occupancy) {
        if (on && occupancy > occupancyHighWater.getPlain()) {
            occupancyHighWater.proposeMax(occupancy);
        }
    }

    /** Relabels every counter: {@code prefix} (device and WQ, with its name) and the kind's words. */
    void label(String prefix) {
        all.forEach((kind, c) -> c.updateLabel(prefix + " " + kind.label()));
    }
}
