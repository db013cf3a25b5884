package io.softdsa.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Inline SVG charts drawn by hand: a line chart over a caller-transformed x axis (log2 of the transfer size, or
 * "nines" of a percentile) and a horizontal bar chart. Everything is in the returned markup; no script, no style
 * sheet.
 */
final class Svg {
    /**
     * Sixteen distinguishable colours: the largest chart of the report is the latency chart with one series per
     * QuickRun row (13 today). A chart with more series than colours also gets direct labels ({@link #lineChart}).
     */
    static final String[] PALETTE =
        {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f",
         "#bcbd22", "#393b79", "#637939", "#e7ba52", "#843c39", "#7b4173", "#00441b"};
    /** Legend width per character of a series name at font-size 12 (sans-serif averages under 7 px). */
    private static final int LEGEND_CHAR_PX = 7;
    private static final int W = 640;
    private static final int H = 340;
    private static final int LEFT = 64;
    private static final int RIGHT = 190;
    private static final int TOP = 30;
    private static final int BOTTOM = 46;

    /** A tick on the x axis: position (already transformed) and label. */
    record Tick(double x, String label) {
    }

    /** A line: points are (transformed x, y); a dashed line is a baseline. */
    record Series(String name, List<double[]> points, boolean dashed) {
    }

    /** A bar: label and value. */
    record Bar(String label, double value) {
    }

    private Svg() {
    }

    static String lineChart(String title, String xLabel, String yLabel, List<Tick> ticks, List<Series> series) {
        return lineChart(title, xLabel, yLabel, ticks, series, false);
    }

