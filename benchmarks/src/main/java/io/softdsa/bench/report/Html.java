package io.softdsa.bench.report;

import io.softdsa.bench.Sizes;
import io.softdsa.bench.support.DataOp;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * The report page: one self-contained HTML document (inline CSS, inline SVG from {@link Svg}, no script) built from
 * JMH results and QuickRun's latency histograms. Sections whose benchmarks were not run are left out.
 */
final class Html {
    /** JMH method of {@code DsaDataOps}/{@code JavaDataOps} to the operation it measures. */
    private static final Map<String, DataOp> OPS = new LinkedHashMap<>();

    static {
        OPS.put("memmove", DataOp.MEMMOVE);
        OPS.put("fill", DataOp.FILL);
        OPS.put("compare", DataOp.COMPARE);
        OPS.put("crc", DataOp.CRC);
        OPS.put("copyCrc", DataOp.COPY_CRC);
        OPS.put("dualcast", DataOp.DUALCAST);
    }

    /** Marks a figure that comes with a caveat; a cell holding it is styled as a warning. */
    static final String CAVEAT_MARK = "\u26a0";

    private final List<JmhResult> results;
    private final List<Hgrm> latencies;
    private final List<RunRow> runRows;
    private final StringBuilder b = new StringBuilder(1 << 16);

    private Html(List<JmhResult> results, List<Hgrm> latencies, List<RunRow> runRows) {
        this.results = results;
        this.latencies = latencies;
        this.runRows = runRows;
    }

    /**
     * @param title    page heading
     * @param context  lines shown under the heading (date, machine, command)
     */
    static String render(String title, List<String> context, List<JmhResult> results, List<Hgrm> latencies) {
        return render(title, context, results, latencies, List.of());
    }

    /**
     * @param runRows  QuickRun's rows (its JSON): the disturbance banner, the ratio table and its caveats
     */
    static String render(String title, List<String> context, List<JmhResult> results, List<Hgrm> latencies,
                         List<RunRow> runRows) {
        return new Html(results, latencies, runRows).page(title, context);
    }

    private String page(String title, List<String> context) {
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
            .append(escape(title)).append("</title>\n<style>\n")
            .append("body{font-family:sans-serif;margin:24px;max-width:1400px;color:#222}")
            .append("h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:36px}")
            .append(".charts{display:flex;flex-wrap:wrap;gap:16px}")
            .append("table{border-collapse:collapse;font-size:13px;margin:8px 0}")
            .append("th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}")
            .append("td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:13px}")
            .append(".banner{background:#fff3cd;border:2px solid #d39e00;padding:10px 14px;margin:12px 0}")
            .append(".caveat{color:#a94400;font-size:12px;text-align:left}\n")
            .append("</style>\n</head>\n<body>\n<h1>").append(escape(title)).append("</h1>\n");
        // the banner comes first: a reader must know the run was disturbed before reading any figure
        b.append(Caveats.banner(runRows));
        for (String line : context) {
            b.append("<p class=\"note\">").append(escape(line)).append("</p>\n");
        }
        quickRows();
        throughput();
        pasid();
        batch();
        portal();
        sideBySide();
        latency();
        all();
        return b.append("</body>\n</html>\n").toString();
    }

    // ---------------------------------------------------------------------------------------------- sections

    private void throughput() {
        final List<JmhResult> dsa = select("DsaDataOps", null);
        if (dsa.isEmpty() && select("JavaDataOps", null).isEmpty()) {
            return;
        }
        section("Throughput against transfer size",
            "Pipelined device throughput (one submitting thread, 16 descriptors in flight) next to the CPU doing the "
                + "same work on the same host memory (dashed). GB/s = 10^9 transfer bytes per second; x is log scale.");
        b.append("<div class=\"charts\">\n");
        final List<String[]> ratios = new ArrayList<>();
        for (Map.Entry<String, DataOp> op : OPS.entrySet()) {
            final List<JmhResult> device = select("DsaDataOps", op.getKey());
            final List<JmhResult> cpu = select("JavaDataOps", op.getKey());
            if (device.isEmpty() && cpu.isEmpty()) {
                continue;
            }
            final List<Svg.Series> series = new ArrayList<>(grouped(device,
                r -> "softdsa " + r.param("mode") + ", " + r.param("engines") + " engine"
                    + ("1".equals(r.param("engines")) ? "" : "s"), r -> gb(r.bytesPerSecond()), false));
            if (!cpu.isEmpty()) {
                series.add(new Svg.Series("CPU: " + op.getValue().baselineName(), sizePoints(cpu,
                    r -> gb(r.bytesPerSecond())), true));
            }
            b.append(Svg.lineChart(op.getValue().label() + " (" + op.getKey() + ")", "transfer size", "GB/s",
                sizeTicks(device, cpu), series));
            for (JmhResult c : cpu) {
                for (JmhResult d : device) {
                    if (d.longParam("size") == c.longParam("size")) {
                        ratios.add(new String[] {op.getValue().label(), Sizes.readable(d.longParam("size")),
                            d.param("mode") + "/" + d.param("engines"), Svg.num(gb(d.bytesPerSecond())),
                            Svg.num(gb(c.bytesPerSecond())),
                            Svg.num(d.bytesPerSecond() / c.bytesPerSecond()) + "x"});
                    }
                }
            }
        }
        b.append("</div>\n");
        table(List.of("operation", "size", "WQ mode / engines", "softdsa GB/s", "CPU GB/s", "ratio"), ratios);
    }

