package io.softdsa.reliability.stress.hostile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The end of a hostile run: figures, attack counts, the invariants with their verdicts, and the table. */
public final class HostileReport {
    /** One invariant's verdict: how many violations, and the first few. */
    public record Verdict(String invariant, String figures, long violations, List<String> notes) {
        public boolean held() {
            return violations == 0;
        }
    }

    private final String header;
    private final Map<String, String> figures = new LinkedHashMap<>();
    private final Map<String, Long> attacks;
    private final List<Verdict> verdicts = new ArrayList<>();

    HostileReport(String header, Map<String, Long> attacks) {
        this.header = header;
        this.attacks = attacks;
    }

    void figure(String name, Object value) {
        figures.put(name, String.valueOf(value));
    }

    void verdict(Verdict v) {
        verdicts.add(v);
    }

    private Map<String, Long> sources = Map.of();

    void sources(Map<String, Long> bySource) {
        this.sources = Map.copyOf(bySource);
    }

    /** Violations per invariant and source (see {@code Violations.bySource}). */
    public Map<String, Long> violationsBySource() {
        return sources;
    }

    public boolean passed() {
        return !verdicts.isEmpty() && verdicts.stream().allMatch(Verdict::held);
    }

    public List<Verdict> verdicts() {
        return List.copyOf(verdicts);
    }

    public Map<String, Long> attacks() {
        return Map.copyOf(attacks);
    }

    /** Invariants that failed (their names), for a test message. */
    public List<String> failed() {
        return verdicts.stream().filter(v -> !v.held()).map(Verdict::invariant).toList();
    }

    public String table() {
        final StringBuilder b = new StringBuilder(header).append('\n');
        table(b, "figure", "value", figures);
        final Map<String, String> a = new LinkedHashMap<>();
        attacks.forEach((k, v) -> a.put(k, String.valueOf(v)));
        table(b, "attack", "count", a);
        int n = 10;
        int f = 10;
        for (Verdict v : verdicts) {
            n = Math.max(n, v.invariant().length());
            f = Math.max(f, v.figures().length());
        }
        b.append(String.format("%n| %-" + n + "s | %-" + f + "s | %s%n", "invariant", "figures", "verdict"));
        b.append('|').append("-".repeat(n + 2)).append('|').append("-".repeat(f + 2)).append("|---------\n");
        for (Verdict v : verdicts) {
            b.append(String.format("| %-" + n + "s | %-" + f + "s | %s%n", v.invariant(), v.figures(),
                v.held() ? "ok" : "FAILED (" + v.violations() + ")"));
        }
        for (Verdict v : verdicts) {
            for (String note : v.notes()) {
                b.append("violation [").append(v.invariant(), 0, Math.min(40, v.invariant().length())).append("]: ")
                    .append(note).append('\n');
            }
        }
        b.append(passed() ? "\nALL INVARIANTS HELD\n" : "\nINVARIANT FAILED\n");
        return b.toString();
    }

    private static void table(StringBuilder b, String k, String v, Map<String, String> rows) {
        int width = k.length();
        for (String key : rows.keySet()) {
            width = Math.max(width, key.length());
        }
        final int w = width;
        b.append(String.format("%n| %-" + w + "s | %s%n", k, v));
        b.append('|').append("-".repeat(w + 2)).append('|').append("-".repeat(12)).append('\n');
        rows.forEach((key, value) -> b.append(String.format("| %-" + w + "s | %s%n", key, value)));
    }
}
