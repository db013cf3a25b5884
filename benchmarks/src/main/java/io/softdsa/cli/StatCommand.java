package io.softdsa.cli;

import io.softdsa.telemetry.CounterKind;
import io.softdsa.telemetry.CountersFile;
import io.softdsa.telemetry.CountersFileException;
import io.softdsa.telemetry.CountersFileReader;
import org.agrona.concurrent.status.CountersReader;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./softdsa stat [FILE] [--interval MS] [--once]}: a device's counters, read from its counters file by another
 * process, as AeronStat reads a media driver's — every counter with its value and its rate per second, refreshed
 * every interval until interrupted; {@code --once} prints one snapshot (values only) and exits. The file is mapped
 * read-only; reading never disturbs the device. When a new device replaces the file, the next refresh follows it.
 * Exit codes: 0 done, 2 usage (bad arguments, a missing or foreign file: one line on stderr).
 */
public final class StatCommand {
    static final String USAGE = "usage: ./softdsa stat [FILE] [--interval MS] [--once]";
    static final long DEFAULT_INTERVAL_MILLIS = 1000;
    static final long MIN_INTERVAL_MILLIS = 10;
    static final long MAX_INTERVAL_MILLIS = 3_600_000;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final String CLEAR_SCREEN = "\u001b[H\u001b[2J";

    private StatCommand() {
    }

    /** The command line. */
    record Options(Path file, long intervalMillis, boolean once) {
    }

