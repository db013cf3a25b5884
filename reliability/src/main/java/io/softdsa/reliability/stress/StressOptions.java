package io.softdsa.reliability.stress;

/**
 * What a stress run does: how long, how many producer threads (user processes in the hostile mode) and engines, the
 * seed of every random choice, and whether it is the adversarial mode. Command line:
 * {@code [--hostile] --seconds N --producers N --engines M --seed S}.
 */
public record StressOptions(int seconds, int producers, int engines, long seed, boolean hostile) {
    public static final String USAGE = """
        usage: ./softdsa stress [--hostile] [--seconds N] [--producers N] [--engines M] [--seed S] [--help]
          --seconds N    run time (default 60)
          --producers N  producer threads, >= 2 (default 4); with --hostile: user processes, one on the dedicated WQ
          --engines M    engine threads 1..4 (default 2; the hostile mode always uses 2 in one group)
          --seed S       seed of every random choice (default: the clock)
          --hostile      the adversarial mode: hostile processes, kernel, guests and handlers (reliability/README.md)
        exit status: 0 every invariant held, 1 an invariant was violated, 2 bad arguments""";

    public StressOptions {
        if (seconds < 1 || producers < 2 || engines < 1 || engines > 4) {
            throw new IllegalArgumentException("--seconds >= 1, --producers >= 2 (one owns the dedicated WQ), "
                + "--engines 1..4");
        }
    }

    public StressOptions(int seconds, int producers, int engines, long seed) {
        this(seconds, producers, engines, seed, false);
    }

    public static StressOptions defaults() {
        return new StressOptions(60, 4, 2, System.nanoTime(), false);
    }

    /** Whether {@code args} ask for the usage text (then nothing else is parsed). */
    public static boolean helpRequested(String... args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    /** @throws IllegalArgumentException with a one-line message for anything it does not understand */
    public static StressOptions parse(String... args) {
        StressOptions o = defaults();
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            if (a.equals("--hostile")) {
                o = new StressOptions(o.seconds, o.producers, o.engines, o.seed, true);
                continue;
            }
            if (!a.equals("--seconds") && !a.equals("--producers") && !a.equals("--engines") && !a.equals("--seed")) {
                throw new IllegalArgumentException("unknown option " + a
                    + " (--hostile --seconds N --producers N --engines M --seed S --help)");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + a);
            }
            final String v = args[++i];
            try {
                o = switch (a) {
                    case "--seconds" -> new StressOptions(Integer.parseInt(v), o.producers, o.engines, o.seed, o.hostile);
                    case "--producers" -> new StressOptions(o.seconds, Integer.parseInt(v), o.engines, o.seed, o.hostile);
                    case "--engines" -> new StressOptions(o.seconds, o.producers, Integer.parseInt(v), o.seed, o.hostile);
                    default -> new StressOptions(o.seconds, o.producers, o.engines, Long.parseLong(v), o.hostile);
                };
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(a + " needs a number, got '" + v + "'");
            }
        }
        return o;
    }
}
