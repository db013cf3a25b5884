package io.softdsa.bench;

import io.softdsa.bench.support.Pipeline;
import io.softdsa.bench.support.RingRelay;
import io.softdsa.bench.support.Testbed;
import io.softdsa.memory.HostMemory;

import java.io.PrintStream;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Where and how the figures were taken: the header of the table and of the JSON file. */
record Environment(String date, String jvm, int cpus, String os, long hostMemoryBytes, boolean mmapped,
                   RunOptions options) {
    private static final int WIDTH = 112;

    static Environment capture(HostMemory memory, RunOptions options) {
        final String date = ZonedDateTime.now(ZoneOffset.UTC).withNano(0).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        final String jvm = System.getProperty("java.vm.name") + " " + Runtime.version()
            + " (" + System.getProperty("java.vm.vendor") + ")";
        final String os = System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
            + System.getProperty("os.arch");
        return new Environment(date, jvm, Runtime.getRuntime().availableProcessors(), os, memory.size(),
            memory.isMmapped(), options);
    }

    void print(PrintStream out) {
        out.println("softdsa QuickRun");
        out.printf("  date         %s%n", date);
        out.printf("  JVM          %s%n", jvm);
        out.printf("  CPUs         %d  (%s)%n", cpus, os);
        out.printf("  host memory  %s (%s)%n", Sizes.readable(hostMemoryBytes),
            mmapped ? "anonymous mmap" : "Arena.allocate");
        out.println();
        out.println("How the figures were measured:");
        for (Map.Entry<String, String> e : method().entrySet()) {
            final List<String> lines = wrap(e.getValue(), WIDTH - 14);
            for (int i = 0; i < lines.size(); i++) {
                out.printf("  %-11s %s%n", i == 0 ? e.getKey() : "", lines.get(i));
            }
        }
        out.println();
    }

    /** How the figures were measured, by aspect. */
    Map<String, String> method() {
        final Map<String, String> m = new LinkedHashMap<>();
        m.put("throughput", String.format(Locale.ROOT, "1 busy-spinning engine; 1 submitting thread keeps %d "
            + "descriptors in flight (ENQCMD into a shared WQ of %d); %.2f s warm-up and %.2f s measured in all, "
            + "split over the interleaved pairs. "
            + "GB/s = transfer size x descriptors completed per second / 10^9.", Pipeline.DEFAULT_WINDOW,
            Testbed.WQ_SIZE, options.warmupNanos() / 1e9, options.throughputNanos() / 1e9));
        m.put("baseline", "the same work on the submitting thread over the same host memory, with the device "
            + "closed; ratio = softdsa / baseline, measured in " + RowRunner.PAIRS + " interleaved pairs (softdsa, "
            + "baseline, softdsa, baseline, ...; a fresh device per pair, each with its share of the time): the "
            + "median pair's figures, the pairs' min-max ratio.");
        m.put("portal", String.format(Locale.ROOT, "64-byte no-ops accepted by the WQ and retired by the engine, "
            + "against 64-byte records written to an Agrona ring (%d KiB) and read by a busy-spinning consumer "
            + "thread.", RingRelay.CAPACITY / 1024));
        m.put("latency", String.format(Locale.ROOT, "one descriptor at a time at a fixed offered rate (at most "
            + "%d/s, see \"at rate\"), %.2f s; submit to completion counted from the intended send time "
            + "(coordinated-omission aware), recorded in an HdrHistogram.", options.maxLatencyRate(),
            options.latencyNanos() / 1e9));
        m.put("checked", "before timing, each row's device output is compared with the baseline's (bytes, CRC, "
            + "compare result); rows marked * ran while other processes took over "
            + Math.round(CpuMonitor.DISTURBED * 100) + "% of the CPU time.");
        return m;
    }

    private static List<String> wrap(String text, int width) {
        final List<String> lines = new ArrayList<>();
        final StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (!line.isEmpty() && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (!line.isEmpty()) {
                line.append(' ');
            }
            line.append(word);
        }
        lines.add(line.toString());
        return lines;
    }
}