    /** A bad command line: its message is the one line printed. */
    static final class UsageError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message, null, false, false);
        }
    }

    /** Thrown for --help: not an error. */
    static final class Help extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Help() {
            super(null, null, false, false);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        System.exit(run(args, System.out, System.err, Long.MAX_VALUE));
    }

    static Options parse(String... args) {
        Path file = null;
        long interval = DEFAULT_INTERVAL_MILLIS;
        boolean once = false;
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            if (a.equals("--once")) {
                once = true;
            } else if (a.equals("--interval") || a.startsWith("--interval=")) {
                final String v;
                if (a.equals("--interval")) {
                    if (i + 1 >= args.length) {
                        throw new UsageError("--interval needs milliseconds (" + USAGE + ")");
                    }
                    v = args[++i];
                } else {
                    v = a.substring("--interval=".length());
                }
                interval = interval(v);
            } else if (a.equals("-h") || a.equals("--help")) {
                throw new Help();
            } else if (a.startsWith("-")) {
                throw new UsageError("unknown option " + a + " (" + USAGE + ")");
            } else if (file != null) {
                throw new UsageError("one FILE only (got " + file + " and " + a + ")");
            } else {
                file = Path.of(a);
            }
        }
        return new Options(file == null ? CountersFile.defaultPath() : file, interval, once);
    }

    private static long interval(String v) {
        final long ms;
        try {
            ms = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageError("--interval needs milliseconds, an integer (got: " + v + ")");
        }
        if (ms < MIN_INTERVAL_MILLIS || ms > MAX_INTERVAL_MILLIS) {
            throw new UsageError("--interval must be " + MIN_INTERVAL_MILLIS + ".." + MAX_INTERVAL_MILLIS
                + " ms (got: " + v + ")");
        }
        return ms;
    }

    /**
     * Runs the command; returns the exit code. Refreshes at most {@code refreshes} times (tests; the command line
     * runs until interrupted).
     */
    static int run(String[] args, PrintStream out, PrintStream err, long refreshes) throws InterruptedException {
        final Options o;
        try {
            o = parse(args);
        } catch (Help h) {
            out.println(USAGE);
            out.println("  FILE           a device's counters file (default " + CountersFile.defaultPath() + ")");
            out.println("  --interval MS  refresh every MS milliseconds (default " + DEFAULT_INTERVAL_MILLIS + ")");
            out.println("  --once         print one snapshot and exit");
            return 0;
        } catch (UsageError e) {
            err.println("softdsa stat: " + e.getMessage());
            return 2;
        }
        CountersFileReader reader;
        try {
            reader = CountersFileReader.open(o.file());
        } catch (CountersFileException e) {
            err.println("softdsa stat: " + e.getMessage() + (e.getMessage().endsWith("no such file")
                ? " (a device writes it when made with DeviceOptions.countersFile, e.g. ./softdsa perf --counters "
                + o.file() + ")" : ""));
            return 2;
        }
        try {
            if (o.once()) {
                out.print(render(reader, snapshot(reader), null, 0));
                return 0;
            }
            final boolean terminal = System.console() != null && System.console().isTerminal();
            Map<Integer, Long> previous = null;
            long previousNanos = 0;
            for (long n = 0; n < refreshes; n++) {
                final long now = System.nanoTime();
                final List<Row> rows = snapshot(reader);
                out.print((terminal ? CLEAR_SCREEN : n == 0 ? "" : "\n")
                    + render(reader, rows, previous, now - previousNanos));
                out.flush();
                previous = values(rows);
                previousNanos = now;
                if (n + 1 == refreshes) {
                    break;
                }
                Thread.sleep(o.intervalMillis());
                if (reader.replaced()) {
                    try {
                        final CountersFileReader next = CountersFileReader.open(o.file());
                        reader.close();
                        reader = next;
                        previous = null; // another device: its counts start afresh
                    } catch (CountersFileException e) {
                        // gone or being replaced: keep showing the last one
                    }
                }
            }
            return 0;
        } finally {
            reader.close();
        }
    }

    /** One counter as read. */
    record Row(int id, int typeId, String label, long value) {
    }

    static List<Row> snapshot(CountersFileReader reader) {
        final CountersReader c = reader.counters();
        final List<Row> rows = new ArrayList<>();
        c.forEach((int id, int typeId, org.agrona.DirectBuffer key, String label) ->
            rows.add(new Row(id, typeId, label, c.getCounterValue(id))));
        return rows;
    }

    private static Map<Integer, Long> values(List<Row> rows) {
        final Map<Integer, Long> m = new HashMap<>();
        for (Row r : rows) {
            m.put(r.id(), r.value());
        }
        return m;
    }

    /**
     * The table: a header naming the file, device and writer, then one line per counter — id, value, and (given an
     * earlier snapshot {@code elapsedNanos} ago) its rate per second; a busy-time counter's rate reads as a
     * percentage of the engine's time, a high-water mark has none.
     */
    static String render(CountersFileReader reader, List<Row> rows, Map<Integer, Long> previous, long elapsedNanos) {
        final StringBuilder b = new StringBuilder();
        b.append(LocalTime.now().truncatedTo(ChronoUnit.SECONDS).format(TIME)).append(" - softdsa stat ")
            .append(reader.path()).append(": ").append(reader.deviceName()).append(", pid ").append(reader.pid())
            .append(", ").append(writer(reader)).append('\n');
        final boolean rates = previous != null && elapsedNanos > 0;
        b.append(rates ? String.format("%4s %20s %16s  %s%n", "id", "value", "per second", "label")
            : String.format("%4s %20s  %s%n", "id", "value", "label"));
        for (Row r : rows) {
            if (rates) {
                b.append(String.format("%4d %,20d %16s  %s%n", r.id(), r.value(),
                    rate(r, previous.get(r.id()), elapsedNanos), r.label()));
            } else {
                b.append(String.format("%4d %,20d  %s%n", r.id(), r.value(), r.label()));
            }
        }
        if (rows.isEmpty()) {
            b.append("(no counters allocated yet)\n");
        }
        return b.toString();
    }

    private static String rate(Row r, Long before, long elapsedNanos) {
        final CounterKind kind = CounterKind.ofTypeId(r.typeId());
        if (before == null || kind == CounterKind.WQ_OCCUPANCY_HIGH_WATER) {
            return "-";
        }
        final double perSecond = (r.value() - before) * 1e9 / elapsedNanos;
        if (kind == CounterKind.ENGINE_BUSY_NANOS) {
            return String.format("%.1f %% busy", perSecond / 1e7);
        }
        return String.format("%,.0f", perSecond);
    }

    private static String writer(CountersFileReader reader) {
        final String since = "since " + time(reader.startMillis());
        if (reader.closeMillis() != 0) {
            return "device closed at " + time(reader.closeMillis()) + " (opened " + time(reader.startMillis()) + ")";
        }
        return reader.writerRunning() ? "running " + since : "process gone without closing the device (" + since
            + ")";
    }

    private static String time(long epochMillis) {
        return LocalTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneId.systemDefault())
            .truncatedTo(ChronoUnit.SECONDS).format(TIME);
    }
}
