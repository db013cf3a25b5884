package io.softdsa.mdev.examples;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Item 8's measurement runs the same workload through all three paths (a short run; the benchmark runs long). */
class SideBySideTest {
    @Test
    void theSameWorkloadRunsThroughEveryPath() {
        final List<SideBySide.Result> results = SideBySide.run(4096, 500, 8);
        assertEquals(List.of("bare engine (host PA)", "userspace DMA (SVA)", "virtual device (nested)"),
            results.stream().map(SideBySide.Result::path).toList());
        for (SideBySide.Result r : results) {
            assertTrue(r.p50Nanos() > 0 && r.p99Nanos() >= r.p50Nanos(), r.toString());
            assertTrue(r.throughputOpsPerSecond() > 0, r.toString());
        }
    }
}
