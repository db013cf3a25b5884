package io.softdsa.cli;

import io.softdsa.client.DsaClient;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The counters file read by a second JVM ({@code StatCommand --once} on this test's classpath) while a workload runs
 * on a device with a real engine thread, and again once it stopped: the values it prints agree with what the
 * submitting thread counted itself (accepted, refused), live values lie between two of its own counts, and the final
 * ones are exact.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class StatSecondJvmTest {
    private static final Pattern ROW = Pattern.compile("^\\s*\\d+\\s+([\\d,]+)  (.+)$");

    @TempDir
    Path dir;

    @Test
    void aSecondJvmReadsTheCountersWhileAWorkloadRuns() throws Exception {
        final Path file = dir.resolve("dsa.counters");
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong retried = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        try (HostMemory memory = HostMemory.allocate(16L << 20);
             Device device = Device.create(memory, DeviceConfig.singleWq(WqMode.SHARED, 16, 1),
                 DeviceOptions.defaults().countersFile(file))) {
            device.enableAll();
            try (DsaClient client = DsaClient.open(device, 0)) {
                final Descriptor noop = client.descriptor().opcode(Opcode.NOOP);
                final Thread submitter = new Thread(() -> {
                    while (!stop.get()) {
                        if (client.trySubmit(noop)) {
                            accepted.incrementAndGet();
                        } else {
                            retried.incrementAndGet();
                            Thread.onSpinWait();
                        }
                    }
                }, "stat-test-submitter");
                submitter.start();
                try {
                    while (accepted.get() < 10_000) {
                        Thread.sleep(5);
                    }
                    // live: what the other JVM read lies between the submitter's counts before and after it read
                    final long before = accepted.get();
                    final Map<String, Long> live = readInSecondJvm(file);
                    final long after = accepted.get();
                    final long seen = live.get("dsa0 wq0.0 accepted");
                    assertTrue(seen >= before && seen <= after, before + " <= " + seen + " <= " + after);
                    // completions read live are bounded by what was accepted by the time the read ended (`after`),
                    // not by `seen`: the counters are read one after another while the engine runs; plus two: the
                    // one descriptor an engine may take between its publish and the portal's count of it, and the
                    // one the portal counted before this test's submitter did (seen 293014 against 293013 once)
                    assertTrue(live.get("dsa0 wq0.0 completed: success") <= after + 2, after + " accepted: " + live);
                    final Map<String, Long> later = readInSecondJvm(file);
                    assertTrue(later.get("dsa0 wq0.0 accepted") > seen, "the counts move while it runs");
                } finally {
                    stop.set(true);
                    submitter.join();
                }
                device.drainAll();
                final Map<String, Long> done = readInSecondJvm(file);
                assertEquals(accepted.get() + retried.get(), done.get("dsa0 wq0.0 submitted"));
                assertEquals(accepted.get(), done.get("dsa0 wq0.0 accepted"));
                assertEquals(retried.get(), done.get("dsa0 wq0.0 retried (ENQCMD refused)"));
                assertEquals(accepted.get(), done.get("dsa0 wq0.0 completed: success"));
                assertEquals(0, done.get("dsa0 wq0.0 completed: other error"));
                assertEquals(0, done.get("dsa0 wq0.0 SWERR entries"));
                assertEquals(accepted.get(), done.get("dsa0 engine0.0 descriptors executed"));
                assertTrue(done.get("dsa0 engine0.0 busy ns") > 0);
                final long hwm = done.get("dsa0 wq0.0 occupancy high-water mark");
                assertTrue(hwm >= 1 && hwm <= 16, "high-water mark " + hwm);
                assertEquals(0, done.get("dsa0 internal errors (descriptor)"));
            }
        }
    }

    /** Runs {@code StatCommand FILE --once} in a new JVM with this one's classpath and flags; its rows by label. */
    private static Map<String, Long> readInSecondJvm(Path file) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-exports") || arg.startsWith("--enable-native-access")
                || arg.startsWith("--sun-misc-unsafe-memory-access")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), StatCommand.class.getName(),
            file.toString(), "--once"));
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the second JVM ended");
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains(" - softdsa stat "), output);
        final Map<String, Long> rows = new HashMap<>();
        for (String line : output.lines().toList()) {
            final Matcher m = ROW.matcher(line);
            if (m.matches()) {
                rows.put(m.group(2), Long.parseLong(m.group(1).replace(",", "")));
            }
        }
        assertTrue(rows.containsKey("dsa0 wq0.0 accepted"), output);
        return rows;
    }
}
