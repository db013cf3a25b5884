package io.softdsa.mdev.vmm;

import io.softdsa.mdev.migration.MigrationState;
import io.softdsa.memory.Page;

import java.util.List;
import java.util.Locale;

/**
 * What one live migration did, as a VMM's {@code info migrate} would tell it: the device arcs taken on both sides,
 * the RAM pre-copy rounds with the dirty RAM each found, the stop-and-copy pass, bytes moved, and the two downtimes —
 * the guest's (vCPUs paused → resumed) and the device's (the source leaving its running state for STOP_COPY → the
 * destination in RUNNING: the span in which no device runs the guest's descriptors).
 *
 * @param rounds             pre-copy rounds: round 0 copies every backed page, round k the pages dirty since k-1
 * @param stopAndCopy        the final pass with the vCPUs paused and the device stopped (index = rounds.size())
 * @param ramBytes           guest RAM bytes sent, all rounds and the final pass
 * @param deviceBytes        device-state bytes sent: pre-copy data and the STOP_COPY stream
 * @param deviceStopCopyBytes the part of {@code deviceBytes} sent during the downtime
 * @param pageRequestsAtStop guest page requests outstanding when the vCPUs were paused (block-on-fault in flight)
 */
public record MigrationReport(String guest, String source, String destination, List<Arc> arcs, List<Round> rounds,
                              Round stopAndCopy, long ramBytes, long deviceBytes, long deviceStopCopyBytes,
                              long vcpuDowntimeNanos, long deviceDowntimeNanos, long totalNanos, boolean converged,
                              int pageRequestsAtStop, boolean completed) {
    /** Which device of the migration an arc was taken on. */
    public enum Side { SOURCE, DESTINATION }

    /** One direct arc of the VFIO state machine, requested by the VMM, and how long the device took for it. */
    public record Arc(Side side, MigrationState from, MigrationState to, long nanos) {
    }

    /**
     * One pass over guest RAM.
     *
     * @param devicePages pages the device's DMA log reported dirty (-1 for round 0, which copies everything)
     * @param vcpuPages   pages the vCPU dirty log reported (-1 for round 0)
     * @param dirtyPages  pages this pass had to send (their union; round 0: every page)
     * @param copiedBytes bytes actually copied (pages the source has not backed are all zero and not sent)
     * @param deviceBytes device-state bytes read during the pass
     */
    public record Round(int index, long devicePages, long vcpuPages, long dirtyPages, long copiedBytes,
                        long deviceBytes, long nanos) {
        public long dirtyBytes() {
            return dirtyPages * Page.SIZE;
        }
    }

    public MigrationReport {
        arcs = List.copyOf(arcs);
        rounds = List.copyOf(rounds);
    }

    /** The arcs of one side, in order. */
    public List<Arc> arcs(Side side) {
        return arcs.stream().filter(a -> a.side() == side).toList();
    }

    /** The report as a readable table. */
    public String table() {
        final StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "migration of %s: %s -> %s%s%n", guest, source, destination,
            completed ? "" : "  (NOT COMPLETED)"));
        b.append(String.format(Locale.ROOT, "%n%-12s %-14s %-14s %10s%n", "device", "from", "to", "time"));
        for (Arc a : arcs) {
            b.append(String.format(Locale.ROOT, "%-12s %-14s %-14s %10s%n", a.side().name().toLowerCase(Locale.ROOT),
                a.from(), a.to(), duration(a.nanos())));
        }
        b.append(String.format(Locale.ROOT, "%n%-9s %11s %11s %12s %12s %12s %10s%n", "RAM pass", "DMA dirty",
            "vCPU dirty", "dirty RAM", "RAM sent", "device data", "time"));
        for (Round r : rounds) {
            appendRound(b, Integer.toString(r.index()), r);
        }
        if (stopAndCopy != null) {
            appendRound(b, "final", stopAndCopy);
        }
        b.append(String.format(Locale.ROOT, "%npre-copy %s after %d round(s)%s%n", converged ? "converged"
            : "stopped at the round limit", Math.max(0, rounds.size() - 1), converged ? "" : " (not converged)"));
        b.append(String.format(Locale.ROOT, "RAM sent              %s%n", bytes(ramBytes)));
        b.append(String.format(Locale.ROOT, "device state sent     %s (%s of it during the downtime)%n",
            bytes(deviceBytes), bytes(deviceStopCopyBytes)));
        b.append(String.format(Locale.ROOT, "page requests at stop %d%n", pageRequestsAtStop));
        b.append(String.format(Locale.ROOT, "downtime, vCPUs       %s (paused -> resumed)%n",
            duration(vcpuDowntimeNanos)));
        b.append(String.format(Locale.ROOT, "downtime, device      %s (source stopping for STOP_COPY -> destination "
            + "RUNNING)%n", duration(deviceDowntimeNanos)));
        b.append(String.format(Locale.ROOT, "total                 %s%n", duration(totalNanos)));
        return b.toString();
    }

    private static void appendRound(StringBuilder b, String name, Round r) {
        b.append(String.format(Locale.ROOT, "%-9s %11s %11s %12s %12s %12s %10s%n", name,
            r.devicePages() < 0 ? "-" : pages(r.devicePages()), r.vcpuPages() < 0 ? "-" : pages(r.vcpuPages()),
            r.index() == 0 ? "all" : bytes(r.dirtyBytes()), bytes(r.copiedBytes()), bytes(r.deviceBytes()),
            duration(r.nanos())));
    }

    private static String pages(long pages) {
        return pages + " pages";
    }

    /** Bytes with a binary unit. */
    static String bytes(long n) {
        if (n < 10_240) {
            return n + " B";
        }
        if (n < 10L << 20) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", n / 1048576.0);
    }

    /** A duration with a unit that keeps three significant digits. */
    static String duration(long nanos) {
        if (nanos < 10_000) {
            return nanos + " ns";
        }
        if (nanos < 10_000_000) {
            return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
        }
        return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }
}
