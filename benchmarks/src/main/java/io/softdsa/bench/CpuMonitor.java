package io.softdsa.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much CPU time other processes (and the hypervisor, as steal) took while a row ran: machine-wide busy time from
 * {@code /proc/stat} minus this process's CPU time. Two busy-spinning threads fill a two-core machine, so anything
 * else running shows up directly in the figures; rows with a noticeable share are flagged in the table.
 * Linux only; elsewhere every share is NaN.
 */
final class CpuMonitor {
    /** Above this share of all CPU time taken by others, a row is flagged. */
    static final double DISTURBED = 0.03;
    private static final Path PROC_STAT = Path.of("/proc/stat");
    /** /proc/stat counts in USER_HZ, 100 per second on every Linux architecture the JDK runs on. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    record Sample(long wallNanos, long busyTicks, long processNanos) {
    }

    private final com.sun.management.OperatingSystemMXBean os;
    private final int cpus = Runtime.getRuntime().availableProcessors();

    CpuMonitor() {
        this.os = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean b
            ? b : null;
    }

    Sample sample() {
        return new Sample(System.nanoTime(), busyTicks(), os == null ? -1 : os.getProcessCpuTime());
    }

    /** Share (0..1) of all CPUs' time between two samples used by other processes or stolen; NaN if unknown. */
    double foreignShare(Sample from, Sample to) {
        if (from.busyTicks() < 0 || to.busyTicks() < 0 || from.processNanos() < 0 || to.processNanos() < 0) {
            return Double.NaN;
        }
        final double wall = (double) (to.wallNanos() - from.wallNanos()) * cpus;
        final double busy = (double) (to.busyTicks() - from.busyTicks()) * NANOS_PER_TICK;
        final double ours = to.processNanos() - from.processNanos();
        return wall <= 0 ? Double.NaN : Math.clamp((busy - ours) / wall, 0.0, 1.0);
    }

    /** user + nice + system + irq + softirq + steal of the aggregate line, or -1. */
    private static long busyTicks() {
        try {
            final String line = Files.readAllLines(PROC_STAT).getFirst();
            final String[] f = line.trim().split("\\s+");
            if (!"cpu".equals(f[0]) || f.length < 9) {
                return -1;
            }
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                busy += Long.parseLong(f[i]);
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
