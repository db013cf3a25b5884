package io.softdsa.reliability.stress;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The quick form of the stress command (CI): a 20-second run whose every invariant must hold. */
class StressRunTest {
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void twentySecondsOfStressKeepEveryInvariant() {
        final StressOptions options = new StressOptions(Integer.getInteger("stress.seconds", 20), 4, 2,
            Long.getLong("stress.seed", System.nanoTime()));
        final StressReport report = new StressRun(options).run();
        System.out.println(report.table());
        assertTrue(report.passed(), report.table());
    }
}
