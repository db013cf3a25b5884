package io.softdsa.bench.report;

import io.softdsa.bench.HandOffProbe;
import io.softdsa.bench.Median;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Before / after of two builds from alternated QuickRun runs ({@code ./softdsa bench-ab}): run i of build A is
 * paired with run i of build B, and a pair counts only if both runs saw the machine's cross-core hand-off in the same
 * mode (within {@link HandOffProbe#SHIFT}x of each other: QuickRun's own test for a row). On a VM the hand-off can
 * flip between modes 3.5x or more apart in the middle of a session, and every hand-off-bound row moves with it, so a
 * pair across modes compares two machines.
 * <p>
 * A run's hand-off is the median of its rows' probes ({@code handOffNanos}, QuickRun since {@code b9aa660}), or, in an
 * older run's file, half the ping-pong baseline's round trip ({@code roundtrip-noop}).
 * <p>
 * Usage: {@code BuildComparison [--a LABEL] [--b LABEL] A1.json B1.json [A2.json B2.json ...]}
 */
public final class BuildComparison {
    private BuildComparison() {
    }

    /** One QuickRun file: each row's median-pair ratio, and the run's hand-off (ns; NaN if it has none). */
    record Run(Map<String, Double> ratios, double handOff) {
    }

    public static void main(String[] args) throws IOException {
        String a = "A";
        String b = "B";
        final List<Path> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--a" -> a = value(args, ++i, "--a");
                case "--b" -> b = value(args, ++i, "--b");
                default -> files.add(Path.of(args[i]));
            }
        }
        if (files.isEmpty() || files.size() % 2 != 0) {
            System.err.println("usage: BuildComparison [--a LABEL] [--b LABEL] A1.json B1.json [A2.json B2.json ...]"
                + " (an even number of QuickRun JSON files, A and B alternately; got " + files.size() + ")");
            System.exit(2);
        }
        final List<Run> runsA = new ArrayList<>();
        final List<Run> runsB = new ArrayList<>();
        for (int i = 0; i < files.size(); i += 2) {
            runsA.add(parse(Files.readString(files.get(i))));
            runsB.add(parse(Files.readString(files.get(i + 1))));
        }
        print(System.out, a, b, runsA, runsB);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a label");
        }
        return args[i];
    }

    /** Reads one QuickRun JSON file ({@code JsonReport}'s format). */
    @SuppressWarnings("unchecked")
    static Run parse(String json) {
        final Map<String, Object> doc = (Map<String, Object>) Json.parse(json);
        final Map<String, Double> ratios = new LinkedHashMap<>();
        final List<Double> probes = new ArrayList<>();
        double pingPongHandOff = Double.NaN;
        for (Object o : (List<Object>) doc.getOrDefault("rows", List.of())) {
            final Map<String, Object> r = (Map<String, Object>) o;
            final String id = String.valueOf(r.get("id"));
            ratios.put(id, Json.number(r.get("ratio")));
            if (r.get("handOffNanos") instanceof List<?> p && !p.isEmpty()) {
                probes.add(Median.of(p.stream().mapToDouble(Json::number).toArray()));
            }
            if (id.equals("roundtrip-noop")) {
                pingPongHandOff = 1e9 / Json.number(r.get("baselineOpsPerSecond")) / 2;
            }
        }
        final double handOff = probes.isEmpty() ? pingPongHandOff
            : Median.of(probes.stream().mapToDouble(Double::doubleValue).toArray());
        return new Run(java.util.Collections.unmodifiableMap(ratios), handOff); // QuickRun's row order
    }

    /** Whether two runs saw the hand-off in one mode (unknown hand-offs count as one mode). */
    static boolean sameMode(Run x, Run y) {
        return !HandOffProbe.shifted(x.handOff(), y.handOff());
    }

    static void print(PrintStream out, String a, String b, List<Run> runsA, List<Run> runsB) {
        final List<Integer> matched = new ArrayList<>();
        final StringBuilder modes = new StringBuilder();
        for (int i = 0; i < runsA.size(); i++) {
            final boolean same = sameMode(runsA.get(i), runsB.get(i));
            if (same) {
                matched.add(i);
            }
            modes.append(String.format(Locale.ROOT, "%n  pair %d: hand-off %s %s ns, %s %s ns%s", i + 1, a,
                ns(runsA.get(i).handOff()), b, ns(runsB.get(i).handOff()), same ? "" : "  (two modes: left out)"));
        }
        out.printf(Locale.ROOT, "%s vs %s: %d pairs, %d in one mode of the machine%s%n%n", a, b, runsA.size(),
            matched.size(), modes);
        if (matched.isEmpty()) {
            out.println("no pair ran in one mode of the machine: nothing to compare; run more rounds");
            return;
        }
        out.printf(Locale.ROOT, "%-20s  %-26s  %-26s  %s%n", "row", a + " (pairs in one mode)",
            b + " (same pairs)", b + "/" + a + ": median (min-max)");
        for (String id : runsA.getFirst().ratios().keySet()) {
            final List<String> xs = new ArrayList<>();
            final List<String> ys = new ArrayList<>();
            final double[] changes = new double[matched.size()];
            int n = 0;
            for (int i : matched) {
                final Double x = runsA.get(i).ratios().get(id);
                final Double y = runsB.get(i).ratios().get(id);
                if (x == null || y == null) {
                    continue;
                }
                xs.add(num(x));
                ys.add(num(y));
                changes[n++] = y / x;
            }
            final double[] kept = Arrays.copyOf(changes, n);
            final String change = n == 0 ? "-" : String.format(Locale.ROOT, "%.2fx (%.2f-%.2f)", Median.of(kept),
                Arrays.stream(kept).min().orElseThrow(), Arrays.stream(kept).max().orElseThrow());
            out.printf(Locale.ROOT, "%-20s  %-26s  %-26s  %s%n", id, String.join(" ", xs), String.join(" ", ys),
                change);
        }
    }

    private static String num(double v) {
        return v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    private static String ns(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.0f", v) : "?";
    }
}
