package io.softdsa.telemetry;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * JFR event {@code io.softdsa.WqAbort}: Abort WQ, Abort PASID or a disable that aborts — how many queued descriptors
 * were discarded (each reported in SWERR as 0xFF) and how long the abort waited for the ones already running (the
 * event's duration). Committed on the thread that aborted, with its stack trace.
 */
@Name("io.softdsa.WqAbort")
@Label("WQ Abort")
@Category({"softdsa", "Device"})
@Description("Queued descriptors of a WQ discarded: abort, abort-pasid or disable-aborting")
public final class WqAbortEvent extends Event {
    private static final WqAbortEvent PROBE = new WqAbortEvent(); // only asked isEnabled()

    @Label("Device")
    String device;

    @Label("WQ")
    String wq;

    @Label("Kind")
    @Description("abort, abort-pasid or disable-aborting")
    String kind;

    @Label("PASID")
    @Description("The PASID of an abort-pasid, else -1")
    int pasid;

    @Label("Discarded")
    int discarded;

    /** An abort starts: an event timed from now, or null while no recording takes it. */
    public static WqAbortEvent started() {
        if (!PROBE.isEnabled()) {
            return null;
        }
        final WqAbortEvent e = new WqAbortEvent();
        e.begin();
        return e;
    }

    public void finished(String device, String wq, String kind, int pasid, int discarded) {
        end();
        if (shouldCommit()) {
            this.device = device;
            this.wq = wq;
            this.kind = kind;
            this.pasid = pasid;
            this.discarded = discarded;
            commit();
        }
    }
}
