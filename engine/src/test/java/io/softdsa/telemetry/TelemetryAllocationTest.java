package io.softdsa.telemetry;

import io.softdsa.client.DsaClient;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Counting costs no allocation: with a counters file, and with JFR off, a submit-and-execute loop (portal, engine,
 * executor, counters: all on the test's thread, the engine driven by it) allocates well under a byte per descriptor
 * once warm, on both WQ modes, for no-ops and 4 KiB moves. Without a file the same holds (the default path).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TelemetryAllocationTest {
    private static final int OPS = 20_000;
    private static final int ROUNDS = 6;

    @TempDir
    Path dir;

    @Test
    void countingAndEventChecksAllocateNothing() {
        assertFalse(DescriptorCompletedEvent.enabled(), "this test measures JFR off");
        for (boolean counters : new boolean[] {true, false}) {
            for (WqMode mode : WqMode.values()) {
                for (int opcode : new int[] {Opcode.NOOP, Opcode.MEMMOVE}) {
                    measure(counters, mode, opcode);
                }
            }
        }
    }

    private void measure(boolean counters, WqMode mode, int opcode) {
        DeviceOptions options = DeviceOptions.defaults().threading(Threading.INVOKER);
        if (counters) {
            options = options.countersFile(dir.resolve("alloc-" + mode + ".counters"));
        }
        try (HostMemory memory = HostMemory.allocate(16L << 20);
             Device device = Device.create(memory, DeviceConfig.singleWq(mode, 32, 1), options)) {
            device.enableAll();
            try (DsaClient client = DsaClient.open(device, 0)) {
                final HostBuffer src = client.allocate(4096);
                final HostBuffer dst = client.allocate(4096);
                final Descriptor d = client.descriptor().opcode(opcode);
                if (opcode == Opcode.MEMMOVE) {
                    d.source(src.address()).destination(dst.address()).transferSize(4096);
                }
                final com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                long allocated = 0;
                for (int round = 0; round < ROUNDS; round++) {
                    final long before = threads.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < OPS; i++) {
                        if (!client.trySubmit(d)) {
                            throw new AssertionError("refused with the WQ empty");
                        }
                        device.invokeEngines();
                    }
                    allocated = threads.getCurrentThreadAllocatedBytes() - before;
                }
                final long last = allocated;
                final String what = (counters ? "counters on, " : "no counters file, ") + mode + " "
                    + Opcode.name(opcode);
                System.out.printf("%s: %d bytes allocated over %d descriptors (%.4f B/op)%n", what, last, OPS,
                    (double) last / OPS); // in target/surefire-reports/*-output.txt
                assertTrue(last < OPS / 4, () -> what + ": " + last + " bytes allocated over " + OPS + " descriptors");
                assertTrue(device.swerr().totalErrors() == 0 && device.internalErrors() == 0, what);
            }
        }
    }
}
