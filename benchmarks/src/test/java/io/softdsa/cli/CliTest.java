package io.softdsa.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.softdsa.accelconfig.AccelConfigJson;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI's Java side: perf option parsing and output, config list's shape, config check, the test verdict. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliTest extends CapturedOutput {
    @TempDir
    Path dir;

    // --- perf --------------------------------------------------------------------------------------------------------

    @Test
    void perfParsesDsaPerfMicrosOptionsAttachedOrSeparate() {
        final PerfCommand.Options o = PerfCommand.parse(new String[] {
            "-n128", "-s", "4k", "-j", "-c", "-f", "-i1000", "-k5-8", "-w1", "-zF,F", "-o3", "-b", "8", "-q", "4"});
        assertEquals(3, o.op());
        assertEquals(4096, o.blen());
        assertEquals(128, o.nbBufs());
        assertEquals(8, o.batchSz());
        assertEquals(4, o.qd());
        assertEquals(1, o.wqType());
        assertEquals(1000, o.iter());
        assertEquals(4, o.nbCpus());
        assertTrue(o.varMmio());
        assertEquals(2, o.ignored().size(), o.ignored().toString()); // -f and -z
        assertTrue(o.ignored().get(0).startsWith("-f: "), o.ignored().toString());
        assertTrue(o.ignored().get(1).startsWith("-z F,F: "), o.ignored().toString());
    }

    @Test
    void perfSizesTakeSuffixesAndCBases() {
        assertEquals(4096, PerfCommand.size("-s", "4k"));
        assertEquals(4096, PerfCommand.size("-s", "4K"));
        assertEquals(2L << 20, PerfCommand.size("-s", "2m"));
        assertEquals(1L << 30, PerfCommand.size("-s", "1g"));
        assertEquals(0x1000, PerfCommand.size("-s", "0x1000"));
        assertEquals(8, PerfCommand.size("-s", "010")); // strtoul base 0: octal
        assertEquals(0x10, PerfCommand.parse(new String[] {"-o0x10"}).op());
        assertEquals(3, PerfCommand.cpuCount("0-1,5"));
    }

    @Test
    void perfDefaultsAreDsaPerfMicrosDefaults() {
        final PerfCommand.Options o = PerfCommand.parse(new String[0]);
        assertEquals(3, o.op());       // memmove
        assertEquals(4096, o.blen());
        assertEquals(32, o.nbBufs());
        assertEquals(1, o.batchSz());
        assertEquals(0, o.wqType());   // dedicated
        assertEquals(1000, o.iter());
        assertTrue(o.verify());
    }

    @Test
    void perfUsageErrorsAreOneLineAndExit2() {
        for (String[] bad : List.of(new String[] {"-s", "abc"}, new String[] {"-o7"}, new String[] {"-w2"},
            new String[] {"-Z"}, new String[] {"--size=4k"}, new String[] {"-n"}, new String[] {"-n30", "-b8"},
            new String[] {"-i-1"}, new String[] {"stray"}, new String[] {"-k3-1"})) {
            outBytes.reset();
            errBytes.reset();
            assertEquals(2, PerfCommand.run(bad, out, err), String.join(" ", bad));
            assertEquals("", out(), String.join(" ", bad));
            assertEquals(1, err().lines().count(), err());
            assertTrue(err().startsWith("softdsa perf: "), err());
        }
        assertEquals(0, PerfCommand.run(new String[] {"-h"}, out, err));
        assertTrue(out().startsWith("usage: ./softdsa perf"), out());
    }

    @Test
    void perfRunPrintsTheConfigurationAndTheResultLine() {
        assertEquals(0, PerfCommand.run(new String[] {"-n4", "-s8k", "-i20", "-w0", "-o3"}, out, err), err());
        final List<String> lines = out().lines().toList();
        assertEquals("./softdsa perf -n4 -s8k -i20 -w0 -o3", lines.get(0));
        assertTrue(lines.contains(String.format("%-20s %10d", "blen", 8192)), out());
        assertTrue(lines.contains(String.format("%-20s %10d", "nb_bufs", 4)), out());
        final String result = lines.getLast();
        assertTrue(result.matches("GB per sec = \\d+\\.\\d{6} cpu \\d+\\.\\d{6} kopsrate = \\d+"), result);
    }

    @Test
    void perfLatencyAppearsAtQueueDepthOneAndBatchesRun() {
        assertEquals(0, PerfCommand.run(new String[] {"-n1", "-s4k", "-i10", "-w1", "-o0x11"}, out, err), err());
        assertTrue(out().lines().toList().getLast().matches(
            "GB per sec = \\S+ latency\\(cycles\\) = \\S+, \\S+ ns, cycles/sec =1000000000 cpu \\S+ kopsrate = \\d+"),
            out());
        outBytes.reset();
        assertEquals(0, PerfCommand.run(new String[] {"-n16", "-b8", "-s4k", "-i5", "-w1", "-o4"}, out, err), err());
        outBytes.reset();
        assertEquals(0, PerfCommand.run(new String[] {"-n8", "-s4k", "-i5", "-w0", "-o9"}, out, err), err());
    }

    @Test
    void perfWritesTheCountersFileItIsGiven() {
        final Path file = dir.resolve("perf.counters");
        assertEquals(0, PerfCommand.run(new String[] {"-n4", "-s4k", "-i10", "-w0", "-o3", "--counters", file.toString()},
            out, err), err());
        assertTrue(err().contains("counters in " + file), err());
        final java.util.Map<String, Long> v = new java.util.HashMap<>();
        try (io.softdsa.telemetry.CountersFileReader r = io.softdsa.telemetry.CountersFileReader.open(file)) {
            r.counters().forEach((int id, String label) -> v.put(label, r.counters().getCounterValue(id)));
            assertTrue(r.closeMillis() != 0, "the run closed its device");
        }
        assertEquals(40L, v.get("dsa0 wq0.0 accepted"), v.toString());
        assertEquals(40L, v.get("dsa0 wq0.0 completed: success"), v.toString());
        assertEquals(0L, v.get("dsa0 wq0.0 SWERR entries"), v.toString());
        outBytes.reset();
        errBytes.reset();
        assertEquals(2, PerfCommand.run(new String[] {"-n4", "--counters"}, out, err));
        assertEquals(1, err().lines().count(), err());
        assertTrue(err().startsWith("softdsa perf: --counters needs a FILE"), err());
    }

    @Test
    void perfResultLineFiguresComeFromTheCounts() {
        final PerfCommand.Options o = PerfCommand.parse(new String[] {"-n4"});
        // 1,000 descriptors of 4 KiB in 2 ms: 4,096,000 B / 2,000,000 ns = 2.048 GB/s, 500 kops/s, cpu 50 %.
        final String line = PerfCommand.resultLine(o, new PerfCommand.Result(1000, 4_096_000, 2_000_000, 1_000_000,
            null));
        assertEquals("GB per sec = 2.048000 cpu 50.000000 kopsrate = 500", line);
    }

    // --- config ------------------------------------------------------------------------------------------------------

    /**
     * {@code accel-config list}'s shape, from its documentation: device keys ("dev" first, capability attributes,
     * "state"), "groups" of objects with "grouped_workqueues" (each with "state") and "grouped_engines".
     */
    @Test
    void configListHasAccelConfigListShape() throws IOException {
        final List<DeviceConfig> devices = AccelConfigJson.parse("""
            [ { "dev":"dsa0", "groups":[ { "dev":"group0.0",
                "grouped_workqueues":[ { "dev":"wq0.0", "mode":"dedicated", "size":16, "priority":10 } ],
                "grouped_engines":[ { "dev":"engine0.0", "group_id":0 } ] } ] } ]""");
        final JsonNode listed = new ObjectMapper().readTree(ConfigCommand.list(devices, DeviceCapabilities.defaults()));
        assertTrue(listed.isArray());
        final JsonNode dev = listed.get(0);
        assertEquals("dev", dev.fieldNames().next());
        for (String key : List.of("dev", "read_buffer_limit", "max_groups", "max_work_queues", "max_engines",
            "work_queue_size", "max_batch_size", "max_transfer_size", "gen_cap", "version", "state", "configurable",
            "groups")) {
            assertTrue(dev.has(key), key);
        }
        assertEquals(4, dev.get("max_groups").intValue());
        assertEquals(8, dev.get("max_work_queues").intValue());
        assertEquals(128, dev.get("work_queue_size").intValue());
        final JsonNode group = dev.get("groups").get(0);
        assertEquals("group0.0", group.get("dev").textValue());
        final JsonNode wq = group.get("grouped_workqueues").get(0);
        final List<String> wqKeys = new ArrayList<>();
        wq.fieldNames().forEachRemaining(wqKeys::add);
        assertEquals(List.of("dev", "mode", "size", "group_id", "priority", "block_on_fault", "max_batch_size",
            "max_transfer_size", "type", "name", "driver_name", "threshold", "prs_disable", "ats_disable", "state"),
            wqKeys);
        assertEquals("dedicated", wq.get("mode").textValue());
        assertEquals(16, wq.get("size").intValue());
        assertEquals("engine0.0", group.get("grouped_engines").get(0).get("dev").textValue());
        // The listed file loads back: unknown keys (state, capabilities) are ignored as accel-config does.
        final Path f = dir.resolve("listed.json");
        Files.writeString(f, ConfigCommand.list(devices, DeviceCapabilities.defaults()));
        assertEquals(devices, AccelConfigJson.load(f));
    }

    @Test
    void configCheckGoodBrokenAndUsage() throws IOException {
        final Path good = dir.resolve("good.json");
        Files.writeString(good, AccelConfigJson.save(List.of(PerfCommand.defaultDevice("dsa0"))));
        assertEquals(0, ConfigCommand.run(new String[] {"check", good.toString()}, out, err), err());
        assertEquals(good + ": ok\n", out());
        outBytes.reset();
        final Path bad = dir.resolve("bad.json");
        Files.writeString(bad, """
            [ { "dev":"dsa0", "groups":[ { "dev":"group0.0", "grouped_workqueues":[
                { "dev":"wq0.0", "mode":"dedicated", "size":8, "priority":99 },
                { "dev":"wq0.1", "mode":"odd", "size":8 } ] } ] } ]""");
        assertEquals(1, ConfigCommand.run(new String[] {"check", bad.toString()}, out, err));
        final List<String> lines = out().lines().toList();
        assertEquals(List.of(bad + ": wq0.1: invalid mode = \"odd\" (\"shared\" or \"dedicated\")",
            bad + ": 1 problem"), lines);
        assertEquals(2, ConfigCommand.run(new String[] {"check"}, out, err));
        assertEquals(2, ConfigCommand.run(new String[] {"check", dir.resolve("missing.json").toString()}, out, err));
        assertEquals(2, ConfigCommand.run(new String[] {"frob"}, out, err));
        assertEquals(2, ConfigCommand.run(new String[] {"list", "-x"}, out, err));
    }

    // --- test verdict ------------------------------------------------------------------------------------------------

    @Test
    void verdictSumsFreshSurefireReportsOnly() throws IOException {
        final Path reports = dir.resolve("engine/target/surefire-reports");
        Files.createDirectories(reports);
        Files.writeString(reports.resolve("TEST-a.xml"), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<testsuite name=\"a\" tests=\"10\" errors=\"1\" skipped=\"2\" failures=\"3\"><testcase/></testsuite>");
        Files.writeString(reports.resolve("TEST-b.xml"),
            "<testsuite tests=\"5\" errors=\"0\" skipped=\"0\" failures=\"0\"/>");
        final Path stale = reports.resolve("TEST-stale.xml");
        Files.writeString(stale, "<testsuite tests=\"100\" errors=\"0\" skipped=\"0\" failures=\"0\"/>");
        Files.setLastModifiedTime(stale, FileTime.fromMillis(1_000));
        Files.writeString(reports.resolve("TEST-cut.xml"), "<testsuite tests=\"7\" ");
        Files.writeString(reports.resolve("a.txt"), "not a report");
        final TestVerdict.Counts total = TestVerdict.print(dir, List.of("engine", "mdev"), 2_000, out);
        assertEquals(List.of(
            "engine: 9 passed, 5 failed, 2 skipped",  // 10+5 tests, 3+1 failed, 1 cut-short report failed
            "mdev:   no test reports from this run",
            "total: 9 passed, 5 failed, 2 skipped"), out().lines().toList());
        assertEquals(9, total.passed());
        assertTrue(out().lines().anyMatch(l -> l.matches("total: \\d+ passed, \\d+ failed, \\d+ skipped")));
    }

    @Test
    void listedDefaultDeviceValidates() {
        final DeviceConfig d = PerfCommand.defaultDevice("dsa2");
        assertEquals("dsa2", d.name());
        assertEquals(d, d.validate(DeviceCapabilities.defaults()));
        assertFalse(d.wqs().isEmpty());
        assertThrows(RuntimeException.class, () -> PerfCommand.parse(new String[] {"-s", "2g", "-n", "8"}));
    }
}
