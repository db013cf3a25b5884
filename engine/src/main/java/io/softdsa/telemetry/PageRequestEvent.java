package io.softdsa.telemetry;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event {@code io.softdsa.PageRequest}: a block-on-fault fault raised a page request (PCIe PRI) and the engine
 * waited for its response; the event's duration is that wait. Committed by the waiting engine thread after the
 * response, on a path that has just waited anyway. No stack trace (an engine's).
 */
@Name("io.softdsa.PageRequest")
@Label("Page Request")
@Category({"softdsa", "Translation"})
@Description("A block-on-fault page request: the faulting page, its owner, the response and how long the engine waited")
@StackTrace(false)
public final class PageRequestEvent extends Event {
    private static final PageRequestEvent PROBE = new PageRequestEvent(); // only asked isEnabled(): see DescriptorCompletedEvent

    @Label("PASID")
    int pasid;

    @Label("Page Address")
    @MemoryAddress
    long address;

    @Label("Write")
    boolean write;

    @Label("Privileged")
    boolean privileged;

    @Label("Owner")
    @Description("Whose handler the request went to")
    String owner;

    @Label("Response")
    @Description("success, failure, timeout, refused (owner queue full), failed fast (owner unresponsive), no handler")
    String response;

    public static boolean enabled() {
        return PROBE.isEnabled();
    }

    /** A request is about to be raised: an event timed from now, or null while no recording takes it. */
    public static PageRequestEvent raised() {
        if (!enabled()) {
            return null;
        }
        final PageRequestEvent e = new PageRequestEvent();
        e.begin();
        return e;
    }

    /** The engine has its answer. */
    public void answered(int pasid, long pageAddress, boolean write, boolean privileged, String owner,
                         String response) {
        end();
        if (shouldCommit()) {
            this.pasid = pasid;
            this.address = pageAddress;
            this.write = write;
            this.privileged = privileged;
            this.owner = owner;
            this.response = response;
            commit();
        }
    }
}
