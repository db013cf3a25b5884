package io.softdsa.mdev.vdev;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A guest hammering its device is counted in full but logged at most once per interval. */
class GuestErrorsLogTest {
    @Test
    void everyErrorIsCountedAndTheLogIsRateLimited() throws Exception {
        final Logger jul = Logger.getLogger("io.softdsa.mdev.vdev.GuestErrors");
        final List<String> lines = new CopyOnWriteArrayList<>();
        final Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(capture);
        try {
            final GuestErrors errors = new GuestErrors("vdsa-test");
            final long start = System.nanoTime();
            for (int i = 0; i < 10_000; i++) {
                errors.report("write " + i + " to a read-only register");
            }
            final long elapsed = System.nanoTime() - start;
            assertEquals(10_000, errors.count());
            assertEquals("write 9999 to a read-only register", errors.last());
            final long intervals = 1 + elapsed / GuestErrors.LOG_INTERVAL_NANOS;
            assertTrue(lines.size() >= 1 && lines.size() <= intervals, lines.size() + " lines in " + elapsed + " ns");
            assertTrue(lines.get(0).startsWith("vdsa-test: guest error: write 0 "), lines.get(0));
            // after the interval, the next error is logged with how many were not
            Thread.sleep(GuestErrors.LOG_INTERVAL_NANOS / 1_000_000 + 50);
            final int before = lines.size();
            errors.report("one more");
            assertEquals(before + 1, lines.size());
            assertTrue(lines.get(before).contains("one more (") && lines.get(before).contains("not logged"),
                lines.get(before));
        } finally {
            jul.removeHandler(capture);
        }
    }
}
