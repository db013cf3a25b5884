package io.softdsa.telemetry;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;

/**
 * JFR event {@code io.softdsa.InvalidationWait}: an IOTLB invalidation — its scope, and how long it took to clear the
 * entries and wait (twice) until no engine held a translation from before it (the event's duration). Committed on
 * the invalidating thread (unmap, unbind, PASID free), with its stack trace: which call invalidated.
 */
@Name("io.softdsa.InvalidationWait")
@Label("IOTLB Invalidation Wait")
@Category({"softdsa", "Translation"})
@Description("An IOTLB invalidation and its wait for the engines to let go of older translations")
public final class InvalidationWaitEvent extends Event {
    private static final InvalidationWaitEvent PROBE = new InvalidationWaitEvent(); // only asked isEnabled()

    @Label("Scope")
    @Description("global, pasid or range")
    String scope;

    @Label("PASID")
    @Description("-1 for a global invalidation")
    int pasid;

    @Label("Address")
    @MemoryAddress
    long address;

    @Label("Length")
    @DataAmount
    @Description("-1 for a whole PASID or everything")
    long length;

    @Label("Engines Waited For")
    @Description("Times an engine still held an older translation when the invalidation looked (both waits)")
    int enginesWaitedFor;

    public static boolean enabled() {
        return PROBE.isEnabled();
    }

    /** An invalidation starts: an event timed from now, or null while no recording takes it. */
    public static InvalidationWaitEvent started() {
        if (!enabled()) {
            return null;
        }
        final InvalidationWaitEvent e = new InvalidationWaitEvent();
        e.begin();
        return e;
    }

    public void finished(int pasid, long address, long length, int enginesWaitedFor) {
        end();
        if (shouldCommit()) {
            this.scope = pasid < 0 ? "global" : length < 0 ? "pasid" : "range";
            this.pasid = pasid;
            this.address = address;
            this.length = length;
            this.enginesWaitedFor = enginesWaitedFor;
            commit();
        }
    }
}
