package io.softdsa.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One row of QuickRun's JSON ({@code DIR/quickrun.json}, written by {@code JsonReport}): what the report needs to
 * warn about it, the median-pair ratio with the range of the interleaved pairs, and the share of CPU time other
 * processes took while it ran.
 *
 * @param disturbed whether QuickRun flagged the row (its own threshold; older files without the field are judged
 *                  against {@link #DISTURBED})
 */
record RunRow(String id, String operation, String unit, double softdsa, String baselineName, double baseline,
              double ratio, double ratioMin, double ratioMax, double foreignCpuShare, boolean disturbed) {

    /**
     * CpuMonitor.DISTURBED, for files written before QuickRun recorded its verdict; kept equal by a test in the
     * bench package, since CpuMonitor is not visible from here.
     */
    static final double DISTURBED = 0.03;

    /** The rows of {@code file}; none if it does not exist (a run with --no-latency, or JMH only). */
    static List<RunRow> read(Path file) throws IOException {
        return Files.exists(file) ? parse(Files.readString(file)) : List.of();
    }

    @SuppressWarnings("unchecked")
    static List<RunRow> parse(String json) {
        final Map<String, Object> doc = (Map<String, Object>) Json.parse(json);
        final List<RunRow> rows = new ArrayList<>();
        for (Object o : (List<Object>) doc.getOrDefault("rows", List.of())) {
            final Map<String, Object> r = (Map<String, Object>) o;
            final double share = Json.number(r.get("foreignCpuShare"));
            final double ratio = Json.number(r.get("ratio"));
            final Object flag = r.get("disturbed");
            rows.add(new RunRow(String.valueOf(r.get("id")), String.valueOf(r.get("operation")),
                String.valueOf(r.getOrDefault("unit", "")), Json.number(r.get("softdsa")),
                String.valueOf(r.getOrDefault("baselineName", "")), Json.number(r.get("baseline")), ratio,
                r.containsKey("ratioMin") ? Json.number(r.get("ratioMin")) : ratio,
                r.containsKey("ratioMax") ? Json.number(r.get("ratioMax")) : ratio, share,
                flag instanceof Boolean b ? b : share > DISTURBED));
        }
        return List.copyOf(rows);
    }
}
