package io.softdsa.reliability.stress;

import io.softdsa.reliability.stress.hostile.HostileReport;
import io.softdsa.reliability.stress.hostile.HostileRun;

/**
 * The bounded stress command: {@code --seconds N} of producers, engines, WQ commands and lazy paging, then a table
 * of invariants; with {@code --hostile}, the adversarial mode ({@link HostileRun}). Exit status 0 when every
 * invariant holds, 1 when one fails (a hostile run that does not end in time counts as failed, after its table),
 * 2 on bad arguments (one line, no stack trace); {@code --help} prints the usage and exits 0.
 * <pre>
 * mvn -q -pl reliability test-compile exec:exec@stress -Dstress.args="--hostile --seconds 60"
 * </pre>
 */
public final class StressMain {
    private StressMain() {
    }

    public static void main(String[] args) {
        if (StressOptions.helpRequested(args)) {
            System.out.println(StressOptions.USAGE);
            System.exit(0);
            return;
        }
        final StressOptions options;
        try {
            options = StressOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("stress: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options.hostile()) {
            final HostileReport report = HostileRun.execute(options);
            System.out.println(report.table());
            System.out.flush();
            System.exit(report.passed() ? 0 : 1); // exit, not return: hung device threads must not keep the JVM
            return;
        }
        final StressReport report = new StressRun(options).run();
        System.out.println(report.table());
        System.exit(report.passed() ? 0 : 1);
    }
}
