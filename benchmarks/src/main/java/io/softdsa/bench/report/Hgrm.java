package io.softdsa.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A HdrHistogram percentile distribution as {@code outputPercentileDistribution} writes it (QuickRun's
 * {@code <row>.hgrm} files, values in µs): the (value, percentile) lines and the reported maximum.
 */
record Hgrm(String name, List<double[]> points, double max) {

    /** Every {@code *.hgrm} of {@code dir}, by name; empty if the directory does not exist. */
    static List<Hgrm> readDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        final List<Hgrm> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".hgrm")).sorted().toList()) {
                final String file = f.getFileName().toString();
                out.add(parse(file.substring(0, file.length() - ".hgrm".length()), Files.readString(f)));
            }
        }
        return out;
    }

    static Hgrm parse(String name, String text) {
        final List<double[]> points = new ArrayList<>();
        double max = Double.NaN;
        for (String raw : text.split("\n")) {
            final String line = raw.strip();
            if (line.startsWith("#[Max")) {
                max = Double.parseDouble(line.substring(line.indexOf('=') + 1, line.indexOf(',')).strip());
                continue;
            }
            final String[] cols = line.split("\\s+");
            if (cols.length == 4) {
                try {
                    points.add(new double[] {Double.parseDouble(cols[0]), Double.parseDouble(cols[1])});
                } catch (NumberFormatException e) {
                    // the column header line
                }
            }
        }
        if (points.isEmpty()) {
            throw new IllegalArgumentException(name + ": no percentile lines");
        }
        if (Double.isNaN(max)) {
            max = points.getLast()[0];
        }
        return new Hgrm(name, List.copyOf(points), max);
    }

    /** The value at {@code percentile} (0..100): the first line at or above it. */
    double at(double percentile) {
        final double p = percentile / 100;
        for (double[] pt : points) {
            if (pt[1] >= p - 1e-12) {
                return pt[0];
            }
        }
        return points.getLast()[0];
    }
}