    private void pasid() {
        final List<JmhResult> sva = select("DsaSvaOps", null);
        if (sva.isEmpty()) {
            return;
        }
        section("PASID off and on",
            "The same pipelined operation with host-physical addresses (PASID off) and with virtual addresses of a "
                + "process address space translated by the IOMMU model on every access (PASID on).");
        b.append("<div class=\"charts\">\n");
        final List<String[]> rows = new ArrayList<>();
        for (String method : methods(sva)) {
            final List<JmhResult> rs = select("DsaSvaOps", method);
            b.append(Svg.lineChart(method + ": PASID off vs on", "transfer size", "GB/s", sizeTicks(rs, List.of()),
                grouped(rs, r -> "PASID " + r.param("pasid"), r -> gb(r.bytesPerSecond()), false)));
            for (JmhResult on : rs) {
                if (!"on".equals(on.param("pasid"))) {
                    continue;
                }
                for (JmhResult off : rs) {
                    if ("off".equals(off.param("pasid")) && off.longParam("size") == on.longParam("size")) {
                        rows.add(new String[] {method, Sizes.readable(on.longParam("size")),
                            Svg.num(gb(off.bytesPerSecond())), Svg.num(gb(on.bytesPerSecond())),
                            Svg.num(on.score() / off.score()) + "x",
                            added(1e9 / on.score() - 1e9 / off.score())});
                    }
                }
            }
        }
        b.append("</div>\n");
        table(List.of("operation", "size", "PASID off GB/s", "PASID on GB/s", "on / off", "ns per descriptor added"),
            rows);
    }

    /**
     * Nanoseconds per descriptor that PASID translation adds. A negative difference is not a saving: the two runs
     * differ by more than translation costs (noise on a loaded machine), so it is shown with that caveat.
     */
    static String added(double ns) {
        return withCaveat(Svg.num(ns), Caveats.added(ns));
    }

    /** A figure followed by its caveat, marked so that it cannot be read as part of the number. */
    static String withCaveat(String figure, String caveat) {
        return caveat.isEmpty() ? figure : figure + " " + CAVEAT_MARK + " (" + caveat + ")";
    }

    private void quickRows() {
        if (runRows.isEmpty()) {
            return;
        }
        section("softdsa against the CPU doing the same work",
            "QuickRun's rows: the median of interleaved softdsa/baseline pairs, the range of all pairs, and the share "
                + "of CPU time other processes took during the row.");
        final List<String[]> rows = new ArrayList<>();
        for (RunRow r : runRows) {
            rows.add(new String[] {r.id(), r.operation(), Svg.num(r.softdsa()) + " " + r.unit(), r.baselineName(),
                Svg.num(r.baseline()) + " " + r.unit(),
                withCaveat(Svg.num(r.ratio()) + "x", Caveats.ratio(r.ratio(), r.ratioMin(), r.ratioMax())),
                Svg.num(r.ratioMin()) + "x - " + Svg.num(r.ratioMax()) + "x", share(r)});
        }
        table(List.of("row", "operation", "softdsa", "baseline", "baseline value", "ratio", "pair range",
            "foreign CPU"), rows);
    }

    /** A latency row's name, marked when QuickRun flagged the same row as disturbed (the banner lists them too). */
    private String disturbedMark(String id) {
        for (RunRow r : runRows) {
            if (r.id().equals(id) && r.disturbed()) {
                return withCaveat(id, "disturbed: " + Svg.num(r.foreignCpuShare() * 100) + " % foreign CPU");
            }
        }
        return id;
    }

