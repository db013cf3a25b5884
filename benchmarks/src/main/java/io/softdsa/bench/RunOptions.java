package io.softdsa.bench;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * QuickRun's command line.
 *
 * @param secondsPerRow wall time of one row: warm-ups, softdsa and baseline throughput, and latency
 * @param maxLatencyRate highest offered rate of the latency runs, per second (lowered for slow operations)
 * @param rows           row ids to run; empty = all
 * @param json           where to write the results as JSON, or null
 * @param hgrmDir        where to write one {@code <row>.hgrm} percentile file per row, or null
 * @param counters       where each row's device keeps its counters (for {@code ./softdsa stat}), or null: none
 */
record RunOptions(double secondsPerRow, long maxLatencyRate, Set<String> rows, Path json, Path hgrmDir,
                  Path counters) {
    /** The {@code --quick} profile, the default: about a minute for all rows on two cores. */
    static final double QUICK_SECONDS_PER_ROW = 6.0;
    static final long DEFAULT_LATENCY_RATE = 20_000;

    static final String USAGE = """
        usage: QuickRun [--quick] [--seconds-per-row N] [--rows id,id,...] [--latency-rate N] [--list]
                        [--json FILE] [--hgrm-dir DIR] [--counters FILE]
          --quick              the default profile: %.0f s per row, about a minute for the table
          --seconds-per-row N  wall time per row (warm-up, throughput of both sides, latency); fractions allowed
          --rows ids           run only these rows (see --list)
          --latency-rate N     highest offered rate of the latency runs, per second (default %d)
          --json FILE          also write the results as JSON
          --hgrm-dir DIR       also write each row's latency percentiles as DIR/<row>.hgrm (HdrHistogram format)
          --list               print the row ids and exit
          --counters FILE      each row's device keeps its counters in FILE: watch them with ./softdsa stat FILE
                               (every row's device replaces the file; stat follows)
        The JVM needs --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED.
        """.formatted(QUICK_SECONDS_PER_ROW, DEFAULT_LATENCY_RATE);

    RunOptions {
        if (!(secondsPerRow > 0) || secondsPerRow > 3600) {
            throw new IllegalArgumentException("--seconds-per-row must be in (0, 3600]: " + secondsPerRow);
        }
        if (maxLatencyRate < 1 || maxLatencyRate > 10_000_000) {
            throw new IllegalArgumentException("--latency-rate must be 1..10000000: " + maxLatencyRate);
        }
        rows = Set.copyOf(rows);
    }

    static RunOptions defaults() {
        return new RunOptions(QUICK_SECONDS_PER_ROW, DEFAULT_LATENCY_RATE, Set.of(), null, null, null);
    }

    /** Thrown for {@code --help} and {@code --list}: not an error, nothing to run. */
    static final class Exit extends RuntimeException {
        final String message;

        Exit(String message) {
            super(message, null, false, false);
            this.message = message;
        }
    }

    static RunOptions parse(String... args) {
        double seconds = QUICK_SECONDS_PER_ROW;
        long rate = DEFAULT_LATENCY_RATE;
        final Set<String> rows = new LinkedHashSet<>();
        Path json = null;
        Path hgrm = null;
        Path counters = null;
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            switch (arg) {
                case "--quick" -> seconds = QUICK_SECONDS_PER_ROW;
                case "--seconds-per-row" -> seconds = parseDouble(arg, value(args, ++i, arg));
                case "--latency-rate" -> rate = parseLong(arg, value(args, ++i, arg));
                case "--rows" -> {
                    for (String id : value(args, ++i, arg).split(",")) {
                        if (!id.isBlank()) {
                            rows.add(id.strip());
                        }
                    }
                }
                case "--json" -> json = Path.of(value(args, ++i, arg));
                case "--hgrm-dir" -> hgrm = Path.of(value(args, ++i, arg));
                case "--counters" -> counters = Path.of(value(args, ++i, arg));
                case "--list" -> throw new Exit(String.join("\n", Workloads.ids(Workloads.all())));
                case "-h", "--help" -> throw new Exit(USAGE);
                default -> throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
            }
        }
        final RunOptions options = new RunOptions(seconds, rate, rows, json, hgrm, counters);
        Workloads.select(options.rows()); // reject unknown row ids before anything runs
        return options;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static double parseDouble(String option, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": not a number: " + v);
        }
    }

    private static long parseLong(String option, String v) {
        try {
            return Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": not an integer: " + v);
        }
    }

    /** The same run with {@code factor} times the time per row (the JIT warm-up pass). */
    RunOptions scaled(double factor) {
        return new RunOptions(secondsPerRow * factor, maxLatencyRate, rows, json, hgrmDir, counters);
    }

    /** How a row's time is split: 5 % warm-up before each of the three phases, then 30 / 25 / 30 %. */
    long warmupNanos() {
        return nanos(0.05);
    }

    long throughputNanos() {
        return nanos(0.30);
    }

    long latencyNanos() {
        return nanos(0.25);
    }

    private long nanos(double share) {
        return Math.max(1_000_000L, (long) (secondsPerRow * share * 1e9));
    }
}
