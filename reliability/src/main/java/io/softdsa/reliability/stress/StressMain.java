package io.softdsa.reliability.stress;

/**
 * The bounded stress command: {@code --seconds N} of producers, engines, WQ commands and lazy paging, then a table
 * of invariants. Exit status 0 when every invariant holds, 1 when one fails, 2 on bad arguments.
 * <pre>
 * mvn -q -pl reliability compile exec:exec@stress -Dstress.args="--seconds 60"
 * </pre>
 */
public final class StressMain {
    private StressMain() {
    }

    public static void main(String[] args) {
        final StressOptions options;
        try {
            options = StressOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("stress: " + e.getMessage());
            System.exit(2);
            return;
        }
        final StressReport report = new StressRun(options).run();
        System.out.println(report.table());
        System.exit(report.passed() ? 0 : 1);
    }
}
