package io.softdsa.bench.report;

import io.softdsa.bench.support.DataOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14, item 8 on the generated markup: a log latency axis with decade ticks, the disturbance banner naming
 * rows and shares, caveats beside negative and unstable figures, and no two series of a chart in the same colour.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReportWarningsTest {

    private static String resource(String name) throws IOException {
        try (InputStream in = ReportWarningsTest.class.getResourceAsStream("/report/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A histogram with a ~1 µs median and a ~1 ms tail, like QuickRun's rows on a loaded machine. */
    private static Hgrm wideHistogram(String name, double scale) {
        final String text = """
                   Value     Percentile TotalCount 1/(1-Percentile)

                   %.3f 0.000000000000          1           1.00
                   %.3f 0.500000000000        500           2.00
                   %.3f 0.990000000000        990         100.00
                   %.3f 0.999000000000        999        1000.00
                   %.3f 1.000000000000       1000
            #[Max     =       %.3f, Total count    =         1000]
            """.formatted(0.8 * scale, 1.1 * scale, 40.0 * scale, 950.0 * scale, 1200.0 * scale, 1200.0 * scale);
        return Hgrm.parse(name, text);
    }

    private static String page(List<Hgrm> latencies, List<RunRow> rows) throws IOException {
        return Html.render("r", List.of(), JmhResult.parse(resource("jmh-sample.json")), latencies, rows);
    }

    @Test
    void latencyAxisIsLogWithDecadeTicksWhenTheDataSpansDecades() throws IOException {
        final String html = page(List.of(wideHistogram("memmove-4k", 1)), List.of());
        final String chart = chart(html, "Latency by percentile");
        assertTrue(chart.contains("data-y-scale=\"log\""), chart);
        assertTrue(chart.contains("µs (log scale)"));
        final List<String> ticks = yTicks(chart);
        // 0.8 µs to the p99.9 of 950 µs (the max has no place on a "nines" x axis)
        assertEquals(List.of("0.1", "1", "10", "100", "1000"), ticks, "one tick per decade");
    }

    @Test
    void narrowDataAndThroughputStayLinear() throws IOException {
        // the sample histogram spans 1.5 to 12.3 µs: under a decade, so linear from 0
        final String html = page(List.of(Hgrm.parse("memmove-4k", resource("memmove-4k.hgrm"))), List.of());
        assertTrue(chart(html, "Latency by percentile").contains("data-y-scale=\"linear\""));
        assertEquals("0", yTicks(chart(html, "Latency by percentile")).getFirst());
        assertTrue(chart(html, DataOp.MEMMOVE.label()).contains("data-y-scale=\"linear\""), "GB/s charts are not log");
    }

    @Test
    void valueAxisPlacesDecadesEvenly() {
        final ValueAxis axis = ValueAxis.over(List.of(1.0, 1000.0), true);
        assertTrue(axis.log());
        assertEquals(0, axis.fraction(1), 1e-9);
        assertEquals(1.0 / 3, axis.fraction(10), 1e-9);
        assertEquals(1, axis.fraction(1000), 1e-9);
        assertTrue(Double.isNaN(axis.fraction(0)), "zero cannot sit on a log axis");
        assertFalse(ValueAxis.over(List.of(1.0, 1000.0), false).log(), "log only when asked for");
    }

    @Test
    void bannerNamesTheDisturbedRowsAndTheirShares() throws IOException {
        final List<RunRow> rows = RunRow.parse(resource("quickrun-sample.json"));
        final String html = page(List.of(), rows);
        final int banner = html.indexOf("<div class=\"banner\"");
        assertTrue(banner > 0 && banner < html.indexOf("<h2>"), "the banner comes before every section");
        final String text = html.substring(banner, html.indexOf("</div>", banner));
        assertTrue(text.contains("This run was disturbed"), text);
        assertTrue(text.contains("crc-gen-64k (27 %)"), "flagged by QuickRun: " + text);
        assertTrue(text.contains("portal-shared (5 %)"), "no verdict in the file: judged against 3 %: " + text);
        assertFalse(text.contains("memmove-4k"), "1.2 % is quiet: " + text);
        assertTrue(text.contains("2 rows"), text);
        final String latency = page(List.of(wideHistogram("crc-gen-64k", 1), wideHistogram("memmove-4k", 1)), rows);
        assertTrue(latency.contains("<td class=\"caveat\">crc-gen-64k \u26a0 (disturbed: 27.4 % foreign CPU)</td>"),
            "the latency row is marked too");
        assertTrue(latency.contains("<td>memmove-4k</td>"));
    }

    @Test
    void quietRunHasNoBanner() throws IOException {
        final List<RunRow> quiet = RunRow.parse(resource("quickrun-sample.json")).stream()
            .filter(r -> !r.disturbed()).toList();
        assertFalse(page(List.of(), quiet).contains("class=\"banner\""));
        assertFalse(page(List.of(), List.of()).contains("class=\"banner\""));
    }

    @Test
    void unstableRatioCarriesACaveatAndAStableOneDoesNot() throws IOException {
        final String html = page(List.of(), RunRow.parse(resource("quickrun-sample.json")));
        assertTrue(html.contains(
            "<td class=\"caveat\">0.55x \u26a0 (unstable: interleaved pairs range 0.31x to 0.9x"), html);
        assertTrue(html.contains("<td>0.5x</td>"), "±4 %: no caveat");
        assertTrue(html.contains("<td class=\"caveat\">27.4 % \u26a0 disturbed</td>"));
        assertEquals("", Caveats.ratio(1.0, 0.91, 1.09));
        assertTrue(Caveats.ratio(1.0, 0.85, 1.0).startsWith("unstable"));
        assertTrue(Caveats.ratio(-0.2, -0.2, -0.2).startsWith("not positive"));
    }

    @Test
    void smallFiguresHaveNoExponent() {
        // a disturbed ratio of 1e-4 is exactly the figure a reader must be able to read
        assertEquals("0.0000993", Svg.num(0.0000993));
        assertEquals("0.00571", Svg.num(0.0057134));
        assertEquals("0.5", Svg.num(0.5));
        assertEquals("-0.25", Svg.num(-0.25));
    }

    @Test
    void negativeAddedCostIsCaveatedInThePage() {
        final String cell = Html.added(-615339);
        assertTrue(cell.startsWith("-615339 \u26a0 (negative: noise between the runs, not a saving"), cell);
        assertEquals("23", Html.added(23));
    }

    @Test
    void negativeAddedCostInThePasidTableIsACaveatedCell() throws IOException {
        // PASID on faster than off (noise): 1e9/5.2e7 - 1e9/5.2e6 = -173 ns "added" per descriptor
        final String json = resource("jmh-sample.json");
        assertEquals(1, json.split("\"score\": 4000000.0", -1).length - 1, "the PASID-on score appears once");
        final String html = Html.render("r", List.of(), JmhResult.parse(json.replace("\"score\": 4000000.0",
            "\"score\": 52000000.0")), List.of());
        assertTrue(html.contains("<td class=\"caveat\">-173 \u26a0 (negative: noise between the runs, not a saving"),
            html);
    }

    @Test
    void noTwoSeriesOfAnyChartShareAColour() throws IOException {
        // one latency series per QuickRun row (13 today) is the largest chart; try a few more than that
        final List<Hgrm> many = new ArrayList<>();
        for (int i = 0; i < Svg.PALETTE.length; i++) {
            many.add(wideHistogram("row-" + i, 1 + i * 0.1));
        }
        final String html = page(many, List.of());
        final Matcher svg = Pattern.compile("<svg .*?</svg>", Pattern.DOTALL).matcher(html);
        int charts = 0;
        while (svg.find()) {
            final List<String> strokes = new ArrayList<>();
            final Matcher m = Pattern.compile("<polyline fill=\"none\" stroke=\"(#[0-9a-f]{6})\"").matcher(svg.group());
            while (m.find()) {
                strokes.add(m.group(1));
            }
            assertEquals(strokes.size(), new HashSet<>(strokes).size(), "colours repeat: " + strokes);
            charts++;
        }
        assertEquals(7, charts);
    }

    @Test
    void moreSeriesThanColoursAreLabelledDirectly() {
        final List<Svg.Series> series = new ArrayList<>();
        for (int i = 0; i <= Svg.PALETTE.length; i++) {
            series.add(new Svg.Series("s" + i, List.of(new double[] {0, i + 1.0}, new double[] {1, i + 2.0}), false));
        }
        final String svg = Svg.lineChart("t", "x", "y", List.of(new Svg.Tick(0, "a"), new Svg.Tick(1, "b")), series);
        final Set<String> labels = new HashSet<>();
        final Matcher m = Pattern.compile("<text [^>]*class=\"direct\"[^>]*>(\\d+)</text>").matcher(svg);
        while (m.find()) {
            labels.add(m.group(1));
        }
        assertEquals(series.size(), labels.size(), "every line numbered at its end");
        assertTrue(svg.contains(">17 s16<"), "the legend carries the same number");
    }

    @Test
    void fallbackThresholdIsQuickRunsOwn() throws ReflectiveOperationException {
        // CpuMonitor is package-private in io.softdsa.bench; read its threshold the only way a test here can
        final var field = Class.forName("io.softdsa.bench.CpuMonitor").getDeclaredField("DISTURBED");
        field.setAccessible(true);
        assertEquals(field.getDouble(null), RunRow.DISTURBED);
    }

    private static String chart(String html, String title) {
        final int t = html.indexOf("font-weight=\"bold\">" + title);
        assertTrue(t > 0, title);
        final int start = html.lastIndexOf("<svg ", t);
        return html.substring(start, html.indexOf("</svg>", t));
    }

    private static List<String> yTicks(String chart) {
        final List<String> ticks = new ArrayList<>();
        final Matcher m = Pattern.compile("class=\"ytick\">([^<]+)<").matcher(chart);
        while (m.find()) {
            ticks.add(m.group(1));
        }
        return ticks;
    }
}
