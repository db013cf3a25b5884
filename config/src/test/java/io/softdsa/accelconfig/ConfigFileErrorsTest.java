package io.softdsa.accelconfig;

import io.softdsa.device.config.ConfigException;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A loaded file's semantic errors name the file (issue 14, item 9); {@code check} lists every problem. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConfigFileErrorsTest {
    @TempDir
    Path dir;

    private Path write(String name, String json) throws IOException {
        final Path f = dir.resolve(name);
        Files.writeString(f, json);
        return f;
    }

    private static String device(String wqs) {
        return """
            [ { "dev":"dsa0", "groups":[ { "dev":"group0.0",
                "grouped_workqueues":[ %s ],
                "grouped_engines":[ { "dev":"engine0.0", "group_id":0 } ] } ] } ]
            """.formatted(wqs);
    }

    @Test
    void aSemanticErrorNamesTheFile() throws IOException {
        // priority 16 parses as an integer; the kernel rule 0..15 is DeviceConfig.validate's.
        final Path f = write("prio.json", device("""
            { "dev":"wq0.0", "mode":"shared", "size":16, "priority":16 }"""));
        final ConfigException e = assertThrows(ConfigException.class, () -> AccelConfigJson.load(f));
        assertTrue(e.getMessage().startsWith(f + ": wq0.0: invalid priority = 16"), e.getMessage());
    }

    @Test
    void aParseLevelErrorNamesTheFile() throws IOException {
        final Path f = write("mode.json", device("""
            { "dev":"wq0.0", "mode":"sideways", "size":16 }"""));
        final ConfigException e = assertThrows(ConfigException.class, () -> AccelConfigJson.load(f));
        assertEquals(f + ": wq0.0: invalid mode = \"sideways\" (\"shared\" or \"dedicated\")", e.getMessage());
    }

    @Test
    void checkListsEveryBadWqAndEngine() throws IOException {
        final Path f = write("three.json", """
            [ { "dev":"dsa0", "groups":[ { "dev":"group0.0",
                "grouped_workqueues":[
                  { "dev":"wq0.0", "mode":"sideways", "size":16 },
                  { "dev":"wq0.1", "mode":"shared", "size":16, "threshold":17 },
                  { "dev":"wq0.2", "mode":"dedicated", "size":8 } ],
                "grouped_engines":[ { "dev":"engine0.0", "group_id":3 } ] } ] },
              { "dev":"dsa1", "read_buffer_limit":300 } ]
            """);
        final List<String> problems = AccelConfigJson.check(f, DeviceCapabilities.defaults());
        assertEquals(List.of(
            f + ": engine0.0: invalid group_id = 3 (the engine sits in group0.0)",
            f + ": wq0.0: invalid mode = \"sideways\" (\"shared\" or \"dedicated\")",
            f + ": wq0.1: invalid threshold = 17 (a shared WQ needs 1..size (16))",
            f + ": dsa1: invalid read_buffer_limit = 300 (an integer 0..255 is required)"), problems);
    }

    @Test
    void checkOfAGoodFileIsEmptyAndOfBrokenJsonNamesLineAndColumn() throws IOException {
        final Path good = write("good.json", device("""
            { "dev":"wq0.0", "mode":"dedicated", "size":16 }"""));
        assertEquals(List.of(), AccelConfigJson.check(good, DeviceCapabilities.defaults()));
        final Path broken = write("broken.json", "[ { \"dev\":\"dsa0\", \n  \"groups\": [ } ]");
        final List<String> problems = AccelConfigJson.check(broken, DeviceCapabilities.defaults());
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).startsWith(broken + ": not valid JSON"), problems.get(0));
        assertTrue(problems.get(0).contains("line 2"), problems.get(0));
    }

    @Test
    void checkReportsCrossObjectRulesOnceObjectsParse() throws IOException {
        final Path f = write("total.json", device("""
            { "dev":"wq0.0", "mode":"dedicated", "size":100 },
            { "dev":"wq0.1", "mode":"dedicated", "size":100 }"""));
        final List<String> problems = AccelConfigJson.check(f, DeviceCapabilities.defaults());
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith(f + ": dsa0: invalid size = 200"), problems.get(0));
    }
}
