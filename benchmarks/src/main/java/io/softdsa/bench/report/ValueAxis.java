package io.softdsa.bench.report;

import java.util.ArrayList;
import java.util.List;

/**
 * The value (y) axis of a line chart: linear from 0 with 1-2-5 steps, or log10 with one tick per decade. Log is
 * chosen only when asked for and when the positive data spans more than a decade: a latency tail of ~1 ms next to
 * ~1 µs medians flattens every median onto the x axis of a linear chart, while data within one decade reads better
 * linearly.
 */
record ValueAxis(double min, double max, boolean log, List<Double> ticks) {

    /** Axis over {@code values}; {@code logAllowed} lets a wide-spanning axis go log10. */
    static ValueAxis over(List<Double> values, boolean logAllowed) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (double v : values) {
            if (Double.isFinite(v) && v > 0) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (logAllowed && hi > 0 && hi / lo > 10) {
            final int first = (int) Math.floor(Math.log10(lo));
            final int last = (int) Math.ceil(Math.log10(hi));
            final List<Double> ticks = new ArrayList<>();
            for (int k = first; k <= last; k++) {
                ticks.add(Math.pow(10, k));
            }
            return new ValueAxis(ticks.getFirst(), ticks.getLast(), true, List.copyOf(ticks));
        }
        double yMax = 0;
        for (double v : values) {
            if (Double.isFinite(v)) {
                yMax = Math.max(yMax, v);
            }
        }
        final double step = Svg.niceStep(yMax > 0 ? yMax : 1);
        final double top = Math.max(step, Math.ceil(yMax * 1.05 / step) * step);
        final List<Double> ticks = new ArrayList<>();
        for (int i = 0; i * step <= top + step / 2; i++) {
            ticks.add(i * step);
        }
        return new ValueAxis(0, top, false, List.copyOf(ticks));
    }

    /** Where {@code v} sits, 0 at the bottom and 1 at the top; NaN if it cannot be drawn (not positive on log). */
    double fraction(double v) {
        if (!Double.isFinite(v)) {
            return Double.NaN;
        }
        if (log) {
            return v > 0 ? (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) : Double.NaN;
        }
        return (v - min) / (max - min);
    }
}
