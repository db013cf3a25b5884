package io.softdsa.bench;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-off probes around a row's pairs, and how QuickRun reports a row whose pairs ran in two modes. */
class HandOffProbeTest {
    @Test
    void aRowIsShiftedOnlyWhenItsSlowestProbeTookMoreThanThreeTimesItsFastest() {
        assertFalse(HandOffProbe.shifted(new double[] {310, 320, 369, 305}));
        assertFalse(HandOffProbe.shifted(new double[] {25, 52, 40, 38})); // one mode's spread, measured
        assertFalse(HandOffProbe.shifted(new double[] {40, 120})); // exactly 3x
        assertTrue(HandOffProbe.shifted(new double[] {320, 330, 42, 325})); // the VM's two modes seen today
        assertFalse(HandOffProbe.shifted(new double[0]));
        assertFalse(HandOffProbe.shifted(new double[] {300}));
        assertFalse(HandOffProbe.shifted(null));
    }

    @Test
    void theRowsHandOffIsTheLowerMiddleProbe() {
        assertEquals(320, HandOffProbe.median(new double[] {369, 305, 320}));
        assertEquals(80, HandOffProbe.median(new double[] {300, 40, 80, 310}));
        assertTrue(Double.isNaN(HandOffProbe.median(new double[0])));
    }

    @Test
    void aProbeMeasuresAPositiveHandOff() {
        final double ns = new HandOffProbe(200).measure();
        assertTrue(ns > 0 && ns < 1e9, "hand-off " + ns + " ns");
        assertThrows(IllegalArgumentException.class, () -> new HandOffProbe(0));
    }

    @Test
    void aShiftedRowIsMarkedAndNamedWithItsProbes() {
        final RowResult calm = row("memmove-4k", "memmove", new double[] {310, 320, 330, 325});
        final RowResult shifted = row("portal-shared", "noop enqcmd (SWQ)", new double[] {320, 42, 330, 325});
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            final ResultTable table = new ResultTable(out, List.of());
            table.print(calm);
            table.print(shifted);
            table.printDisturbed(List.of(calm, shifted));
        }
        final List<String> lines = buffer.toString(StandardCharsets.UTF_8).lines().toList();
        assertFalse(lines.get(0).endsWith("~"), lines.get(0));
        assertTrue(lines.get(1).endsWith(" ~"), lines.get(1));
        final String note = lines.stream().filter(l -> l.startsWith("~ ")).findFirst().orElseThrow();
        assertTrue(note.contains("portal-shared 42-330 ns") && !note.contains("memmove-4k"), note);
        assertEquals("310-330 ns", ResultTable.probeRange(calm));
    }

    private static RowResult row(String id, String operation, double[] probes) {
        final Histogram h = new Histogram(1, 1_000_000_000L, 3);
        h.recordValue(1_000);
        final ThroughputMeter.Throughput t = new ThroughputMeter.Throughput(1_000, 1_000_000);
        return new RowResult(id, operation, 4096, Unit.GB_PER_S, t, "baseline", t,
            new LatencyMeter.Latency(20_000, h), 0.0, new double[] {1.0}, null, probes);
    }
}
