package io.softdsa.bench;

import io.softdsa.memory.HostMemory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A one-minute comparison of softdsa against what the same JVM does without it, printed as a table: for each row,
 * the device's pipelined throughput, the CPU (or software-queue) baseline's throughput on the same host memory, their
 * ratio, and the device's submit-to-completion latency at a fixed offered rate.
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
 *      -cp benchmarks/target/benchmarks.jar io.softdsa.bench.QuickRun [--json results.json] [--hgrm-dir dir]
 * </pre>
 * For publishable numbers use the JMH benchmarks in {@code io.softdsa.bench.jmh}; this is the quick look.
 */
public final class QuickRun {
    /** Host memory of the run: the largest row needs three 1 MiB buffers. */
    static final long HOST_MEMORY_BYTES = 64L << 20;
    /** The warm-up pass gives each row this share of its time. */
    static final double WARM_UP_PASS_SHARE = 0.08;

    /** What a run produced: the rows measured and the rows that failed (id: reason). */
    record Report(Environment environment, List<RowResult> rows, List<String> failures) {
    }

    private QuickRun() {
    }

    public static void main(String[] args) throws IOException {
        final RunOptions options;
        try {
            options = RunOptions.parse(args);
        } catch (RunOptions.Exit e) {
            System.out.println(e.message);
            return;
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        final Report report = run(options, System.out);
        if (!report.failures().isEmpty()) {
            System.exit(1);
        }
    }

    /**
     * QuickRun from another tool in this JVM (FullReport): {@code args} as on the command line.
     *
     * @return true if every row succeeded
     */
    public static boolean run(PrintStream out, String... args) throws IOException {
        return run(RunOptions.parse(args), out).failures().isEmpty();
    }

    /** Runs the selected rows, printing the header and table to {@code out} as rows complete. */
    static Report run(RunOptions options, PrintStream out) throws IOException {
        final List<Workload> workloads = Workloads.select(options.rows());
        final List<RowResult> results = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        final long start = System.nanoTime();
        final Environment env;
        try (HostMemory memory = HostMemory.allocate(HOST_MEMORY_BYTES)) {
            env = Environment.capture(memory, options);
            env.print(out);
            if (options.counters() != null) {
                out.println("device counters in " + options.counters() + " (watch them: ./softdsa stat "
                    + options.counters() + ")");
            }
            warmUp(workloads, new RowRunner(memory, options.scaled(WARM_UP_PASS_SHARE)), out);
            final RowRunner runner = new RowRunner(memory, options);
            final ResultTable table = new ResultTable(out, workloads);
            table.printHeader();
            for (Workload w : workloads) {
                try {
                    final RowResult r = runner.run(w);
                    results.add(r);
                    table.print(r);
                    if (options.hgrmDir() != null) {
                        writeHgrm(options.hgrmDir(), r);
                    }
                } catch (RuntimeException e) {
                    failures.add(w.id() + ": " + e);
                    table.printFailure(w, e);
                }
            }
            out.printf("%n%d row%s in %.1f s%s%n", results.size(), results.size() == 1 ? "" : "s",
                (System.nanoTime() - start) / 1e9,
                failures.isEmpty() ? "" : ", " + failures.size() + " failed");
            table.printDisturbed(results);
            table.printHandOffs(results);
        }
        if (options.json() != null) {
            JsonReport.write(options.json(), env, results);
            out.println("JSON written to " + options.json());
        }
        if (options.hgrmDir() != null) {
            out.println("latency percentiles written to " + options.hgrmDir() + "/<row>.hgrm (values in µs)");
        }
        return new Report(env, List.copyOf(results), List.copyOf(failures));
    }

    /**
     * Every row once, briefly, results discarded: the code shared by all rows (submission, polling, the meters)
     * and each operation's engine path get compiled before anything is measured, so the first rows do not meet a
     * cold JVM and fewer compilations later steal one of the two busy cores.
     */
    private static void warmUp(List<Workload> workloads, RowRunner brief, PrintStream out) {
        out.print("JIT warm-up pass over every row ...");
        out.flush();
        final long start = System.nanoTime();
        for (Workload w : workloads) {
            try {
                brief.run(w);
            } catch (RuntimeException e) {
                // the measured pass runs the row again and reports the failure
            }
        }
        out.printf(" %.1f s%n%n", (System.nanoTime() - start) / 1e9);
    }

    private static void writeHgrm(Path dir, RowResult r) throws IOException {
        Files.createDirectories(dir);
        try (PrintStream ps = new PrintStream(Files.newOutputStream(dir.resolve(r.id() + ".hgrm")), false,
            StandardCharsets.UTF_8)) {
            r.latency().histogram().outputPercentileDistribution(ps, 1000.0);
        }
    }
}
