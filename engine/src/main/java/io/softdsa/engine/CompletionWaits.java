package io.softdsa.engine;

/**
 * What a WQ's Drain, disable and Abort wait through: the engine side's view of which descriptors are still executing.
 * The WQ names itself and a ring position; it never sees the engines or the device.
 */
public interface CompletionWaits {
    /** Returns once every position of {@code wq} below {@code end} (of {@code pasid}, if not negative) completed. */
    void awaitCompleted(WorkSource wq, long end, int pasid);
}
