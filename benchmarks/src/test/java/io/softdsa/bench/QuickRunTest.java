package io.softdsa.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tiny QuickRun: checks shape and sanity of what it prints and writes, never how fast anything was. */
class QuickRunTest {
    private static final String NUMBER = "(\\d+(?:\\.\\d+)?)";

    @Test
    void tinyRunPrintsAFullTableWithPositiveFigures(@TempDir Path tmp) throws IOException {
        final Path json = tmp.resolve("results.json");
        final Path hgrm = tmp.resolve("hgrm");
        final RunOptions options = RunOptions.parse("--seconds-per-row", "0.05", "--rows", "memmove-4k,portal-shared",
            "--json", json.toString(), "--hgrm-dir", hgrm.toString());
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        final QuickRun.Report report;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            report = QuickRun.run(options, out);
        }
        final String text = buffer.toString(StandardCharsets.UTF_8);

        assertTrue(report.failures().isEmpty(), () -> "failures " + report.failures() + "\n" + text);
        assertEquals(List.of("memmove-4k", "portal-shared"), report.rows().stream().map(RowResult::id).toList());
        for (RowResult r : report.rows()) {
            assertTrue(r.softdsaValue() > 0 && r.baselineValue() > 0 && r.ratio() > 0, r::toString);
            assertTrue(r.latency().samples() > 0, r::toString);
            assertTrue(r.latency().micros(50) > 0 && r.latency().micros(99) >= r.latency().micros(50), r::toString);
        }

        // header: environment and method, then every column
        assertTrue(text.contains("JVM") && text.contains("CPUs") && text.contains("host memory"), text);
        assertTrue(text.contains("How the figures were measured") && text.contains("  throughput ")
            && text.contains("  latency "), text);
        final String header = line(text, "^operation\\b.*");
        for (String column : List.of("operation", "size", "softdsa", "baseline", "ratio", "p50", "p99", "at rate")) {
            assertTrue(header.contains(column), () -> "no column " + column + " in " + header);
        }

        final Matcher memmove = Pattern.compile("^memmove\\s+4 KiB\\s+" + NUMBER + " GB/s\\s+MemorySegment\\.copy\\s+"
            + NUMBER + " GB/s\\s+" + NUMBER + "x \\(" + NUMBER + "-" + NUMBER + "\\)\\s+" + NUMBER + "\\s+" + NUMBER
            + "\\s+\\d+k?/s(?: \\*)?(?: ~)?$")
            .matcher(line(text, "^memmove .*"));
        assertTrue(memmove.matches(), () -> "memmove row malformed:\n" + text);
        assertPositive(memmove);

        final Matcher portal = Pattern.compile("^noop enqcmd \\(SWQ\\)\\s+64 B\\s+" + NUMBER
            + " Mops/s\\s+Agrona ManyToOneRingBuffer\\s+" + NUMBER + " Mops/s\\s+" + NUMBER + "x \\(" + NUMBER + "-"
            + NUMBER + "\\)\\s+" + NUMBER
            + "\\s+" + NUMBER + "\\s+\\d+k?/s(?: \\*)?(?: ~)?$").matcher(line(text, "^noop enqcmd.*"));
        assertTrue(portal.matches(), () -> "portal row malformed:\n" + text);
        assertPositive(portal);

        final String written = Files.readString(json);
        assertTrue(written.contains("\"id\": \"memmove-4k\"") && written.contains("\"id\": \"portal-shared\""), written);
        assertTrue(written.contains("\"p99Micros\""), written);
        for (RowResult r : report.rows()) { // probed before each of the pairs and after the last
            assertEquals(RowRunner.PAIRS + 1, r.handOffNanos().length, r::toString);
            assertTrue(java.util.Arrays.stream(r.handOffNanos()).allMatch(ns -> ns > 0), r::toString);
        }
        assertTrue(written.matches("(?s).*\"handOffNanos\": \\[[0-9.]+, [0-9.]+, [0-9.]+, [0-9.]+\\],\n"
            + "\\s*\"handOffShifted\": (true|false),.*"), written);
        assertTrue(Files.size(hgrm.resolve("memmove-4k.hgrm")) > 0);
        assertTrue(Files.readString(hgrm.resolve("portal-shared.hgrm")).contains("Percentile"));
    }

    @Test
    void parsesOptions() {
        final RunOptions defaults = RunOptions.parse();
        assertEquals(RunOptions.QUICK_SECONDS_PER_ROW, defaults.secondsPerRow());
        assertTrue(defaults.rows().isEmpty());
        assertEquals(RunOptions.QUICK_SECONDS_PER_ROW, RunOptions.parse("--quick").secondsPerRow());
        assertEquals(1.5, RunOptions.parse("--seconds-per-row", "1.5").secondsPerRow());
        assertThrows(IllegalArgumentException.class, () -> RunOptions.parse("--seconds-per-row", "0"));
        assertThrows(IllegalArgumentException.class, () -> RunOptions.parse("--rows", "no-such-row"));
        assertThrows(IllegalArgumentException.class, () -> RunOptions.parse("--bogus"));
        assertThrows(RunOptions.Exit.class, () -> RunOptions.parse("--list"));
    }

    @Test
    void offeredRateStaysBelowCapacity() {
        assertEquals(20_000, RowRunner.offeredRate(4096, 5e6, 20_000));
        assertEquals(2_000, RowRunner.offeredRate(1 << 20, 30_000, 20_000));
        assertEquals(1_000, RowRunner.offeredRate(64, 6_000, 20_000));
        assertEquals(500, RowRunner.offeredRate(64, 2_500, 20_000));
    }

    private static String line(String text, String regex) {
        final Pattern p = Pattern.compile(regex);
        return text.lines().filter(l -> p.matcher(l).matches()).findFirst()
            .orElseThrow(() -> new AssertionError("no line matching " + regex + " in\n" + text));
    }

    private static void assertPositive(Matcher m) {
        for (int g = 1; g <= m.groupCount(); g++) {
            final double v = Double.parseDouble(m.group(g));
            final int group = g;
            assertTrue(v > 0, () -> "figure " + group + " not positive in: " + m.group());
        }
    }
}
