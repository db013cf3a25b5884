package io.softdsa.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One entry of JMH's JSON result file.
 *
 * @param benchmarkClass simple class name ({@code DsaDataOps})
 * @param method         benchmark method ({@code memmove})
 * @param mode           JMH mode ({@code thrpt}, {@code sample}, ...)
 * @param params         the {@code @Param} values of this run
 * @param score          primary score in {@code unit}
 * @param error          its 99.9 % error, NaN if unknown (one iteration)
 * @param percentiles    the primary metric's percentiles (sample mode), percentile to value
 * @param secondary      secondary scores by name ({@code bytes}, {@code descriptors}), in their own per-second rate
 */
record JmhResult(String benchmarkClass, String method, String mode, Map<String, String> params, double score,
                 double error, String unit, Map<Double, Double> percentiles, Map<String, Double> secondary) {

    static List<JmhResult> read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    @SuppressWarnings("unchecked")
    static List<JmhResult> parse(String json) {
        final List<JmhResult> out = new ArrayList<>();
        for (Object o : (List<Object>) Json.parse(json)) {
            final Map<String, Object> e = (Map<String, Object>) o;
            final String benchmark = (String) e.get("benchmark");
            final int lastDot = benchmark.lastIndexOf('.');
            final String owner = benchmark.substring(0, lastDot);
            final Map<String, String> params = new LinkedHashMap<>();
            if (e.get("params") instanceof Map<?, ?> p) {
                p.forEach((k, v) -> params.put((String) k, String.valueOf(v)));
            }
            final Map<String, Object> primary = (Map<String, Object>) e.get("primaryMetric");
            final Map<Double, Double> percentiles = new LinkedHashMap<>();
            if (primary.get("scorePercentiles") instanceof Map<?, ?> p) {
                p.forEach((k, v) -> percentiles.put(Double.parseDouble((String) k), Json.number(v)));
            }
            final Map<String, Double> secondary = new LinkedHashMap<>();
            if (e.get("secondaryMetrics") instanceof Map<?, ?> s) {
                s.forEach((k, v) -> secondary.put((String) k, Json.number(((Map<String, Object>) v).get("score"))));
            }
            out.add(new JmhResult(owner.substring(owner.lastIndexOf('.') + 1), benchmark.substring(lastDot + 1),
                (String) e.get("mode"), params, Json.number(primary.get("score")),
                Json.number(primary.get("scoreError")), (String) primary.get("scoreUnit"), percentiles, secondary));
        }
        return out;
    }

    /** {@code DsaDataOps.memmove}. */
    String name() {
        return benchmarkClass + "." + method;
    }

    String param(String name) {
        return params.get(name);
    }

    /** An integer {@code @Param}, or -1 if absent. */
    long longParam(String name) {
        final String v = params.get(name);
        return v == null ? -1 : Long.parseLong(v);
    }

    /** Transfer bytes per second, from the {@code :bytes} secondary result; NaN if there is none. */
    double bytesPerSecond() {
        return secondary.getOrDefault("bytes", Double.NaN);
    }
}
