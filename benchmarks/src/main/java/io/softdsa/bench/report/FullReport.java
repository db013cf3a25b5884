package io.softdsa.bench.report;

import io.softdsa.bench.QuickRun;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The long command: runs the JMH suite through JMH's Java API (results as JSON in {@code DIR/jmh.json}), QuickRun's
 * latency runs (HdrHistogram files in {@code DIR/hgrm/}), then writes {@code DIR/report.html}, a self-contained
 * page with inline SVG charts: throughput against transfer size next to the CPU baseline, PASID off/on, batch sizes,
 * portal against Agrona, the three device paths side by side, and latency percentiles (log10 value axis when they
 * span decades). QuickRun's rows ({@code DIR/quickrun.json}) add a banner naming the rows other processes disturbed
 * and caveats beside unstable or negative figures; {@code scripts/report-screenshot.sh} checks the page in headless
 * Chromium.
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
 *      -cp benchmarks/target/benchmarks.jar io.softdsa.bench.report.FullReport [--quick] [--include REGEX] [--out DIR]
 * </pre>
 * The full mode uses every benchmark's own iteration counts and every {@code @Param} value (about 200 forks of 8 s
 * of measurement each: roughly 35 minutes on two cores); {@code --quick} runs one 0.5 s warm-up and one 1 s
 * measurement per fork over a reduced grid (sizes 4 KiB, 64 KiB and 1 MiB, shared WQ, one engine): about 5 minutes.
 */
public final class FullReport {
    static final String SUITE = "io\\.softdsa\\.bench\\.jmh\\..*";
    static final String USAGE = """
        usage: FullReport [--quick] [--include REGEX]... [--out DIR] [--no-latency] [--report-only]
          --quick         short iterations on a reduced parameter grid: about 5 minutes (default: full, ~35 min)
          --include REGEX JMH benchmark regex (repeatable; default: the whole suite, %s)
          --out DIR       where jmh.json, hgrm/ and report.html go (default: results)
          --no-latency    do not run QuickRun's latency rows; use DIR/hgrm/*.hgrm if present
          --report-only   run nothing: render DIR/report.html from DIR/jmh.json, DIR/hgrm/, DIR/quickrun.json
        The JVM needs --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED.
        """.formatted(SUITE);

    /** The parsed command line. */
    record Options(boolean quick, List<String> includes, Path out, boolean latency, boolean reportOnly) {
        static Options parse(String... args) {
            boolean quick = false;
            boolean latency = true;
            boolean reportOnly = false;
            final List<String> includes = new ArrayList<>();
            Path out = Path.of("results");
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> quick = true;
                    case "--include" -> includes.add(value(args, ++i));
                    case "--out" -> out = Path.of(value(args, ++i));
                    case "--no-latency" -> latency = false;
                    case "--report-only" -> reportOnly = true;
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + "\n" + USAGE);
                }
            }
            if (includes.isEmpty()) {
                includes.add(SUITE);
            }
            return new Options(quick, List.copyOf(includes), out, latency, reportOnly);
        }

        private static String value(String[] args, int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException(args[i - 1] + " needs a value\n" + USAGE);
            }
            return args[i];
        }
    }

    private FullReport() {
    }

    public static void main(String[] args) throws IOException, RunnerException {
        if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            System.out.println(USAGE);
            return;
        }
        final Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        final long start = System.nanoTime();
        Files.createDirectories(options.out());
        final Path json = options.out().resolve("jmh.json");
        final Path hgrm = options.out().resolve("hgrm");
        if (!options.reportOnly()) {
            new Runner(jmhOptions(options, json).build()).run();
            if (options.latency()) {
                System.out.println("\nLatency: QuickRun rows, HdrHistogram files to " + hgrm);
                QuickRun.run(System.out, "--seconds-per-row", options.quick() ? "2" : "6", "--hgrm-dir",
                    hgrm.toString(), "--json", options.out().resolve("quickrun.json").toString());
            }
        }
        final Path html = options.out().resolve("report.html");
        final List<String> context = List.of(
            "Generated " + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")) + " on "
                + Runtime.getRuntime().availableProcessors() + " CPUs, " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.vm.version") + iterations(options),
            "Sources: " + json + " (JMH), " + hgrm + "/*.hgrm (QuickRun latency) and "
                + options.out().resolve("quickrun.json") + " (QuickRun rows).");
        Files.writeString(html, Html.render("softdsa benchmark report", context,
            Files.exists(json) ? JmhResult.read(json) : List.of(), Hgrm.readDir(hgrm),
            RunRow.read(options.out().resolve("quickrun.json"))));
        System.out.printf("%nReport written to %s (%.0f s in all)%n", html, (System.nanoTime() - start) / 1e9);
        // the page is only as good as it renders: say how to look at it without opening a browser
        System.out.printf("To check it in headless Chromium: scripts/report-screenshot.sh %s %s%n", html,
            options.out().resolve("report.png"));
    }

    /** How the figures were measured; with --report-only this run measured nothing, so it cannot say. */
    private static String iterations(Options options) {
        if (options.reportOnly()) {
            return ", re-rendered from saved results (--report-only: how they were measured is not recorded here)";
        }
        return options.quick() ? ", --quick (short iterations: indicative figures only)" : ", full iterations";
    }

    /** JMH options: the includes, JSON to {@code json}; for --quick short iterations and a reduced grid. */
    static ChainedOptionsBuilder jmhOptions(Options options, Path json) {
        final ChainedOptionsBuilder b = new OptionsBuilder()
            .resultFormat(ResultFormatType.JSON)
            .result(json.toString())
            .shouldFailOnError(false);
        for (String include : options.includes()) {
            b.include(include);
        }
        if (options.quick()) {
            b.forks(1)
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(500))
                .measurementIterations(1).measurementTime(TimeValue.seconds(1))
                .param("size", "4096", "65536", "1048576")
                .param("mode", "shared")
                .param("engines", "1");
        }
        return b;
    }
}
