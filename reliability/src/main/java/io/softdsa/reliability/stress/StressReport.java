package io.softdsa.reliability.stress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The end of a stress run: counters, the invariants with their verdicts, and the table that shows them. */
public final class StressReport {
    /** One invariant: what it says, the figures behind it, whether it held. */
    public record Invariant(String name, String figures, boolean held) {
    }

    private final StressOptions options;
    private final List<Invariant> invariants = new ArrayList<>();
    private final Map<String, String> figures = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    StressReport(StressOptions options) {
        this.options = options;
    }

    void check(String name, String figures, boolean held) {
        invariants.add(new Invariant(name, figures, held));
    }

    void figure(String name, Object value) {
        figures.put(name, String.valueOf(value));
    }

    void note(String note) {
        notes.add(note);
    }

    public boolean passed() {
        return invariants.stream().allMatch(Invariant::held) && !invariants.isEmpty();
    }

    public List<Invariant> invariants() {
        return List.copyOf(invariants);
    }

    public Map<String, String> figures() {
        return Map.copyOf(figures);
    }

    public String table() {
        final StringBuilder b = new StringBuilder();
        b.append(String.format("softdsa stress: %d s, %d producers, %d engines, seed %d%n", options.seconds(),
            options.producers(), options.engines(), options.seed()));
        int w = 10;
        for (String k : figures.keySet()) {
            w = Math.max(w, k.length());
        }
        b.append(String.format("%n| %-" + w + "s | %s%n", "figure", "value"));
        b.append("|").append("-".repeat(w + 2)).append("|").append("-".repeat(30)).append('\n');
        for (Map.Entry<String, String> e : figures.entrySet()) {
            b.append(String.format("| %-" + w + "s | %s%n", e.getKey(), e.getValue()));
        }
        int n = 10;
        int f = 10;
        for (Invariant i : invariants) {
            n = Math.max(n, i.name().length());
            f = Math.max(f, i.figures().length());
        }
        b.append(String.format("%n| %-" + n + "s | %-" + f + "s | %s%n", "invariant", "figures", "verdict"));
        b.append("|").append("-".repeat(n + 2)).append("|").append("-".repeat(f + 2)).append("|---------\n");
        for (Invariant i : invariants) {
            b.append(String.format("| %-" + n + "s | %-" + f + "s | %s%n", i.name(), i.figures(),
                i.held() ? "ok" : "FAILED"));
        }
        for (String note : notes) {
            b.append("note: ").append(note).append('\n');
        }
        b.append(passed() ? "\nALL INVARIANTS HELD\n" : "\nINVARIANT FAILED\n");
        return b.toString();
    }
}