    /**
     * A line chart; with {@code logY} the value axis is log10 with decade ticks when the data spans more than a
     * decade ({@link ValueAxis}). More series than {@link #PALETTE} colours: every line is numbered at its end and
     * in the legend, so no two series are told apart by colour alone.
     */
    static String lineChart(String title, String xLabel, String yLabel, List<Tick> ticks, List<Series> series,
                            boolean logY) {
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        final List<Double> ys = new ArrayList<>();
        for (Tick t : ticks) {
            xMin = Math.min(xMin, t.x());
            xMax = Math.max(xMax, t.x());
        }
        for (Series s : series) {
            for (double[] p : s.points()) {
                xMin = Math.min(xMin, p[0]);
                xMax = Math.max(xMax, p[0]);
                ys.add(p[1]);
            }
        }
        if (!(xMax > xMin)) {
            xMin -= 1;
            xMax += 1;
        }
        final ValueAxis axis = ValueAxis.over(ys, logY);
        final boolean numbered = series.size() > PALETTE.length;
        final double plotW = W - LEFT - RIGHT;
        final double plotH = H - TOP - BOTTOM;
        final double x0 = xMin;
        final double xSpan = xMax - xMin;
        // The legend sits right of the plot; the chart widens so that no series name is clipped.
        int longest = 0;
        for (int i = 0; i < series.size(); i++) {
            longest = Math.max(longest, legendName(series, i, numbered).length());
        }
        final int width = Math.max(W, W - RIGHT + 46 + LEGEND_CHAR_PX * longest);
        final int height = Math.max(H, TOP + 10 + series.size() * 18 + 10);
        final StringBuilder b = open(title, width, height, axis.log() ? "log" : "linear");
        // grid and y ticks
        for (double y : axis.ticks()) {
            final double py = TOP + plotH - axis.fraction(y) * plotH;
            b.append(line(LEFT, py, LEFT + plotW, py, "#e0e0e0"));
            b.append(fmt("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"ytick\">%s</text>%n", LEFT - 6.0,
                py + 4, Html.escape(num(y))));
        }
        for (Tick t : ticks) {
            final double px = LEFT + (t.x() - x0) / xSpan * plotW;
            b.append(line(px, TOP, px, TOP + plotH, "#f0f0f0"));
            b.append(text(px, TOP + plotH + 16, "middle", t.label()));
        }
        b.append(line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "#333"));
        b.append(line(LEFT, TOP, LEFT, TOP + plotH, "#333"));
        b.append(text(LEFT + plotW / 2, H - 8, "middle", xLabel));
        final String yTitle = axis.log() ? yLabel + " (log scale)" : yLabel;
        b.append(fmt("<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.1f)\">%s</text>%n",
            TOP + plotH / 2, TOP + plotH / 2, Html.escape(yTitle)));
        for (int i = 0; i < series.size(); i++) {
            final Series s = series.get(i);
            final String color = PALETTE[i % PALETTE.length];
            final StringBuilder pts = new StringBuilder();
            double lastX = Double.NaN;
            double lastY = Double.NaN;
            for (double[] p : s.points()) {
                final double f = axis.fraction(p[1]);
                if (Double.isNaN(f)) {
                    continue;
                }
                final double px = LEFT + (p[0] - x0) / xSpan * plotW;
                final double py = TOP + plotH - f * plotH;
                pts.append(fmt("%.1f,%.1f ", px, py));
                b.append(fmt("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s: %s</title></circle>%n",
                    px, py, color, Html.escape(s.name()), num(p[1])));
                lastX = px;
                lastY = py;
            }
            b.append(fmt("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"%s\"/>%n", color,
                s.dashed() ? " stroke-dasharray=\"6 4\"" : "", pts.toString().strip()));
            if (numbered && !Double.isNaN(lastX)) {
                b.append(fmt("<text x=\"%.1f\" y=\"%.1f\" class=\"direct\" fill=\"%s\" font-size=\"10\">%d</text>%n",
                    lastX + 4, lastY - 3, color, i + 1));
            }
            final double ly = TOP + 10 + i * 18;
            b.append(fmt("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
                W - RIGHT + 12, ly - 4, W - RIGHT + 34, ly - 4, color, s.dashed() ? " stroke-dasharray=\"6 4\"" : ""));
            b.append(text(W - RIGHT + 40, ly, "start", legendName(series, i, numbered)));
        }
        return b.append("</svg>\n").toString();
    }

    private static String legendName(List<Series> series, int i, boolean numbered) {
        return numbered ? (i + 1) + " " + series.get(i).name() : series.get(i).name();
    }

    static String barChart(String title, String unit, List<Bar> bars) {
        final int rowH = 26;
        final int h = TOP + bars.size() * rowH + 20;
        double max = 0;
        int longestLabel = 0;
        int longestValue = 0;
        for (Bar bar : bars) {
            if (Double.isFinite(bar.value())) {
                max = Math.max(max, bar.value());
            }
            longestLabel = Math.max(longestLabel, bar.label().length());
            longestValue = Math.max(longestValue, (num(bar.value()) + " " + unit).length());
        }
        // labels left of the bars and figures right of them widen the chart rather than run off its edges
        final int labelW = Math.max(230, 16 + LEGEND_CHAR_PX * longestLabel);
        final double plotW = W - 230 - 90;
        final int width = (int) Math.max(W, labelW + plotW + 16 + LEGEND_CHAR_PX * longestValue);
        final StringBuilder b = new StringBuilder(fmt(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\" role=\"img\">%n", width, h, width, h));
        b.append(fmt("<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>%n", 8,
            Html.escape(title)));
        for (int i = 0; i < bars.size(); i++) {
            final Bar bar = bars.get(i);
            final double y = TOP + i * rowH;
            // a negative or unknown figure draws no bar (its number still shows); SVG rejects a negative width
            final double w = max > 0 && bar.value() > 0 ? bar.value() / max * plotW : 0;
            b.append(text(labelW - 8, y + 16, "end", bar.label()));
            b.append(fmt("<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s: %s %s</title>"
                + "</rect>%n", labelW, y + 4, w, rowH - 8, PALETTE[i % PALETTE.length], Html.escape(bar.label()),
                num(bar.value()), Html.escape(unit)));
            b.append(text(labelW + w + 6, y + 16, "start", num(bar.value()) + " " + unit));
        }
        return b.append("</svg>\n").toString();
    }

    private static StringBuilder open(String title, int width, int height, String yScale) {
        // data-y-scale says which value axis was drawn, for readers of the markup and the tests
        final StringBuilder b = new StringBuilder(fmt(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " data-y-scale=\"%s\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">%n", width, height,
            width, height, yScale));
        b.append(fmt("<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>%n", LEFT,
            Html.escape(title)));
        return b;
    }

    /** 1, 2 or 5 times a power of ten, about a fifth of {@code max}. */
    static double niceStep(double max) {
        final double raw = max / 5;
        final double pow = Math.pow(10, Math.floor(Math.log10(raw)));
        final double m = raw / pow;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
    }

    /** A figure with three significant digits at most, no exponent. */
    static String num(double v) {
        if (!Double.isFinite(v)) {
            return "-";
        }
        final double a = Math.abs(v);
        if (a == 0) {
            return "0";
        }
        if (a >= 100) {
            return fmt("%.0f", v);
        }
        if (a >= 10) {
            return stripZeros(fmt("%.1f", v));
        }
        if (a >= 1) {
            return stripZeros(fmt("%.2f", v));
        }
        // %.3g turns to an exponent below 1e-4 ("9.93e-05"); BigDecimal keeps the plain form the page promises
        return stripZeros(new java.math.BigDecimal(v).round(new java.math.MathContext(3)).toPlainString());
    }

    private static String stripZeros(String s) {
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    private static String line(double x1, double y1, double x2, double y2, String color) {
        return fmt("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n", x1, y1, x2, y2, color);
    }

    private static String text(double x, double y, String anchor, String s) {
        return fmt("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>%n", x, y, anchor, Html.escape(s));
    }

    static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
