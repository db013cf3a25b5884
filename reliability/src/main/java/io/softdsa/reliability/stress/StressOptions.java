package io.softdsa.reliability.stress;

/**
 * What a stress run does: how long, how many producer threads and engines, and the seed of every random choice.
 * Command line: {@code --seconds N --producers N --engines M --seed S}.
 */
public record StressOptions(int seconds, int producers, int engines, long seed) {
    public StressOptions {
        if (seconds < 1 || producers < 2 || engines < 1 || engines > 4) {
            throw new IllegalArgumentException("--seconds >= 1, --producers >= 2 (one owns the dedicated WQ), "
                + "--engines 1..4");
        }
    }

    public static StressOptions defaults() {
        return new StressOptions(60, 4, 2, System.nanoTime());
    }

    public static StressOptions parse(String... args) {
        StressOptions o = defaults();
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + a);
            }
            final String v = args[++i];
            o = switch (a) {
                case "--seconds" -> new StressOptions(Integer.parseInt(v), o.producers, o.engines, o.seed);
                case "--producers" -> new StressOptions(o.seconds, Integer.parseInt(v), o.engines, o.seed);
                case "--engines" -> new StressOptions(o.seconds, o.producers, Integer.parseInt(v), o.seed);
                case "--seed" -> new StressOptions(o.seconds, o.producers, o.engines, Long.parseLong(v));
                default -> throw new IllegalArgumentException("unknown option " + a
                    + " (--seconds N --producers N --engines M --seed S)");
            };
        }
        return o;
    }
}