    private static String share(RunRow r) {
        if (!Double.isFinite(r.foreignCpuShare())) {
            return "unknown";
        }
        final String s = Svg.num(r.foreignCpuShare() * 100) + " %";
        return r.disturbed() ? s + " " + CAVEAT_MARK + " disturbed" : s;
    }

    private void batch() {
        final List<JmhResult> rs = select("DsaBatch", null);
        if (rs.isEmpty()) {
            return;
        }
        section("Batch sizes",
            "memmove descriptors submitted through Batch descriptors of 8 and 32 (only the batch's completion record "
                + "is written and polled) against plain descriptors (batch size 1).");
        final Function<JmhResult, String> label = r -> "1".equals(r.param("batchSize"))
            ? "1 (plain descriptor)" : "batch of " + r.param("batchSize");
        b.append("<div class=\"charts\">\n");
        b.append(Svg.lineChart("Batch: bytes moved", "transfer size per descriptor", "GB/s",
            sizeTicks(rs, List.of()), grouped(rs, label, r -> gb(r.bytesPerSecond()), false)));
        b.append(Svg.lineChart("Batch: descriptors completed", "transfer size per descriptor", "M descriptors/s",
            sizeTicks(rs, List.of()), grouped(rs, label,
                r -> r.secondary().getOrDefault("descriptors", r.score()) / 1e6, false)));
        b.append("</div>\n");
    }

    private void portal() {
        final List<JmhResult> rs = select("PortalThroughput", null);
        if (rs.isEmpty()) {
            return;
        }
        section("Portal against Agrona ring buffers",
            "64-byte entries accepted per second: the portal (drained by an engine retiring no-ops) against Agrona "
                + "ring buffers carrying 64-byte records to a consumer thread.");
        b.append(Svg.barChart("64-byte entries per second", "Mops/s",
            rs.stream().map(r -> new Svg.Bar(r.method(), r.score() / 1e6)).toList()));
    }

    private void sideBySide() {
        final List<JmhResult> rs = select("SideBySideOps", null);
        if (rs.isEmpty()) {
            return;
        }
        section("Bare engine, userspace DMA and virtual device",
            "The same pipelined memmove through the three ways softdsa hands a DSA to software.");
        b.append(Svg.barChart("memmove through each path", "GB/s", rs.stream()
            .map(r -> new Svg.Bar(r.method() + " " + Sizes.readable(r.longParam("size")), gb(r.bytesPerSecond())))
            .toList()));
    }

