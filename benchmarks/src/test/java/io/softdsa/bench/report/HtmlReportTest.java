package io.softdsa.bench.report;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Renders the report from a fixed JMH JSON sample and one .hgrm file: structure and numbers, never timing. */
class HtmlReportTest {

    private static String resource(String name) throws IOException {
        try (InputStream in = HtmlReportTest.class.getResourceAsStream("/report/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void readsTheJmhSample() throws IOException {
        final List<JmhResult> results = JmhResult.parse(resource("jmh-sample.json"));
        assertEquals(15, results.size());
        final JmhResult first = results.getFirst();
        assertEquals("DsaDataOps.memmove", first.name());
        assertEquals(4096, first.longParam("size"));
        assertEquals(5.0e6, first.score());
        assertEquals(5.0e6 * 4096, first.bytesPerSecond());
        assertTrue(Double.isNaN(first.error()), "JMH writes \"NaN\" for an unknown error");
        assertEquals(3.25, results.getLast().percentiles().get(99.0));
    }

    @Test
    void readsTheHistogram() throws IOException {
        final Hgrm h = Hgrm.parse("memmove-4k", resource("memmove-4k.hgrm"));
        assertEquals(2.25, h.at(50));
        assertEquals(4.7, h.at(99));
        assertEquals(8.8, h.at(99.9));
        assertEquals(12.3, h.max());
    }

    @Test
    void rendersEverySectionWithChartsAndFigures() throws IOException {
        final String html = Html.render("softdsa benchmark report", List.of("test <context>"),
            JmhResult.parse(resource("jmh-sample.json")), List.of(Hgrm.parse("memmove-4k", resource("memmove-4k.hgrm"))));

        assertTrue(html.startsWith("<!DOCTYPE html>") && html.endsWith("</html>\n"));
        assertFalse(html.contains("<script"), "self-contained, no script");
        assertFalse(html.contains("http-equiv") || html.contains("<link"), "no external resources");
        assertTrue(html.contains("test &lt;context&gt;"), "text is escaped");
        // memmove chart, PASID chart, 2 batch charts, latency chart: 5 line charts; portal and side-by-side: 2 bars
        assertEquals(7, count(html, "<svg "));
        assertEquals(2 + 2 + 3 + 3 + 1, count(html, "<polyline"), "lines: memmove 2, PASID 2, batch 3 + 3, latency 1");
        assertTrue(count(html, "<rect ") >= 5);
        for (String section : List.of("Throughput against transfer size", "PASID off and on", "Batch sizes",
            "Portal against Agrona ring buffers", "Bare engine, userspace DMA and virtual device",
            "Latency percentiles", "All results")) {
            assertTrue(html.contains("<h2>" + section + "</h2>"), section);
        }
        // figures: 5e6 x 4096 B/s = 20.5 GB/s device, 6e6 x 4096 = 24.6 GB/s CPU, ratio 0.833x
        assertTrue(html.contains("<td>20.5</td><td>24.6</td><td>0.833x</td>"), "memmove 4 KiB ratio row");
        assertTrue(html.contains("CPU: MemorySegment.copy"));
        assertTrue(html.contains("1 (plain descriptor)") && html.contains("batch of 32"));
        assertTrue(html.contains("<td>0.769x</td>"), "PASID on/off ratio 4.0/5.2");
        assertTrue(html.contains("20 Mops/s") && html.contains("16 Mops/s"), "portal and Agrona bars");
        assertTrue(html.contains("<td>memmove-4k</td><td>2.25</td><td>3.1</td><td>4.7</td><td>8.8</td><td>12.3</td>"),
            "hgrm percentile row");
        assertTrue(html.contains("<td>3.25</td>"), "round-trip p99 from the sample percentiles");
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
