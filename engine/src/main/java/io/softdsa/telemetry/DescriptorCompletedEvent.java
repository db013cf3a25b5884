package io.softdsa.telemetry;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Throttle;
import jdk.jfr.Timespan;

/**
 * JFR event {@code io.softdsa.DescriptorCompleted}: a descriptor an engine took from a WQ ran to completion — its
 * opcode, transfer size and status, how long it waited in the WQ (from the portal call to the engine's dispatch) and
 * how long the engine served it (dispatch to completion record and interrupt; also the event's duration).
 * <p>
 * Sampled at 1000 events per second by default ({@link Throttle}), so a recording of a busy device stays small and
 * the engine is barely slowed; {@code +io.softdsa.DescriptorCompleted#throttle=off} records every descriptor. No
 * stack trace: an engine thread's is always the same.
 * <p>
 * One object per descriptor, made and committed by the engine thread that ran it (events are never shared between
 * threads). Nothing is made while no recording takes this event: {@link #enabled()} asks first.
 */
@Name("io.softdsa.DescriptorCompleted")
@Label("Descriptor Completed")
@Category({"softdsa", "Device"})
@Description("A descriptor ran to completion: opcode, size, status, time queued in its WQ and time on the engine")
@StackTrace(false)
@Throttle("1000/s")
public final class DescriptorCompletedEvent extends Event {
    /**
     * Never begun or committed: only asked {@link Event#isEnabled()}, which reads the event type's state and none of
     * the object's, so one instance can answer for every thread without any event object being reused.
     */
    private static final DescriptorCompletedEvent PROBE = new DescriptorCompletedEvent();

    @Label("Device")
    String device;

    @Label("WQ")
    String wq;

    @Label("Engine")
    int engine;

    @Label("Opcode")
    String opcode;

    @Label("Transfer Size")
    @Description("Bytes the descriptor asked for (a batch: its descriptor count)")
    @DataAmount
    long size;

    @Label("Status")
    String status;

    @Label("Status Code")
    int statusCode;

    @Label("PASID")
    @Description("The PASID the descriptor ran for, -1 without PASID translation")
    int pasid;

    @Label("Queue Time")
    @Description("From the portal call that submitted it to the engine's dispatch (N/A when it was submitted before "
        + "the recording took this event)")
    @Timespan
    long queueTime;

    @Label("Service Time")
    @Description("From the engine's dispatch to its completion record and interrupt")
    @Timespan
    long serviceTime;

    /** Whether a running recording takes this event now; false costs one load and a branch. */
    public static boolean enabled() {
        return PROBE.isEnabled();
    }

    /** A descriptor was dispatched: an event timed from now (call only when {@link #enabled()}). */
    public static DescriptorCompletedEvent dispatched() {
        final DescriptorCompletedEvent e = new DescriptorCompletedEvent();
        e.begin();
        return e;
    }

    /**
     * The descriptor completed: ends the event and commits it if the recording keeps it (threshold, throttle).
     *
     * @param queueNanos  nanoseconds from submission to dispatch, or {@link Long#MIN_VALUE} if unknown
     * @param serviceNanos nanoseconds from dispatch to completion
     */
    public void completed(String device, String wq, int engine, String opcode, long size, String status,
                          int statusCode, int pasid, long queueNanos, long serviceNanos) {
        end();
        if (shouldCommit()) {
            this.device = device;
            this.wq = wq;
            this.engine = engine;
            this.opcode = opcode;
            this.size = size;
            this.status = status;
            this.statusCode = statusCode;
            this.pasid = pasid;
            this.queueTime = queueNanos;
            this.serviceTime = serviceNanos;
            commit();
        }
    }
}
