package io.softdsa.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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

/** Chart structure (issue 14, item 8): legends fit inside the SVG, every series has its own colour. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChartLayoutTest {
    @Test
    void longLegendNamesFitAndTwelveSeriesHaveTwelveColours() {
        final List<Svg.Series> series = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            series.add(new Svg.Series("CPU: MemorySegment.copy baseline number " + i,
                List.of(new double[] {12, i + 1.0}, new double[] {16, i + 2.0}), i % 2 == 1));
        }
        final String svg = Svg.lineChart("t", "x", "y", List.of(new Svg.Tick(12, "4 KiB"), new Svg.Tick(16, "64 KiB")),
            series);
        final Matcher size = Pattern.compile("width=\"(\\d+)\" height=\"(\\d+)\"").matcher(svg);
        assertTrue(size.find());
        final int width = Integer.parseInt(size.group(1));
        final int height = Integer.parseInt(size.group(2));
        final Matcher legend = Pattern.compile("<text x=\"([\\d.]+)\" y=\"([\\d.]+)\" text-anchor=\"start\"[^>]*>([^<]+)<")
            .matcher(svg);
        int legends = 0;
        while (legend.find()) {
            legends++;
            // 7 px per character is an upper bound of sans-serif 12 px text width for these names
            assertTrue(Double.parseDouble(legend.group(1)) + 7 * legend.group(3).length() <= width, legend.group());
            assertTrue(Double.parseDouble(legend.group(2)) <= height, legend.group());
        }
        assertEquals(12, legends);
        final Set<String> colours = new HashSet<>();
        final Matcher stroke = Pattern.compile("<polyline fill=\"none\" stroke=\"(#[0-9a-f]{6})\"").matcher(svg);
        while (stroke.find()) {
            colours.add(stroke.group(1));
        }
        assertEquals(12, colours.size());
    }

    @Test
    void barLabelsAndFiguresFitInsideTheChart() {
        final String longLabel = "virtualDevice through a forwarding VFIO device, 4 KiB";
        final String svg = Svg.barChart("t", "GB/s", List.of(new Svg.Bar(longLabel, 123456.0),
            new Svg.Bar("short", -3)));
        final Matcher size = Pattern.compile("width=\"(\\d+)\"").matcher(svg);
        assertTrue(size.find());
        final int width = Integer.parseInt(size.group(1));
        final Matcher label = Pattern.compile(
            "<text x=\"([\\d.]+)\" y=\"[\\d.]+\" text-anchor=\"(end|start)\">([^<]+)<").matcher(svg);
        int texts = 0;
        while (label.find()) {
            texts++;
            final double x = Double.parseDouble(label.group(1));
            final int px = 7 * label.group(3).length();
            if (label.group(2).equals("end")) {
                assertTrue(x - px >= 0, label.group());
            } else {
                assertTrue(x + px <= width, label.group());
            }
        }
        assertEquals(4, texts);
        assertFalse(svg.contains("width=\"-"), "no negative bar width");
    }

    @Test
    void negativeAddedCostCarriesACaveat() {
        assertEquals(Svg.num(23.0), Html.added(23.0));
        assertTrue(Html.added(-615339).contains("not a saving"), Html.added(-615339));
    }
}
