package io.softdsa.bench;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Locale;

/**
 * QuickRun's table: one line per row as it completes, then a note on rows disturbed by other processes ({@code *})
 * or run while the machine's cross-core hand-off changed mode ({@code ~}).
 */
final class ResultTable {
    private final Table table;
    private final PrintStream out;

    ResultTable(PrintStream out, List<Workload> workloads) {
        int operation = "operation".length();
        int baseline = "baseline".length();
        for (Workload w : workloads) {
            operation = Math.max(operation, w.operation().length());
            baseline = Math.max(baseline, w.baselineName().length());
        }
        final String micro = out.charset().newEncoder().canEncode('µ') ? "µs" : "us";
        this.out = out;
        this.table = new Table(out, List.of(
            new Table.Column("operation", operation, Table.Align.LEFT),
            new Table.Column("size", 7, Table.Align.RIGHT),
            new Table.Column("softdsa", 13, Table.Align.RIGHT),
            new Table.Column("baseline", baseline, Table.Align.LEFT),
            new Table.Column("baseline", 13, Table.Align.RIGHT),
            new Table.Column("ratio (min-max)", 19, Table.Align.RIGHT),
            new Table.Column("p50 " + micro, 8, Table.Align.RIGHT),
            new Table.Column("p99 " + micro, 8, Table.Align.RIGHT),
            new Table.Column("at rate", 7, Table.Align.RIGHT)));
    }

    void printHeader() {
        table.printHeader();
    }

    void print(RowResult r) {
        final LatencyMeter.Latency l = r.latency();
        table.printRow(
            r.operation(),
            Sizes.readable(r.size()),
            number(r.softdsaValue()) + " " + r.unit().symbol(),
            r.baselineName(),
            number(r.baselineValue()) + " " + r.unit().symbol(),
            number(r.ratio()) + "x (" + number(r.ratioMin()) + "-" + number(r.ratioMax()) + ")",
            micros(l.micros(50)),
            micros(l.micros(99)),
            rate(l.ratePerSecond()) + (r.disturbed() ? " *" : "") + (r.handOffShifted() ? " ~" : ""));
        final LatencyMeter.Latency floor = r.baselineLatency();
        if (floor != null) {
            table.printNote(String.format(Locale.ROOT, "  %s: p50 %s vs %s floor %s (%.2fx), p99 %s vs %s (%.2fx),"
                    + " same meter and rate", r.operation(), micros(l.micros(50)), r.baselineName(),
                micros(floor.micros(50)), l.micros(50) / floor.micros(50), micros(l.micros(99)),
                micros(floor.micros(99)), l.micros(99) / floor.micros(99)));
        }
    }

    void printFailure(Workload w, Exception e) {
        table.printNote(w.operation() + " " + Sizes.readable(w.size()) + "  FAILED: " + e);
    }

    /** After the table: which rows ran while other processes took a noticeable share of the CPUs. */
    void printDisturbed(List<RowResult> rows) {
        final List<String> disturbed = rows.stream().filter(RowResult::disturbed)
            .map(r -> String.format(Locale.ROOT, "%s %.0f%%", r.id(), r.foreignCpuShare() * 100)).toList();
        if (!disturbed.isEmpty()) {
            out.println("* other processes used this share of all CPU time during the row; rerun on a quiet machine: "
                + String.join(", ", disturbed));
        }
        final List<String> shifted = rows.stream().filter(RowResult::handOffShifted)
            .map(r -> r.id() + " " + probeRange(r)).toList();
        if (!shifted.isEmpty()) {
            out.println("~ the cross-core hand-off changed by more than " + number(HandOffProbe.SHIFT) + "x between the"
                + " row's pairs (on a VM, the host placing its vCPUs differently), so they ran in two modes of the"
                + " machine; compare such a row only with runs in one mode: " + String.join(", ", shifted));
        }
    }

    /** A row's hand-off probes as "min-max ns" (one figure if they agree to the nanosecond). */
    static String probeRange(RowResult r) {
        final double[] p = r.handOffNanos();
        if (p == null || p.length == 0) {
            return "-";
        }
        final long min = Math.round(java.util.Arrays.stream(p).min().orElseThrow());
        final long max = Math.round(java.util.Arrays.stream(p).max().orElseThrow());
        return min == max ? min + " ns" : min + "-" + max + " ns";
    }

    /**
     * After the table: the machine's cost of moving one cache line from one core to the other (half the ping-pong
     * baseline's round trip in this run), and for each row the time per operation of softdsa and of its baseline and
     * what softdsa takes beyond the baseline, in those hand-offs. A descriptor's 64 bytes must reach the engine's
     * core and its record come back (and the next claim's CAS waits for the record's line), so that extra is bounded
     * below by hand-offs, not by the work; this is the measurement the targets out of reach are judged against.
     * Each row's extra is counted in its own hand-off (the median of the probes around its pairs) where it has them,
     * since the machine's hand-off can change between rows.
     */
    void printHandOffs(List<RowResult> rows) {
        final RowResult pingPong = rows.stream().filter(r -> r.id().equals(PingPongWorkload.ID)).findFirst()
            .orElse(null);
        if (pingPong == null) {
            return;
        }
        final double handOff = 1e9 / pingPong.baseline().opsPerSecond() / 2;
        out.printf(Locale.ROOT, "%ncross-core hand-off: %.0f ns (half the ping-pong round trip above). Per operation:%n"
            + "  %-24s %7s  %10s  %10s  %17s  %s%n", handOff, "operation", "size", "softdsa", "baseline",
            "extra (hand-offs)", "row's hand-off probes");
        for (RowResult r : rows) {
            if (r == pingPong) {
                continue;
            }
            final double ns = 1e9 / r.softdsa().opsPerSecond();
            final double base = 1e9 / r.baseline().opsPerSecond();
            final double own = Double.isFinite(r.handOff()) ? r.handOff() : handOff;
            out.printf(Locale.ROOT, "  %-24s %7s  %7.0f ns  %7.0f ns  %7.0f ns (%5.2f)  %s%s%n", r.operation(),
                Sizes.readable(r.size()), ns, base, ns - base, (ns - base) / own, probeRange(r),
                r.handOffShifted() ? " ~" : "");
        }
    }

    /** Two decimals from 1 up (one from 100), three significant digits below 1, so nothing positive prints as 0. */
    static String number(double v) {
        if (v >= 100) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (v >= 1 || v <= 0 || !Double.isFinite(v)) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return new BigDecimal(v).round(new MathContext(3)).toPlainString();
    }

    private static String micros(double us) {
        return us >= 1000 ? String.format(Locale.ROOT, "%.0f", us) : number(us);
    }

    private static String rate(long perSecond) {
        return perSecond >= 1000 && perSecond % 1000 == 0 ? perSecond / 1000 + "k/s" : perSecond + "/s";
    }
}
