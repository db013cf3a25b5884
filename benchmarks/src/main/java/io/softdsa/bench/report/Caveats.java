package io.softdsa.bench.report;

import java.util.List;
import java.util.Locale;

/**
 * The warnings the page puts next to figures a reader should not take at face value: a banner when other processes
 * took CPU time during the run, and a caveat beside a figure that is negative where only a cost makes sense or
 * whose interleaved pairs disagree by more than {@link #SPREAD}.
 */
final class Caveats {
    /** A ratio whose pairs range further than this from the median pair is called unstable. */
    static final double SPREAD = 0.10;

    private Caveats() {
    }

    /** The banner's HTML, or "" when no row was disturbed. */
    static String banner(List<RunRow> rows) {
        final List<String> hit = rows.stream().filter(RunRow::disturbed)
            .map(r -> String.format(Locale.ROOT, "%s (%.0f %%)", r.id(), r.foreignCpuShare() * 100)).toList();
        if (hit.isEmpty()) {
            return "";
        }
        return "<div class=\"banner\" role=\"alert\"><strong>This run was disturbed.</strong> Other processes (or the "
            + "hypervisor, as steal) took more than " + Math.round(RunRow.DISTURBED * 100) + " % of all CPU time "
            + "during " + hit.size() + " row" + (hit.size() == 1 ? "" : "s") + ": "
            + Html.escape(String.join(", ", hit)) + ". Those rows' figures are not trustworthy, and the JMH figures "
            + "measured earlier in the same run were not monitored; rerun on a quiet machine.</div>\n";
    }

    /**
     * Why a ratio (softdsa / baseline) should not be quoted, or "" when it is fine: its pairs range beyond
     * ±{@link #SPREAD} of the median pair, or it is not positive.
     */
    static String ratio(double ratio, double min, double max) {
        if (!(ratio > 0)) {
            return "not positive: a measurement fault, not a result";
        }
        if (min < ratio * (1 - SPREAD) || max > ratio * (1 + SPREAD)) {
            return String.format(Locale.ROOT, "unstable: interleaved pairs range %sx to %sx (more than ±%.0f %% of "
                + "the median)", Svg.num(min), Svg.num(max), SPREAD * 100);
        }
        return "";
    }

    /**
     * Nanoseconds per descriptor some feature adds. A negative difference is not a saving: the two runs differ by
     * more than the feature costs (noise on a loaded machine).
     */
    static String added(double ns) {
        return ns < 0 ? "negative: noise between the runs, not a saving; rerun on a quiet machine" : "";
    }
}
