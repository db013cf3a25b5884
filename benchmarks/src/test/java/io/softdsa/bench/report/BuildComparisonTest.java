package io.softdsa.bench.report;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Before / after of two builds: only pairs whose runs saw the hand-off in one mode count. */
class BuildComparisonTest {
    /** A QuickRun file as JsonReport writes it (the fields the comparison reads), with probes per row. */
    private static String run(double memmove, double portal, double probe) {
        return """
            {"rows": [
              {"id": "memmove-4k", "ratio": %s, "handOffNanos": [%s, %s, %s, %s]},
              {"id": "portal-shared", "ratio": %s, "handOffNanos": [%s, %s, %s, %s]}
            ]}""".formatted(memmove, probe, probe, probe + 10, probe, portal, probe, probe, probe, probe);
    }

    @Test
    void aRunsHandOffIsItsRowsMedianProbeOrElseHalfThePingPong() {
        assertEquals(320, BuildComparison.parse(run(0.1, 1.0, 320)).handOff());
        final String older = """
            {"rows": [{"id": "roundtrip-noop", "ratio": 0.9, "baselineOpsPerSecond": 1.5e6}]}""";
        assertEquals(1e9 / 1.5e6 / 2, BuildComparison.parse(older).handOff(), 1e-9);
        assertTrue(Double.isNaN(BuildComparison.parse("{\"rows\": []}").handOff()));
    }

    @Test
    void runsMoreThanThreeTimesApartInHandOffAreTwoModes() {
        final BuildComparison.Run slow = BuildComparison.parse(run(0.1, 1.0, 320));
        assertTrue(BuildComparison.sameMode(slow, BuildComparison.parse(run(0.1, 1.0, 110))));
        assertFalse(BuildComparison.sameMode(slow, BuildComparison.parse(run(0.1, 1.0, 42))));
        assertTrue(BuildComparison.sameMode(slow, BuildComparison.parse("{\"rows\": []}"))); // unknown: kept
    }

    @Test
    void withNoPairInOneModeNothingIsCompared() {
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            BuildComparison.print(out, "a", "b", List.of(BuildComparison.parse(run(0.1, 1.0, 341))),
                List.of(BuildComparison.parse(run(0.2, 2.0, 66))));
        }
        final String text = buffer.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("1 pairs, 0 in one mode") && text.contains("nothing to compare"), text);
        assertFalse(text.contains("memmove-4k"), text);
    }

    @Test
    void thePairAcrossModesIsLeftOutOfEveryRow() {
        // pair 2 ran in two modes and would show a 4x "gain" on the portal row; pairs 1 and 3 show 1.5x and 2x
        final List<BuildComparison.Run> a = List.of(BuildComparison.parse(run(0.10, 1.0, 320)),
            BuildComparison.parse(run(0.20, 0.25, 40)), BuildComparison.parse(run(0.12, 0.5, 330)));
        final List<BuildComparison.Run> b = List.of(BuildComparison.parse(run(0.12, 1.5, 310)),
            BuildComparison.parse(run(0.20, 1.0, 320)), BuildComparison.parse(run(0.12, 1.0, 300)));
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            BuildComparison.print(out, "before", "after", a, b);
        }
        final String text = buffer.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("before vs after: 3 pairs, 2 in one mode of the machine"), text);
        assertTrue(text.contains("pair 2: hand-off before 40 ns, after 320 ns  (two modes: left out)"), text);
        final String portal = text.lines().filter(l -> l.startsWith("portal-shared")).findFirst().orElseThrow();
        assertTrue(portal.matches("portal-shared\\s+1\\.00 0\\.500\\s+1\\.50 1\\.00\\s+1\\.50x \\(1\\.50-2\\.00\\)"),
            portal);
        final List<String> rows = text.lines().filter(l -> l.startsWith("memmove-4k") || l.startsWith("portal-"))
            .toList();
        assertTrue(rows.get(0).startsWith("memmove-4k") && rows.get(1).startsWith("portal-shared"), text); // run order
        final String memmove = rows.get(0);
        assertTrue(memmove.matches("memmove-4k\\s+0\\.100 0\\.120\\s+0\\.120 0\\.120\\s+1\\.00x \\(1\\.00-1\\.20\\)"),
            memmove);
    }
}
