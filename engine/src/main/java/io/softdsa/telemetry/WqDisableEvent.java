package io.softdsa.telemetry;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * JFR event {@code io.softdsa.WqDisable}: a WQ was disabled, draining first — the event's duration is how long the
 * descriptors it had accepted took to complete. Committed on the thread that disabled it, with its stack trace.
 */
@Name("io.softdsa.WqDisable")
@Label("WQ Disable")
@Category({"softdsa", "Device"})
@Description("A WQ disabled after draining: how many descriptors were queued and how long the drain took")
public final class WqDisableEvent extends Event {
    private static final WqDisableEvent PROBE = new WqDisableEvent(); // only asked isEnabled()

    @Label("Device")
    String device;

    @Label("WQ")
    String wq;

    @Label("Queued")
    @Description("Descriptors queued (accepted, not yet dispatched) when the disable began")
    int queued;

    /** A disable starts: an event timed from now, or null while no recording takes it. */
    public static WqDisableEvent started() {
        if (!PROBE.isEnabled()) {
            return null;
        }
        final WqDisableEvent e = new WqDisableEvent();
        e.begin();
        return e;
    }

    public void finished(String device, String wq, int queued) {
        end();
        if (shouldCommit()) {
            this.device = device;
            this.wq = wq;
            this.queued = queued;
            commit();
        }
    }
}
