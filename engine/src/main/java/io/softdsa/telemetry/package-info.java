/**
 * Device activity you can see: the counters file (an Agrona {@code CountersManager} in a memory-mapped file, read
 * from another process by {@code ./softdsa stat}) and the JFR events of the device ({@code io.softdsa.*}).
 * <p>
 * A leaf package: it imports nothing of softdsa, so the portal, engine, operation and translation layers all report
 * into it without any of them importing a layer above its own. The callers classify what happened (a status into
 * success / page fault / other error, a let-go of translations) and pass plain values.
 */
package io.softdsa.telemetry;
