package io.softdsa.bench;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The results as a JSON document (written by hand: a flat, fixed shape needs no library). */
final class JsonReport {
    private static final MathContext SIGNIFICANT = new MathContext(6);
    private JsonReport() {
    }

    static void write(Path file, Environment env, List<RowResult> rows) throws IOException {
        final Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, render(env, rows));
    }

    static String render(Environment env, List<RowResult> rows) {
        final StringBuilder j = new StringBuilder(4096);
        j.append("{\n");
        j.append("  \"tool\": \"softdsa QuickRun\",\n");
        j.append("  \"date\": ").append(str(env.date())).append(",\n");
        j.append("  \"jvm\": ").append(str(env.jvm())).append(",\n");
        j.append("  \"os\": ").append(str(env.os())).append(",\n");
        j.append("  \"cpus\": ").append(env.cpus()).append(",\n");
        j.append("  \"hostMemoryBytes\": ").append(env.hostMemoryBytes()).append(",\n");
        j.append("  \"secondsPerRow\": ").append(num(env.options().secondsPerRow())).append(",\n");
        j.append("  \"method\": {");
        String separator = "\n";
        for (var e : env.method().entrySet()) {
            j.append(separator).append("    ").append(str(e.getKey())).append(": ").append(str(e.getValue()));
            separator = ",\n";
        }
        j.append("\n  },\n");
        j.append("  \"rows\": [");
        for (int i = 0; i < rows.size(); i++) {
            j.append(i == 0 ? "\n" : ",\n");
            row(j, rows.get(i));
        }
        j.append("\n  ]\n}\n");
        return j.toString();
    }

    private static void row(StringBuilder j, RowResult r) {
        final LatencyMeter.Latency l = r.latency();
        j.append("    {\n");
        j.append("      \"id\": ").append(str(r.id())).append(",\n");
        j.append("      \"operation\": ").append(str(r.operation())).append(",\n");
        j.append("      \"sizeBytes\": ").append(r.size()).append(",\n");
        j.append("      \"unit\": ").append(str(r.unit().symbol())).append(",\n");
        j.append("      \"softdsa\": ").append(num(r.softdsaValue())).append(",\n");
        j.append("      \"softdsaOpsPerSecond\": ").append(num(r.softdsa().opsPerSecond())).append(",\n");
        j.append("      \"baselineName\": ").append(str(r.baselineName())).append(",\n");
        j.append("      \"baseline\": ").append(num(r.baselineValue())).append(",\n");
        j.append("      \"baselineOpsPerSecond\": ").append(num(r.baseline().opsPerSecond())).append(",\n");
        j.append("      \"ratio\": ").append(num(r.ratio())).append(",\n");
        j.append("      \"ratioMin\": ").append(num(r.ratioMin())).append(",\n");
        j.append("      \"ratioMax\": ").append(num(r.ratioMax())).append(",\n");
        j.append("      \"foreignCpuShare\": ").append(num(r.foreignCpuShare())).append(",\n");
        // the verdict as well as the share, so that readers (the HTML report) need not know the threshold
        j.append("      \"disturbed\": ").append(r.disturbed()).append(",\n");
        // the hand-off probed before each pair and after the last (ns), and whether it changed mode during the row
        j.append("      \"handOffNanos\": [");
        for (int i = 0; i < r.handOffNanos().length; i++) {
            j.append(i == 0 ? "" : ", ").append(num(r.handOffNanos()[i]));
        }
        j.append("],\n");
        j.append("      \"handOffShifted\": ").append(r.handOffShifted()).append(",\n");
        j.append("      \"latency\": {\"offeredRatePerSecond\": ").append(l.ratePerSecond())
            .append(", \"samples\": ").append(l.samples())
            .append(", \"p50Micros\": ").append(num(l.micros(50)))
            .append(", \"p90Micros\": ").append(num(l.micros(90)))
            .append(", \"p99Micros\": ").append(num(l.micros(99)))
            .append(", \"p999Micros\": ").append(num(l.micros(99.9)))
            .append(", \"maxMicros\": ").append(num(l.maxMicros())).append("}\n");
        j.append("    }");
    }

    private static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "null";
        }
        return new BigDecimal(v).round(SIGNIFICANT).stripTrailingZeros().toPlainString();
    }

    static String str(String s) {
        final StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
