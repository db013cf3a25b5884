package io.softdsa.bench;

/** How a row's throughput is shown: bytes moved per second (data operations) or operations per second (portal). */
enum Unit {
    GB_PER_S("GB/s") {
        @Override
        double of(double opsPerSecond, long bytesPerOp) {
            return opsPerSecond * bytesPerOp / 1e9;
        }
    },
    MOPS_PER_S("Mops/s") {
        @Override
        double of(double opsPerSecond, long bytesPerOp) {
            return opsPerSecond / 1e6;
        }
    };

    private final String symbol;

    Unit(String symbol) {
        this.symbol = symbol;
    }

    abstract double of(double opsPerSecond, long bytesPerOp);

    String symbol() {
        return symbol;
    }
}