    private void latency() {
        final List<JmhResult> roundTrips = select("DsaRoundTrip", null);
        if (latencies.isEmpty() && roundTrips.isEmpty()) {
            return;
        }
        section("Latency percentiles",
            "Submit-to-completion-record latency (µs) from QuickRun's open-loop runs at a fixed offered rate "
                + "(HdrHistogram .hgrm files, coordinated-omission aware); x is the percentile on a 'nines' scale.");
        if (!latencies.isEmpty()) {
            final List<Svg.Series> series = new ArrayList<>();
            final List<String[]> rows = new ArrayList<>();
            for (Hgrm h : latencies) {
                final List<double[]> pts = new ArrayList<>();
                for (double[] p : h.points()) {
                    if (p[1] < 1) {
                        pts.add(new double[] {nines(p[1]), p[0]});
                    }
                }
                series.add(new Svg.Series(h.name(), pts, false));
                rows.add(new String[] {disturbedMark(h.name()), Svg.num(h.at(50)), Svg.num(h.at(90)), Svg.num(h.at(99)),
                    Svg.num(h.at(99.9)), Svg.num(h.max())});
            }
            final List<Svg.Tick> ticks = List.of(new Svg.Tick(0, "0%"), new Svg.Tick(1, "90%"),
                new Svg.Tick(2, "99%"), new Svg.Tick(3, "99.9%"), new Svg.Tick(4, "99.99%"));
            // tails reach ~1 ms against ~1 µs medians: a log value axis keeps the medians readable
            b.append(Svg.lineChart("Latency by percentile", "percentile", "µs", ticks, series, true));
            table(List.of("row", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs"), rows);
        }
        if (!roundTrips.isEmpty()) {
            b.append("<p class=\"note\">Closed-loop round trip (JMH SampleTime, nothing queued), ")
                .append(escape(roundTrips.getFirst().unit())).append(":</p>\n");
            final List<String[]> rows = new ArrayList<>();
            for (JmhResult r : roundTrips) {
                rows.add(new String[] {r.name() + " " + paramText(r), Svg.num(r.percentiles().getOrDefault(50.0,
                    Double.NaN)), Svg.num(r.percentiles().getOrDefault(90.0, Double.NaN)),
                    Svg.num(r.percentiles().getOrDefault(99.0, Double.NaN)),
                    Svg.num(r.percentiles().getOrDefault(99.9, Double.NaN)),
                    Svg.num(r.percentiles().getOrDefault(100.0, Double.NaN))});
            }
            table(List.of("benchmark", "p50", "p90", "p99", "p99.9", "max"), rows);
        }
    }

    private void all() {
        section("All results", "Every JMH result of the run, as JMH reported it.");
        final List<String[]> rows = new ArrayList<>();
        for (JmhResult r : results) {
            final StringBuilder sec = new StringBuilder();
            r.secondary().forEach((k, v) -> sec.append(k).append(' ').append(Svg.num(v)).append(' '));
            rows.add(new String[] {r.name(), paramText(r), r.mode(), Svg.num(r.score()),
                Double.isFinite(r.error()) ? "± " + Svg.num(r.error()) : "", r.unit(), sec.toString().strip()});
        }
        table(List.of("benchmark", "params", "mode", "score", "error", "unit", "secondary (per s)"), rows);
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /** Results of {@code cls} (and {@code method} unless null), in the order of the file. */
    private List<JmhResult> select(String cls, String method) {
        final Predicate<JmhResult> p = r -> r.benchmarkClass().equals(cls) && (method == null
            || r.method().equals(method));
        return results.stream().filter(p).toList();
    }

    private static List<String> methods(List<JmhResult> rs) {
        return rs.stream().map(JmhResult::method).distinct().toList();
    }

    /** One series per distinct label, points (log2 size, y) sorted by size. */
    private static List<Svg.Series> grouped(List<JmhResult> rs, Function<JmhResult, String> label,
                                            ToDoubleFunction<JmhResult> y, boolean dashed) {
        final Map<String, List<JmhResult>> groups = new LinkedHashMap<>();
        for (JmhResult r : rs) {
            groups.computeIfAbsent(label.apply(r), k -> new ArrayList<>()).add(r);
        }
        final List<Svg.Series> out = new ArrayList<>();
        groups.forEach((name, members) -> out.add(new Svg.Series(name, sizePoints(members, y), dashed)));
        return out;
    }

    private static List<double[]> sizePoints(List<JmhResult> rs, ToDoubleFunction<JmhResult> y) {
        return rs.stream().sorted(Comparator.comparingLong(r -> r.longParam("size")))
            .map(r -> new double[] {log2(r.longParam("size")), y.applyAsDouble(r)}).toList();
    }

    private static List<Svg.Tick> sizeTicks(List<JmhResult> a, List<JmhResult> b) {
        final TreeSet<Long> sizes = new TreeSet<>();
        a.forEach(r -> sizes.add(r.longParam("size")));
        b.forEach(r -> sizes.add(r.longParam("size")));
        return sizes.stream().map(s -> new Svg.Tick(log2(s), Sizes.readable(s))).toList();
    }

    private static double log2(long v) {
        return Math.log(v) / Math.log(2);
    }

    /** 0.9 -> 1, 0.99 -> 2, ... */
    private static double nines(double fraction) {
        return -Math.log10(1 - fraction);
    }

    private static double gb(double bytesPerSecond) {
        return bytesPerSecond / 1e9;
    }

    private static String paramText(JmhResult r) {
        final StringBuilder s = new StringBuilder();
        r.params().forEach((k, v) -> s.append(k).append('=').append(v).append(' '));
        return s.toString().strip();
    }

    private void section(String title, String note) {
        b.append("<h2>").append(escape(title)).append("</h2>\n<p class=\"note\">").append(escape(note))
            .append("</p>\n");
    }

    private void table(List<String> header, List<String[]> rows) {
        if (rows.isEmpty()) {
            return;
        }
        b.append("<table>\n<tr>");
        header.forEach(h -> b.append("<th>").append(escape(h)).append("</th>"));
        b.append("</tr>\n");
        for (String[] row : rows) {
            b.append("<tr>");
            for (String cell : row) {
                // a caveated figure reads as a sentence: left-aligned and coloured, not as a right-aligned number
                b.append(cell.contains(CAVEAT_MARK) ? "<td class=\"caveat\">" : "<td>").append(escape(cell))
                    .append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n");
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
