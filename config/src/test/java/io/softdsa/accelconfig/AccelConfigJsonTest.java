package io.softdsa.accelconfig;

import io.softdsa.device.config.ConfigException;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.device.config.WqMode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccelConfigJsonTest {

    private static Path resource(String name) {
        final URL url = AccelConfigJsonTest.class.getResource("/accel-config/" + name);
        assertNotNull(url, "test resource " + name);
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** One device dsa0, one group 0 with engine 0, and the given WQ object. */
    private static String oneWq(String wqObject) {
        return """
            [ { "dev":"dsa0", "groups":[ { "dev":"group0.0",
                "grouped_workqueues":[ %s ],
                "grouped_engines":[ { "dev":"engine0.0", "group_id":0 } ] } ] } ]
            """.formatted(wqObject);
    }

    private static WqConfig onlyWq(String wqObject) {
        final List<DeviceConfig> devices = AccelConfigJson.parse(oneWq(wqObject));
        assertEquals(1, devices.size());
        assertEquals(1, devices.get(0).wqs().size());
        return devices.get(0).wqs().get(0);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Good files

    @Test
    void section16SampleLoadsWithEveryField() {
        final List<DeviceConfig> devices = AccelConfigJson.load(resource("section16-sample.json"));
        assertEquals(1, devices.size());
        final DeviceConfig d = devices.get(0);
        assertEquals("dsa0", d.name());
        assertEquals(0, d.readBufferLimit());
        assertEquals(0, d.eventLogSize());

        assertEquals(1, d.groups().size());
        final GroupConfig g = d.groups().get(0);
        assertEquals(0, g.id());
        assertEquals(List.of(0), g.engines());
        assertEquals(0, g.readBuffersReserved());
        assertFalse(g.useReadBufferLimit());
        assertEquals(8, g.readBuffersAllowed());
        assertEquals(1, g.trafficClassA());
        assertEquals(1, g.trafficClassB());
        assertEquals(0, g.descProgressLimit());
        assertEquals(0, g.batchProgressLimit());

        assertEquals(1, d.wqs().size());
        final WqConfig w = d.wqs().get(0);
        assertEquals(0, w.index());
        assertEquals(WqMode.SHARED, w.mode());
        assertEquals(16, w.size());
        assertEquals(0, w.groupId());
        assertEquals(10, w.priority());
        assertTrue(w.blockOnFault());
        assertEquals(1024, w.maxBatchSize());
        assertEquals(2147483648L, w.maxTransferSize());
        assertEquals("user", w.type());
        assertEquals("app1", w.name());
        assertEquals("user", w.driverName());
        assertEquals(15, w.threshold());
        assertFalse(w.atsDisable());
        assertFalse(w.prsDisable());
        assertNull(w.opConfig());
        assertFalse(w.pasidEnabled());
        assertEquals(0, w.pasid());
        assertFalse(w.priv());
    }

    @Test
    void legacyTokenKeysAndTrailingCommasLoad() {
        final DeviceConfig d = AccelConfigJson.loadDevice(resource("legacy-token-keys.json"), "dsa1");
        assertEquals("dsa1", d.name());
        assertEquals(48, d.readBufferLimit());

        assertEquals(2, d.groups().size());
        final GroupConfig g0 = d.groups().get(0);
        assertEquals(0, g0.id());
        assertEquals(List.of(1, 0), g0.engines());
        assertEquals(2, g0.readBuffersReserved());
        assertTrue(g0.useReadBufferLimit());
        assertEquals(6, g0.readBuffersAllowed());
        final GroupConfig g1 = d.groups().get(1);
        assertEquals(1, g1.id());
        assertEquals(List.of(), g1.engines());
        assertEquals(0, g1.readBuffersReserved());
        assertFalse(g1.useReadBufferLimit());
        assertEquals(8, g1.readBuffersAllowed());
        assertEquals(1, g1.trafficClassA()); // -1 = not set: the default
        assertEquals(1, g1.trafficClassB());

        assertEquals(1, d.wqs().size());
        final WqConfig w = d.wqs().get(0);
        assertEquals(2, w.index());
        assertEquals(WqMode.DEDICATED, w.mode());
        assertEquals(32, w.size());
        assertEquals(0, w.groupId());
        assertEquals(5, w.priority());
        assertFalse(w.blockOnFault());
        assertEquals(32, w.maxBatchSize());
        assertEquals(16384L, w.maxTransferSize());
        assertEquals("storage", w.name());
        assertEquals(0, w.threshold());
        assertTrue(w.pasidEnabled());
        assertEquals(4660, w.pasid());
    }

    @Test
    void mixedFileSkipsIaaDevicesAndNormalisesSizes() {
        final Path file = resource("mixed-devices.json");
        final List<DeviceConfig> devices = AccelConfigJson.load(file);
        assertEquals(List.of("dsa0", "dsa2"), devices.stream().map(DeviceConfig::name).toList());

        final DeviceConfig dsa0 = AccelConfigJson.loadDevice(file, "dsa0");
        assertEquals(List.of(0, 1, 2, 3), dsa0.groups().get(0).engines());
        assertEquals(128, dsa0.wqs().get(0).size());
        assertEquals(128, dsa0.wqs().get(0).threshold());

        final DeviceConfig d = AccelConfigJson.loadDevice(file, "dsa2");
        assertEquals(16, d.readBufferLimit());
        assertEquals(64, d.eventLogSize());
        assertEquals(1, d.groups().size());
        final GroupConfig g = d.groups().get(0);
        assertEquals(1, g.id());
        assertEquals(List.of(3), g.engines()); // engine2.0 is ungrouped: not part of DeviceConfig
        assertEquals(1, g.readBuffersReserved());
        assertTrue(g.useReadBufferLimit());
        assertEquals(4, g.readBuffersAllowed());
        assertEquals(0, g.trafficClassA());
        assertEquals(7, g.trafficClassB());
        assertEquals(2, g.descProgressLimit());
        assertEquals(3, g.batchProgressLimit());

        assertEquals(List.of(0, 5, 7), d.wqs().stream().map(WqConfig::index).toList());
        final WqConfig wq0 = d.wq(0).orElseThrow();
        assertEquals(WqMode.DEDICATED, wq0.mode());
        assertEquals(8, wq0.size());
        assertEquals(1, wq0.groupId());
        assertEquals(1, wq0.priority());
        assertEquals(0, wq0.threshold());
        assertEquals(1024, wq0.maxBatchSize());          // 2^40 capped
        assertEquals(2147483648L, wq0.maxTransferSize()); // 2^40 capped at 2^31
        assertTrue(wq0.pasidEnabled());
        assertEquals(1048575, wq0.pasid());
        assertEquals("", wq0.name());
        assertEquals("user", wq0.type());
        assertEquals("user", wq0.driverName());
        assertNull(wq0.opConfig());

        final WqConfig wq5 = d.wq(5).orElseThrow();
        assertEquals(WqMode.SHARED, wq5.mode());
        assertEquals(24, wq5.size());
        assertEquals(20, wq5.threshold());
        assertEquals(15, wq5.priority());
        assertFalse(wq5.blockOnFault()); // PRS disabled clears block on fault
        assertTrue(wq5.prsDisable());
        assertTrue(wq5.atsDisable());
        assertTrue(wq5.priv());
        assertEquals(128, wq5.maxBatchSize());     // 100 rounded up
        assertEquals(4096L, wq5.maxTransferSize()); // 3000 rounded up
        assertEquals("kernel", wq5.type());
        assertEquals("dmaengine-wq", wq5.name());
        assertEquals("dmaengine", wq5.driverName());
        assertArrayEquals(new long[] {0x0000_0001_003F_03FFL, 0, 0, 0}, wq5.opConfig());

        final WqConfig wq7 = d.wq(7).orElseThrow();
        assertEquals(-1, wq7.groupId());
        assertEquals(4, wq7.size());
        assertEquals(4, wq7.threshold());
    }

    @Test
    void parseFromStreamMatchesLoad() throws Exception {
        try (InputStream in = AccelConfigJsonTest.class.getResourceAsStream("/accel-config/legacy-token-keys.json")) {
            assertNotNull(in);
            assertEquals(AccelConfigJson.load(resource("legacy-token-keys.json")), AccelConfigJson.parse(in));
        }
    }

    @Test
    void loadDeviceNamesTheMissingDevice() {
        final ConfigException e = assertThrows(ConfigException.class,
            () -> AccelConfigJson.loadDevice(resource("section16-sample.json"), "dsa5"));
        assertTrue(e.getMessage().contains("dsa5"), e.getMessage());
        assertTrue(e.getMessage().contains("dev"), e.getMessage());
        assertTrue(e.getMessage().contains("section16-sample.json"), e.getMessage());
    }

    @Test
    void missingFileIsAConfigException() {
        final ConfigException e = assertThrows(ConfigException.class,
            () -> AccelConfigJson.load(Path.of("/nonexistent/accel-config.json")));
        assertTrue(e.getMessage().contains("/nonexistent/accel-config.json"), e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Values

    @Test
    void transferAndBatchSizesAreRoundedUpAndCapped() {
        WqConfig w = onlyWq("{ \"dev\":\"wq0.0\", \"max_transfer_size\":3000, \"max_batch_size\":100 }");
        assertEquals(4096L, w.maxTransferSize());
        assertEquals(128, w.maxBatchSize());

        w = onlyWq("{ \"dev\":\"wq0.0\", \"max_transfer_size\":1099511627776, \"max_batch_size\":5000 }");
        assertEquals(2147483648L, w.maxTransferSize());
        assertEquals(1024, w.maxBatchSize());

        w = onlyWq("{ \"dev\":\"wq0.0\", \"max_transfer_size\":1180591620717411303424 }"); // 2^70
        assertEquals(2147483648L, w.maxTransferSize());

        w = onlyWq("{ \"dev\":\"wq0.0\", \"max_transfer_size\":4611686018427387905 }"); // 2^62 + 1
        assertEquals(2147483648L, w.maxTransferSize());

        w = onlyWq("{ \"dev\":\"wq0.0\" }"); // Linux defaults
        assertEquals(2097152L, w.maxTransferSize());
        assertEquals(32, w.maxBatchSize());
    }

    @Test
    void absentKeysTakeTheBuilderDefaultsAndSharedThresholdIsSize() {
        final WqConfig shared = onlyWq("{ \"dev\":\"wq0.6\", \"size\":12 }");
        assertEquals(6, shared.index());
        assertEquals(WqMode.SHARED, shared.mode());
        assertEquals(12, shared.threshold());
        assertEquals(10, shared.priority());
        assertEquals(0, shared.groupId()); // the enclosing group
        assertFalse(shared.blockOnFault());
        assertEquals("user", shared.type());
        assertEquals("", shared.name());

        final WqConfig dedicated = onlyWq("{ \"dev\":\"wq0.1\", \"mode\":\"dedicated\" }");
        assertEquals(16, dedicated.size());
        assertEquals(0, dedicated.threshold());
        assertFalse(dedicated.pasidEnabled());
    }

    @Test
    void opConfigMostSignificantWordFirst() {
        final WqConfig w = onlyWq("{ \"dev\":\"wq0.0\", "
            + "\"op_config\":\"80000000,00000000,00000000,00000004,00000000,00000000,00000001,0000000b\" }");
        assertArrayEquals(new long[] {0x0000_0001_0000_000BL, 0L, 0x0000_0000_0000_0004L, 0x8000_0000_0000_0000L},
            w.opConfig());
        assertTrue(w.opcodeAllowed(0x00));
        assertTrue(w.opcodeAllowed(0x01));
        assertFalse(w.opcodeAllowed(0x02));
        assertTrue(w.opcodeAllowed(0x03));
        assertFalse(w.opcodeAllowed(0x04));
        assertTrue(w.opcodeAllowed(0x20));
        assertTrue(w.opcodeAllowed(130));
        assertTrue(w.opcodeAllowed(255));
        assertFalse(w.opcodeAllowed(254));

        final String saved = AccelConfigJson.save(AccelConfigJson.parse(oneWq("{ \"dev\":\"wq0.0\", "
            + "\"op_config\":\"80000000,00000000,00000000,00000004,00000000,00000000,00000001,0000000B\" }")));
        assertTrue(saved.contains(
            "\"op_config\":\"80000000,00000000,00000000,00000004,00000000,00000000,00000001,0000000b\""), saved);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Saving

    @Test
    void saveWritesAccelConfigFormat() {
        final String expected = """
            [
              {
                "dev":"dsa0",
                "read_buffer_limit":0,
                "groups":[
                  {
                    "dev":"group0.0",
                    "read_buffers_reserved":0,
                    "use_read_buffer_limit":0,
                    "read_buffers_allowed":8,
                    "traffic_class_a":1,
                    "traffic_class_b":1,
                    "desc_progress_limit":0,
                    "batch_progress_limit":0,
                    "grouped_workqueues":[
                      {
                        "dev":"wq0.0",
                        "mode":"shared",
                        "size":16,
                        "group_id":0,
                        "priority":10,
                        "block_on_fault":1,
                        "max_batch_size":1024,
                        "max_transfer_size":2147483648,
                        "type":"user",
                        "name":"app1",
                        "driver_name":"user",
                        "threshold":15,
                        "prs_disable":0,
                        "ats_disable":0
                      }
                    ],
                    "grouped_engines":[
                      {
                        "dev":"engine0.0",
                        "group_id":0
                      }
                    ]
                  }
                ]
              }
            ]
            """;
        assertEquals(expected, AccelConfigJson.save(AccelConfigJson.load(resource("section16-sample.json"))));
    }

    @Test
    void roundTripOfABuiltConfiguration() throws Exception {
        final DeviceCapabilities caps = DeviceCapabilities.defaults();
        final DeviceConfig dsa0 = DeviceConfig.builder("dsa0")
            .readBufferLimit(32)
            .eventLogSize(128)
            .group(new GroupConfig(0, List.of(2, 0), 2, true, 6, 0, 7, 1, 3))
            .group(GroupConfig.of(1, 1))
            .group(GroupConfig.of(3))
            .wq(WqConfig.builder(0).shared().size(32).threshold(30).priority(15).blockOnFault(true).group(0)
                .name("app").maxTransferSize(1L << 20).maxBatchSize(64).build())
            .wq(WqConfig.builder(1).dedicated().size(16).group(1).pasid(true, 0x12345).priv(true).type("kernel")
                .driverName("dmaengine").name("dma").atsDisable(true)
                .opConfig(new long[] {0x1_003F_03FFL, 0, 0x10L, 0}).build())
            .wq(WqConfig.builder(4).shared().size(8).group(1).prsDisable(true).blockOnFault(true).build())
            .wq(WqConfig.builder(7).dedicated().size(4).build()) // in no group
            .build()
            .validate(caps);
        final DeviceConfig dsa2 = DeviceConfig.builder("dsa2")
            .group(GroupConfig.of(0, 0, 1, 2, 3))
            .wq(WqConfig.builder(3).dedicated().size(128).group(0).name("wq2.3").build())
            .build()
            .validate(caps);
        final List<DeviceConfig> devices = List.of(dsa0, dsa2);

        final String saved = AccelConfigJson.save(devices);
        assertEquals(devices, AccelConfigJson.parse(saved));
        assertEquals(devices, AccelConfigJson.parse(new ByteArrayInputStream(saved.getBytes(StandardCharsets.UTF_8))));

        // Every object starts with its dev name; WQs, groups and engines are named as accel-config names them.
        final List<String> devNames = new ArrayList<>();
        collectDevNames(new ObjectMapper().readTree(saved), devNames);
        assertEquals(List.of("dsa0", "group0.0", "wq0.0", "engine0.2", "engine0.0", "group0.1", "wq0.1", "wq0.4",
            "engine0.1", "group0.3", "wq0.7", "dsa2", "group2.0", "wq2.3", "engine2.0", "engine2.1", "engine2.2",
            "engine2.3"), devNames);
        assertTrue(saved.contains("\"pasid\":74565"), saved);
        assertTrue(saved.contains("\"op_config\":\"00000000,00000000,00000000,00000010,00000000,00000000,"
            + "00000001,003f03ff\""), saved);
    }

    private static void collectDevNames(JsonNode node, List<String> out) {
        if (node.isObject()) {
            final Iterator<String> names = node.fieldNames();
            assertTrue(names.hasNext());
            assertEquals("dev", names.next(), node.toString());
            out.add(node.get("dev").textValue());
        }
        for (JsonNode child : node) {
            collectDevNames(child, out);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"section16-sample.json", "legacy-token-keys.json", "mixed-devices.json"})
    void roundTripOfTheSampleFiles(String name) {
        final List<DeviceConfig> loaded = AccelConfigJson.load(resource(name));
        assertEquals(loaded, AccelConfigJson.parse(AccelConfigJson.save(loaded)));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Bad input

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "not-json.json,               not-json.json,            not valid JSON",
        "top-level-object.json,       top-level-object.json,    top level",
        "device-missing-dev.json,     [0],                      dev",
        "device-bad-dev.json,         [0],                      dev",
        "duplicate-device.json,       dsa0,                     dev",
        "groups-not-array.json,       dsa0,                     groups",
        "legacy-conflict.json,        dsa0,                     token_limit",
        "traffic-class-8.json,        group0.0,                 traffic_class_a",
        "wq-bad-dev.json,             group0.0 grouped_workqueues[0], dev",
        "wq-other-device.json,        group0.0 grouped_workqueues[0], dev",
        "wq-not-object.json,          group0.0 grouped_workqueues[0], WQ",
        "size-string.json,            wq0.0,                    size",
        "name-number.json,            wq0.0,                    name",
        "priority-fraction.json,      wq0.0,                    priority",
        "unknown-mode.json,           wq0.0,                    mode",
        "unknown-type.json,           wq0.0,                    type",
        "negative-size.json,          wq0.0,                    size",
        "priority-16.json,            wq0.0,                    priority",
        "block-on-fault-2.json,       wq0.0,                    block_on_fault",
        "threshold-dedicated.json,    wq0.1,                    threshold",
        "threshold-above-size.json,   wq0.0,                    threshold",
        "threshold-zero-shared.json,  wq0.0,                    threshold",
        "max-transfer-negative.json,  wq0.0,                    max_transfer_size",
        "max-batch-zero.json,         wq0.0,                    max_batch_size",
        "op-config-seven-words.json,  wq0.0,                    op_config",
        "op-config-not-hex.json,      wq0.0,                    op_config",
        "op-config-long-word.json,    wq0.0,                    op_config",
        "duplicate-wq.json,           wq0.0,                    dev",
        "group-id-mismatch.json,      wq0.3,                    group_id",
        "engine-group-mismatch.json,  engine0.1,                group_id",
        "total-size-over-128.json,    dsa0,                     size",
        "duplicate-key.json,          duplicate-key.json,       size",
    })
    void badFileNamesObjectAndKey(String file, String object, String key) {
        final ConfigException e = assertThrows(ConfigException.class,
            () -> AccelConfigJson.load(resource("bad/" + file)));
        assertTrue(e.getMessage().contains(object), e.getMessage());
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }

    @Test
    void badValuesNameTheValue() {
        ConfigException e = assertThrows(ConfigException.class,
            () -> AccelConfigJson.load(resource("bad/unknown-mode.json")));
        assertEquals(resource("bad/unknown-mode.json")
            + ": wq0.0: invalid mode = \"exclusive\" (\"shared\" or \"dedicated\")", e.getMessage());

        e = assertThrows(ConfigException.class, () -> AccelConfigJson.load(resource("bad/size-string.json")));
        assertTrue(e.getMessage().startsWith(resource("bad/size-string.json") + ": wq0.0: invalid size = \"16\""),
            e.getMessage());

        e = assertThrows(ConfigException.class, () -> AccelConfigJson.load(resource("bad/total-size-over-128.json")));
        assertTrue(e.getMessage().contains("136"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> AccelConfigJson.load(resource("bad/threshold-dedicated.json")));
        assertTrue(e.getMessage().startsWith(resource("bad/threshold-dedicated.json") + ": wq0.1: invalid threshold = 4"),
            e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "[", "[] []", "null", "42", "\"dsa0\"", "[{\"dev\":\"dsa0\"} // comment\n]",
        "[[]]", "[{\"dev\":null}]", "[{\"dev\":\"dsa0\",\"groups\":[{\"dev\":\"wq0.0\"}]}]",
        "[{\"dev\":\"dsa0\",\"groups\":[{\"dev\":\"group0.9\"}]}]",
        "[{\"dev\":\"dsa0\",\"groups\":[{\"dev\":\"group0.0\",\"grouped_engines\":[{\"dev\":\"engine0.7\"}]}]}]",
        "[{\"dev\":\"dsa0\",\"ungrouped_workqueues\":[{\"dev\":\"wq0.0\",\"group_id\":0}]}]",
        "[{\"dev\":\"dsa0\",\"groups\":[{\"dev\":\"group0.0\",\"grouped_workqueues\":[{\"dev\":\"wq0.0\",\"pasid\":1048576}]}]}]"})
    void malformedTextIsAlwaysAConfigException(String json) {
        assertThrows(ConfigException.class, () -> AccelConfigJson.parse(json));
        assertThrows(ConfigException.class,
            () -> AccelConfigJson.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void saveRefusesAWqInAMissingGroup() {
        final DeviceConfig orphan = DeviceConfig.builder("dsa0")
            .wq(WqConfig.builder(2).size(8).group(3).build())
            .build();
        final ConfigException e = assertThrows(ConfigException.class, () -> AccelConfigJson.save(List.of(orphan)));
        assertTrue(e.getMessage().contains("wq0.2"), e.getMessage());
        assertTrue(e.getMessage().contains("group_id"), e.getMessage());
    }
}
