package io.softdsa.cli;

import io.softdsa.client.DsaClient;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;
import io.softdsa.telemetry.CountersFile;
import io.softdsa.testing.Devices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./softdsa stat}'s Java side: parsing, its one-line errors and exit codes, a snapshot and refreshes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatCommandTest extends CapturedOutput {
    @TempDir
    Path dir;

    private int run(long refreshes, String... args) throws InterruptedException {
        outBytes.reset();
        errBytes.reset();
        return StatCommand.run(args, out, err, refreshes);
    }

    @Test
    void parsesFileIntervalAndOnceInAnyOrder() {
        final StatCommand.Options defaults = StatCommand.parse();
        assertEquals(CountersFile.defaultPath(), defaults.file());
        assertEquals(StatCommand.DEFAULT_INTERVAL_MILLIS, defaults.intervalMillis());
        assertFalse(defaults.once());
        assertEquals(new StatCommand.Options(Path.of("f"), 250, true), StatCommand.parse("--once", "f",
            "--interval", "250"));
        assertEquals(new StatCommand.Options(Path.of("f"), 10, false), StatCommand.parse("--interval=10", "f"));
        assertThrows(StatCommand.Help.class, () -> StatCommand.parse("--help"));
    }

    @Test
    void usageErrorsAreOneLineAndExitTwo() throws Exception {
        for (List<String> args : List.of(List.of("--interval"), List.of("--interval", "abc"),
            List.of("--interval", "5"), List.of("--interval=99999999"), List.of("--bogus"), List.of("a", "b"),
            List.of(dir.resolve("missing").toString()))) {
            assertEquals(2, run(1, args.toArray(String[]::new)), args.toString());
            assertEquals("", out(), args.toString());
            assertEquals(1, err().lines().count(), err());
            assertTrue(err().startsWith("softdsa stat: "), err());
            assertFalse(err().contains("Exception"), err());
        }
        assertTrue(err().contains("missing: no such file"), err());
        assertTrue(err().contains("--counters"), "says how to make one: " + err());

        final Path foreign = Files.write(dir.resolve("foreign.bin"), new byte[16384]);
        assertEquals(2, run(1, foreign.toString(), "--once"));
        assertEquals(1, err().lines().count(), err());
        assertTrue(err().contains("not a softdsa counters file"), err());
    }

    @Test
    void helpExitsZero() throws Exception {
        assertEquals(0, run(1, "--help"));
        assertTrue(out().startsWith(StatCommand.USAGE), out());
        assertEquals("", err());
    }

    @Test
    void aSnapshotAndRefreshesShowEveryCounterWithItsRate() throws Exception {
        final Path file = dir.resolve("dsa.counters");
        try (HostMemory memory = HostMemory.allocate(16L << 20);
             Device device = Device.create(memory, DeviceConfig.singleWq(WqMode.SHARED, 16, 1),
                 DeviceOptions.defaults().threading(Threading.INVOKER).countersFile(file))) {
            device.enableAll();
            try (DsaClient client = DsaClient.open(device, 0)) {
                for (int i = 0; i < 5; i++) {
                    assertTrue(client.trySubmit(client.descriptor().opcode(Opcode.NOOP)));
                }
                Devices.drive(device);
            }
            assertEquals(0, run(1, file.toString(), "--once"));
            final String snapshot = out();
            assertTrue(snapshot.lines().findFirst().orElseThrow().matches(
                "\\d\\d:\\d\\d:\\d\\d - softdsa stat .*dsa\\.counters: dsa0, pid \\d+, running since .*"), snapshot);
            assertTrue(snapshot.contains("  id                value  label"), snapshot);
            assertTrue(snapshot.lines().anyMatch(l -> l.matches("\\s+\\d+\\s+5  dsa0 wq0\\.0 accepted")), snapshot);
            assertTrue(snapshot.lines().anyMatch(l -> l.matches("\\s+\\d+\\s+5  dsa0 engine0\\.0 descriptors executed")),
                snapshot);
            assertFalse(snapshot.contains("per second"), "one snapshot has no rates");

            assertEquals(0, run(2, file.toString(), "--interval", "20"));
            final String refreshed = out();
            assertEquals(2, refreshed.lines().filter(l -> l.contains(" - softdsa stat ")).count(), refreshed);
            assertTrue(refreshed.contains("per second"), refreshed);
            assertTrue(refreshed.lines().anyMatch(l -> l.matches("\\s+\\d+\\s+5\\s+0  dsa0 wq0\\.0 accepted")),
                "nothing moved between the refreshes: rate 0\n" + refreshed);
            assertTrue(refreshed.lines().anyMatch(l -> l.matches(".*\\s0\\.0 % busy  dsa0 engine0\\.0 busy ns")),
                refreshed);
            assertTrue(refreshed.lines().anyMatch(l -> l.matches(".*\\s-  dsa0 wq0\\.0 occupancy high-water mark")),
                refreshed);
        }
        assertEquals(0, run(1, file.toString(), "--once"));
        assertTrue(out().lines().findFirst().orElseThrow().contains("device closed at"), out());
    }
}
