package io.softdsa.accelconfig;

import io.softdsa.device.config.ConfigException;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.device.config.WqMode;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * accel-config's saved configuration file (fact sheet section 16): a JSON array of devices, each device holding its
 * groups, each group its WQs and engines, {@code dev} the first key of every object. {@link #load(Path)} turns such a
 * file into {@link DeviceConfig#validate validated} device configurations; {@link #save(List)} writes them back in the
 * same format.
 *
 * <p>Loading accepts what accel-config writes and reads: the legacy read-buffer keys ({@code token_limit},
 * {@code tokens_reserved}, {@code use_token_limit}, {@code tokens_allowed}), a trailing comma inside an object or
 * array, {@code -1} for a group attribute meaning "not set" (accel-config's sample does this for the traffic
 * classes), and unknown keys, which are ignored. IAA devices ({@code "iaxN"}) are skipped: softdsa models DSA only.
 * Three keys are softdsa's own and are ignored by accel-config: the WQ's {@code pasid_enabled}, {@code pasid} and
 * {@code priv}. WQs without a group (group_id -1) live in a device-level {@code ungrouped_workqueues} array, next to
 * accel-config's {@code ungrouped_engines}.
 *
 * <p>{@code op_config} is written the way the kernel prints a bitmap ({@code %*pb}) and accel-config copies it: eight
 * comma-separated 32-bit hex words, <em>most significant first</em>, so the last word holds opcodes 0..31 and the
 * first opcodes 224..255.
 *
 * <p>Every malformed input ends in a {@link ConfigException} naming the object (e.g. {@code wq0.3}), the key and the
 * value; nothing else is thrown for bad content.
 */
public final class AccelConfigJson {
    // Device keys.
    private static final String DEV = "dev";
    private static final String READ_BUFFER_LIMIT = "read_buffer_limit";
    private static final String TOKEN_LIMIT = "token_limit";
    private static final String EVENT_LOG_SIZE = "event_log_size";
    private static final String GROUPS = "groups";
    private static final String UNGROUPED_ENGINES = "ungrouped_engines";
    private static final String UNGROUPED_WQS = "ungrouped_workqueues";
    /** The key {@code accel-config list -i} uses for WQs outside any group. */
    private static final String UNGROUPED_WQS_LISTED = "ungrouped workqueues";
    // Group keys.
    private static final String READ_BUFFERS_RESERVED = "read_buffers_reserved";
    private static final String TOKENS_RESERVED = "tokens_reserved";
    private static final String USE_READ_BUFFER_LIMIT = "use_read_buffer_limit";
    private static final String USE_TOKEN_LIMIT = "use_token_limit";
    private static final String READ_BUFFERS_ALLOWED = "read_buffers_allowed";
    private static final String TOKENS_ALLOWED = "tokens_allowed";
    private static final String TRAFFIC_CLASS_A = "traffic_class_a";
    private static final String TRAFFIC_CLASS_B = "traffic_class_b";
    private static final String DESC_PROGRESS_LIMIT = "desc_progress_limit";
    private static final String BATCH_PROGRESS_LIMIT = "batch_progress_limit";
    private static final String GROUPED_WQS = "grouped_workqueues";
    private static final String GROUPED_ENGINES = "grouped_engines";
    // WQ and engine keys.
    private static final String MODE = "mode";
    private static final String SIZE = "size";
    private static final String GROUP_ID = "group_id";
    private static final String PRIORITY = "priority";
    private static final String BLOCK_ON_FAULT = "block_on_fault";
    private static final String MAX_BATCH_SIZE = "max_batch_size";
    private static final String MAX_TRANSFER_SIZE = "max_transfer_size";
    private static final String TYPE = "type";
    private static final String NAME = "name";
    private static final String DRIVER_NAME = "driver_name";
    private static final String THRESHOLD = "threshold";
    private static final String ATS_DISABLE = "ats_disable";
    private static final String PRS_DISABLE = "prs_disable";
    private static final String OP_CONFIG = "op_config";
    private static final String PASID_ENABLED = "pasid_enabled";
    private static final String PASID = "pasid";
    private static final String PRIV = "priv";

    private static final Pattern DSA_NAME = Pattern.compile("dsa(0|[1-9][0-9]{0,5})");
    private static final Pattern IAX_NAME = Pattern.compile("iax(0|[1-9][0-9]{0,5})");
    private static final Pattern SUB_NAME = Pattern.compile("(wq|group|engine)(0|[1-9][0-9]{0,5})\\.(0|[1-9][0-9]{0,4})");
    /** Jackson's "[Source: REDACTED (...); " prefix in nested locations: no help to whoever reads the message. */
    private static final Pattern SOURCE_NOISE = Pattern.compile("\\[Source: [^;]*; ");
    private static final Pattern HEX_WORD = Pattern.compile("[0-9a-fA-F]{1,8}");
    private static final List<String> WQ_TYPES = List.of("none", "kernel", "user", "mdev");

    private static final int OP_CONFIG_WORDS = 8;
    private static final int MAX_VALUE_CHARS = 80;

    private static final JsonMapper MAPPER = JsonMapper.builder()
        .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();

    private AccelConfigJson() {
    }

    /** Loads every DSA device of the file, validated against {@link DeviceCapabilities#defaults()}. */
    public static List<DeviceConfig> load(Path file) {
        return load(file, DeviceCapabilities.defaults());
    }

    /** Loads every DSA device of the file, validated against {@code caps}. */
    public static List<DeviceConfig> load(Path file, DeviceCapabilities caps) {
        Objects.requireNonNull(file, "file");
        final byte[] bytes = readBounded(file);
        final JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (IOException | RuntimeException e) {
            throw notJson(file.toString(), e);
        }
        try {
            return fromTree(root, file.toString(), caps);
        } catch (ConfigException e) {
            throw inFile(file, e);
        }
    }

    /**
     * Every problem of the file, each naming the file and the object at fault (device, group, WQ or engine, and the
     * key), as {@code accel-config load-config} would refuse them; empty when {@link #load(Path, DeviceCapabilities)}
     * accepts the file. Parsing continues past a bad WQ, engine or group so that one run lists them all; a device's
     * cross-object rules (total WQ size, groups of WQs) are checked once its objects parse.
     */
    public static List<String> check(Path file, DeviceCapabilities caps) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(caps, "caps");
        final List<String> problems = new ArrayList<>();
        final JsonNode root;
        try {
            root = MAPPER.readTree(readBounded(file));
        } catch (ConfigException e) {
            return List.of(e.getMessage());
        } catch (IOException | RuntimeException e) {
            return List.of(notJson(file.toString(), e).getMessage());
        }
        final String source = file.toString();
        try {
            if (root == null || root.isMissingNode() || !root.isArray()) {
                fromTree(root, source, caps); // throws the top-level problem
                return List.of();
            }
            final Set<String> names = new LinkedHashSet<>();
            for (int i = 0; i < root.size(); i++) {
                final String where = source + " [" + i + "]";
                try {
                    final ObjectNode d = object(root.get(i), where, "device");
                    final String dev = devName(d, where);
                    if (IAX_NAME.matcher(dev).matches()) {
                        continue;
                    }
                    final Matcher m = DSA_NAME.matcher(dev);
                    if (!m.matches()) {
                        throw ConfigException.invalid(where, DEV, show(d.get(DEV)), "a DSA device name dsaN is required");
                    }
                    if (!names.add(dev)) {
                        throw ConfigException.invalid(dev, DEV, show(d.get(DEV)), "the device appears twice");
                    }
                    final int before = problems.size();
                    final DeviceConfig parsed = parseDevice(d, dev, Integer.parseInt(m.group(1)), caps, problems);
                    if (problems.size() == before) {
                        parsed.validate(caps);
                    }
                } catch (ConfigException e) {
                    problems.add(e.getMessage());
                }
            }
        } catch (ConfigException e) {
            problems.add(e.getMessage());
        }
        return problems.stream().map(p -> p.startsWith(source) ? p : source + ": " + p).toList();
    }

    /** A semantic problem found in {@code file}: the message names the file too, as a syntax error's does. */
    private static ConfigException inFile(Path file, ConfigException e) {
        final String source = file.toString();
        if (e.getMessage() != null && e.getMessage().startsWith(source)) {
            return e;
        }
        final ConfigException named = new ConfigException(source + ": " + e.getMessage());
        named.setStackTrace(e.getStackTrace());
        return named;
    }

    /**
     * Largest file accepted (1 MiB): accel-config's file for the biggest DSA (8 WQs, 4 engines, 4 groups per device,
     * a few devices) is a few KiB; anything larger — {@code /dev/zero}, a sparse multi-GiB file — is not one.
     */
    public static final int MAX_FILE_BYTES = 1 << 20;

    /** Reads at most {@link #MAX_FILE_BYTES} + 1 bytes, whatever the file claims its size is (devices, pipes). */
    private static byte[] readBounded(Path file) {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            final byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) {
                throw new ConfigException(file + ": larger than " + MAX_FILE_BYTES
                    + " bytes, not an accel-config file");
            }
            return bytes;
        } catch (IOException | RuntimeException e) {
            if (e instanceof ConfigException c) {
                throw c;
            }
            throw new ConfigException(file + ": cannot read the file (" + e + ")");
        }
    }

    /** Loads the device {@code devName} (e.g. "dsa0") of the file, validated against the default capabilities. */
    public static DeviceConfig loadDevice(Path file, String devName) {
        Objects.requireNonNull(devName, "devName");
        final List<DeviceConfig> devices = load(file);
        for (DeviceConfig d : devices) {
            if (d.name().equals(devName)) {
                return d;
            }
        }
        throw ConfigException.invalid(file.toString(), DEV, devName,
            "no such device in the file; it holds " + devices.stream().map(DeviceConfig::name).toList());
    }

    /** Parses accel-config JSON text, validated against {@link DeviceCapabilities#defaults()}. */
    public static List<DeviceConfig> parse(String json) {
        return parse(json, DeviceCapabilities.defaults());
    }

    /** Parses accel-config JSON text, validated against {@code caps}. */
    public static List<DeviceConfig> parse(String json, DeviceCapabilities caps) {
        Objects.requireNonNull(json, "json");
        final JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (IOException | RuntimeException e) {
            throw notJson("accel-config JSON", e);
        }
        return fromTree(root, "accel-config JSON", caps);
    }

    /** Parses accel-config JSON from a stream (read to its end, not closed). */
    public static List<DeviceConfig> parse(InputStream in) {
        return parse(in, DeviceCapabilities.defaults());
    }

    /** Parses accel-config JSON from a stream (read to its end, not closed), validated against {@code caps}. */
    public static List<DeviceConfig> parse(InputStream in, DeviceCapabilities caps) {
        Objects.requireNonNull(in, "in");
        final JsonNode root;
        try {
            root = MAPPER.readTree(in);
        } catch (IOException | RuntimeException e) {
            throw notJson("accel-config JSON", e);
        }
        return fromTree(root, "accel-config JSON", caps);
    }

    /**
     * Writes {@code devices} in accel-config's format, pretty printed with {@code dev} first in every object. For a
     * validated configuration {@code parse(save(x))} equals {@code x}.
     *
     * @throws ConfigException if a WQ names a group the device does not have
     */
    public static String save(List<DeviceConfig> devices) {
        final ArrayNode root = MAPPER.createArrayNode();
        for (DeviceConfig d : devices) {
            root.add(deviceNode(d));
        }
        final DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        final DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.NONE));
        printer.indentObjectsWith(indenter);
        printer.indentArraysWith(indenter);
        try {
            return MAPPER.writer(printer).writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new ConfigException("accel-config JSON: cannot write (" + e.getOriginalMessage() + ")");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Loading

    private static ConfigException notJson(String source, Exception e) {
        if (e instanceof JsonProcessingException jpe) {
            final JsonLocation at = jpe.getLocation();
            final String where = at == null ? "" : " at line " + at.getLineNr() + " column " + at.getColumnNr();
            final String problem = SOURCE_NOISE.matcher(jpe.getOriginalMessage()).replaceAll("[");
            return new ConfigException(source + ": not valid JSON: " + problem + where);
        }
        return new ConfigException(source + ": cannot read JSON (" + e + ")");
    }

    private static List<DeviceConfig> fromTree(JsonNode root, String source, DeviceCapabilities caps) {
        Objects.requireNonNull(caps, "caps");
        if (root == null || root.isMissingNode()) {
            throw new ConfigException(source + ": empty, an accel-config file is a JSON array of devices");
        }
        if (!root.isArray()) {
            throw ConfigException.invalid(source, "top level", show(root),
                "an accel-config file is a JSON array of devices");
        }
        final List<DeviceConfig> devices = new ArrayList<>();
        final Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < root.size(); i++) {
            final String where = source + " [" + i + "]";
            final ObjectNode d = object(root.get(i), where, "device");
            final String dev = devName(d, where);
            if (IAX_NAME.matcher(dev).matches()) {
                continue; // an IAA device: softdsa models DSA only
            }
            final Matcher m = DSA_NAME.matcher(dev);
            if (!m.matches()) {
                throw ConfigException.invalid(where, DEV, show(d.get(DEV)), "a DSA device name dsaN is required");
            }
            if (!names.add(dev)) {
                throw ConfigException.invalid(dev, DEV, show(d.get(DEV)), "the device appears twice");
            }
            devices.add(parseDevice(d, dev, Integer.parseInt(m.group(1)), caps).validate(caps));
        }
        return List.copyOf(devices);
    }

    private static DeviceConfig parseDevice(ObjectNode d, String dev, int devIndex, DeviceCapabilities caps) {
        return parseDevice(d, dev, devIndex, caps, null);
    }

    /**
     * With {@code problems} null the first problem throws; otherwise each group, engine and WQ that fails is
     * recorded there and left out, and parsing goes on.
     */
    private static DeviceConfig parseDevice(ObjectNode d, String dev, int devIndex, DeviceCapabilities caps,
                                            List<String> problems) {
        final DeviceConfig.Builder b = DeviceConfig.builder(dev)
            .readBufferLimit(intIn(d, dev, oneOf(d, dev, READ_BUFFER_LIMIT, TOKEN_LIMIT), 0, 0, 255))
            .eventLogSize(intIn(d, dev, EVENT_LOG_SIZE, 0, 0, 0xFFFF));
        final Map<Integer, String> wqHomes = new HashMap<>();
        final Map<Integer, String> engineHomes = new HashMap<>();
        final Set<Integer> groupIds = new LinkedHashSet<>();
        final List<JsonNode> groups = array(d, dev, GROUPS);
        for (int j = 0; j < groups.size(); j++) {
            if (problems == null) {
                parseGroup(groups.get(j), j, b, dev, devIndex, caps, groupIds, wqHomes, engineHomes, null);
            } else {
                try {
                    parseGroup(groups.get(j), j, b, dev, devIndex, caps, groupIds, wqHomes, engineHomes, problems);
                } catch (ConfigException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        final List<JsonNode> ungroupedEngines = array(d, dev, UNGROUPED_ENGINES);
        for (int k = 0; k < ungroupedEngines.size(); k++) {
            final int at = k;
            collect(problems, () -> parseEngine(ungroupedEngines.get(at), dev + " " + UNGROUPED_ENGINES + "[" + at + "]",
                devIndex, -1, dev + " " + UNGROUPED_ENGINES, engineHomes)); // DeviceConfig holds grouped engines only
        }
        for (String key : List.of(UNGROUPED_WQS, UNGROUPED_WQS_LISTED)) {
            final List<JsonNode> wqNodes = array(d, dev, key);
            for (int k = 0; k < wqNodes.size(); k++) {
                final int at = k;
                collect(problems, () -> b.wq(parseWq(wqNodes.get(at), dev + " " + key + "[" + at + "]", devIndex, -1,
                    dev + " " + key, wqHomes, caps)));
            }
        }
        return b.build();
    }

    /** Runs {@code step}; a ConfigException is thrown on ({@code problems} null) or recorded. */
    private static void collect(List<String> problems, Runnable step) {
        if (problems == null) {
            step.run();
            return;
        }
        try {
            step.run();
        } catch (ConfigException e) {
            problems.add(e.getMessage());
        }
    }

    private static void parseGroup(JsonNode node, int j, DeviceConfig.Builder b, String dev, int devIndex,
                                   DeviceCapabilities caps, Set<Integer> groupIds, Map<Integer, String> wqHomes,
                                   Map<Integer, String> engineHomes, List<String> problems) {
        {
            final String where = dev + " " + GROUPS + "[" + j + "]";
            final ObjectNode g = object(node, where, "group");
            final int gid = subIndex(g, where, "group", devIndex);
            final String gname = "group" + devIndex + "." + gid;
            if (!groupIds.add(gid)) {
                throw ConfigException.invalid(gname, DEV, show(g.get(DEV)), "the group appears twice");
            }
            final List<Integer> engines = new ArrayList<>();
            final List<JsonNode> engineNodes = array(g, gname, GROUPED_ENGINES);
            for (int k = 0; k < engineNodes.size(); k++) {
                final int at = k;
                collect(problems, () -> engines.add(parseEngine(engineNodes.get(at),
                    gname + " " + GROUPED_ENGINES + "[" + at + "]", devIndex, gid, gname, engineHomes)));
            }
            final GroupConfig defaults = GroupConfig.of(gid);
            b.group(new GroupConfig(gid, engines,
                optionalIntIn(g, gname, oneOf(g, gname, READ_BUFFERS_RESERVED, TOKENS_RESERVED),
                    defaults.readBuffersReserved(), 0, 255),
                optionalIntIn(g, gname, oneOf(g, gname, USE_READ_BUFFER_LIMIT, USE_TOKEN_LIMIT),
                    defaults.useReadBufferLimit() ? 1 : 0, 0, 1) != 0,
                optionalIntIn(g, gname, oneOf(g, gname, READ_BUFFERS_ALLOWED, TOKENS_ALLOWED),
                    defaults.readBuffersAllowed(), 0, 255),
                optionalIntIn(g, gname, TRAFFIC_CLASS_A, defaults.trafficClassA(), 0, 7),
                optionalIntIn(g, gname, TRAFFIC_CLASS_B, defaults.trafficClassB(), 0, 7),
                optionalIntIn(g, gname, DESC_PROGRESS_LIMIT, defaults.descProgressLimit(), 0, 3),
                optionalIntIn(g, gname, BATCH_PROGRESS_LIMIT, defaults.batchProgressLimit(), 0, 3)));
            final List<JsonNode> wqNodes = array(g, gname, GROUPED_WQS);
            for (int k = 0; k < wqNodes.size(); k++) {
                final int at = k;
                collect(problems, () -> b.wq(parseWq(wqNodes.get(at), gname + " " + GROUPED_WQS + "[" + at + "]",
                    devIndex, gid, gname, wqHomes, caps)));
            }
        }
    }

    /** One engine object; returns its index. {@code group} is the enclosing group's id, -1 for ungrouped engines. */
    private static int parseEngine(JsonNode node, String where, int devIndex, int group, String home,
                                   Map<Integer, String> engineHomes) {
        final ObjectNode e = object(node, where, "engine");
        final int index = subIndex(e, where, "engine", devIndex);
        final String name = "engine" + devIndex + "." + index;
        final String previous = engineHomes.putIfAbsent(index, home);
        if (previous != null) {
            throw ConfigException.invalid(name, DEV, show(e.get(DEV)),
                "the engine appears twice (in " + previous + " and " + home + ")");
        }
        final int groupId = intIn(e, name, GROUP_ID, group, -1, Integer.MAX_VALUE);
        if (groupId != group) {
            throw ConfigException.invalid(name, GROUP_ID, groupId, group < 0
                ? "an ungrouped engine has group_id -1" : "the engine sits in " + home);
        }
        return index;
    }

    /** One WQ object. {@code group} is the enclosing group's id, -1 for ungrouped WQs. */
    private static WqConfig parseWq(JsonNode node, String where, int devIndex, int group, String home,
                                    Map<Integer, String> wqHomes, DeviceCapabilities caps) {
        final ObjectNode w = object(node, where, "WQ");
        final int index = subIndex(w, where, "wq", devIndex);
        final String name = "wq" + devIndex + "." + index;
        final String previous = wqHomes.putIfAbsent(index, home);
        if (previous != null) {
            throw ConfigException.invalid(name, DEV, show(w.get(DEV)),
                "the WQ appears twice (in " + previous + " and " + home + ")");
        }
        final WqConfig.Builder b = WqConfig.builder(index).group(group);
        final int groupId = intIn(w, name, GROUP_ID, group, -1, Integer.MAX_VALUE);
        if (groupId != group) {
            throw ConfigException.invalid(name, GROUP_ID, groupId, group < 0
                ? "a WQ outside any group has group_id -1" : "the WQ sits in " + home);
        }

        WqMode mode = WqMode.SHARED;
        final String modeName = string(w, name, MODE, null);
        if (modeName != null) {
            mode = switch (modeName) {
                case "shared" -> WqMode.SHARED;
                case "dedicated" -> WqMode.DEDICATED;
                default -> throw ConfigException.invalid(name, MODE, show(w.get(MODE)),
                    "\"shared\" or \"dedicated\"");
            };
            b.mode(mode);
        }
        final int size = intIn(w, name, SIZE, WqConfig.DEFAULT_SIZE, 0, Integer.MAX_VALUE);
        b.size(size);
        if (w.has(THRESHOLD)) {
            final int threshold = intIn(w, name, THRESHOLD, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
            if (mode == WqMode.DEDICATED) {
                if (threshold != 0) {
                    throw ConfigException.invalid(name, THRESHOLD, threshold, "only shared WQs have a threshold");
                }
            } else if (size == 0 ? threshold != 0 : threshold < 1 || threshold > size) {
                throw ConfigException.invalid(name, THRESHOLD, threshold,
                    "a shared WQ needs 1..size (" + size + ")");
            }
            b.threshold(threshold);
        } // absent: WqConfig takes size for a shared WQ, 0 for a dedicated one
        b.priority(intIn(w, name, PRIORITY, 10, Integer.MIN_VALUE, Integer.MAX_VALUE)); // range: DeviceConfig
        b.blockOnFault(flag(w, name, BLOCK_ON_FAULT, false));
        b.maxBatchSize((int) positiveCapped(w, name, MAX_BATCH_SIZE, WqConfig.DEFAULT_MAX_BATCH_SIZE,
            caps.maxBatchSize()));
        b.maxTransferSize(positiveCapped(w, name, MAX_TRANSFER_SIZE, WqConfig.DEFAULT_MAX_TRANSFER_SIZE,
            caps.maxTransferSize()));
        final String type = string(w, name, TYPE, "user");
        if (!WQ_TYPES.contains(type)) {
            throw ConfigException.invalid(name, TYPE, show(w.get(TYPE)), "one of " + WQ_TYPES);
        }
        b.type(type);
        b.name(string(w, name, NAME, ""));
        b.driverName(string(w, name, DRIVER_NAME, "user"));
        b.atsDisable(flag(w, name, ATS_DISABLE, false));
        b.prsDisable(flag(w, name, PRS_DISABLE, false));
        if (w.has(OP_CONFIG)) {
            b.opConfig(parseOpConfig(w.get(OP_CONFIG), name));
        }
        b.pasid(flag(w, name, PASID_ENABLED, false), intIn(w, name, PASID, 0, 0, Integer.MAX_VALUE)); // 20 bits: DeviceConfig
        b.priv(flag(w, name, PRIV, false));
        return b.build();
    }

    /**
     * Eight comma-separated 32-bit hex words, most significant first (the kernel's {@code %*pb}): the last word is
     * opcodes 0..31. Returns WqConfig's layout: long k = (word 2k+1 &lt;&lt; 32) | word 2k, word 0 the least
     * significant.
     */
    private static long[] parseOpConfig(JsonNode node, String name) {
        final String rule = "eight comma-separated 32-bit hex words, most significant first";
        if (!node.isTextual()) {
            throw ConfigException.invalid(name, OP_CONFIG, show(node), rule);
        }
        final String[] words = node.textValue().strip().split(",", -1);
        if (words.length != OP_CONFIG_WORDS) {
            throw ConfigException.invalid(name, OP_CONFIG, show(node), rule + "; found " + words.length);
        }
        final long[] bitmap = new long[4];
        for (int i = 0; i < OP_CONFIG_WORDS; i++) {
            if (!HEX_WORD.matcher(words[i]).matches()) {
                throw ConfigException.invalid(name, OP_CONFIG, show(node), rule + "; bad word \"" + words[i] + "\"");
            }
            final int word = OP_CONFIG_WORDS - 1 - i; // significance: word 0 = opcodes 0..31
            bitmap[word >>> 1] |= Long.parseLong(words[i], 16) << (32 * (word & 1));
        }
        return bitmap;
    }

    private static String formatOpConfig(long[] bitmap) {
        final StringBuilder sb = new StringBuilder(OP_CONFIG_WORDS * 9);
        for (int word = OP_CONFIG_WORDS - 1; word >= 0; word--) {
            final long value = (bitmap[word >>> 1] >>> (32 * (word & 1))) & 0xFFFF_FFFFL;
            sb.append(String.format("%08x", value));
            if (word > 0) {
                sb.append(',');
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Value readers: each names the object, key and value when it refuses one.

    private static ObjectNode object(JsonNode node, String where, String what) {
        if (!(node instanceof ObjectNode o)) {
            throw ConfigException.invalid(where, what, show(node), "a JSON object is required");
        }
        return o;
    }

    private static String devName(ObjectNode o, String where) {
        final JsonNode dev = o.get(DEV);
        if (dev == null) {
            throw ConfigException.invalid(where, DEV, "(missing)", "every object starts with its dev name");
        }
        if (!dev.isTextual()) {
            throw ConfigException.invalid(where, DEV, show(dev), "a string is required");
        }
        return dev.textValue();
    }

    /** The Q of "wqN.Q" (or G of "groupN.G", E of "engineN.E"), checking the prefix and that N is the device's. */
    private static int subIndex(ObjectNode o, String where, String prefix, int devIndex) {
        final String dev = devName(o, where);
        final Matcher m = SUB_NAME.matcher(dev);
        if (!m.matches() || !m.group(1).equals(prefix)) {
            throw ConfigException.invalid(where, DEV, show(o.get(DEV)), "a name " + prefix + "N.M is required");
        }
        if (Integer.parseInt(m.group(2)) != devIndex) {
            throw ConfigException.invalid(where, DEV, show(o.get(DEV)),
                "belongs to device " + m.group(2) + ", not dsa" + devIndex);
        }
        return Integer.parseInt(m.group(3));
    }

    /** An optional array; absent is empty. */
    private static List<JsonNode> array(ObjectNode o, String name, String key) {
        final JsonNode node = o.get(key);
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ConfigException.invalid(name, key, show(node), "an array is required");
        }
        final List<JsonNode> items = new ArrayList<>(node.size());
        node.forEach(items::add);
        return items;
    }

    /** The key present of {@code key} and its legacy spelling, {@code key} when neither; both must agree. */
    private static String oneOf(ObjectNode o, String name, String key, String legacy) {
        final JsonNode current = o.get(key);
        final JsonNode old = o.get(legacy);
        if (current != null && old != null && !current.equals(old)) {
            throw ConfigException.invalid(name, legacy, show(old), "disagrees with " + key + " = " + show(current));
        }
        return current == null && old != null ? legacy : key;
    }

    private static int intIn(ObjectNode o, String name, String key, int absent, int min, int max) {
        final JsonNode node = o.get(key);
        if (node == null) {
            return absent;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
            final String rule = min == Integer.MIN_VALUE ? "an integer is required"
                : max == Integer.MAX_VALUE ? "an integer >= " + min + " is required"
                : "an integer " + min + ".." + max + " is required";
            throw ConfigException.invalid(name, key, show(node), rule);
        }
        return node.intValue();
    }

    /** Like {@link #intIn}, but -1 means "not set" (accel-config's convention for group attributes). */
    private static int optionalIntIn(ObjectNode o, String name, String key, int absent, int min, int max) {
        final JsonNode node = o.get(key);
        if (node == null) {
            return absent;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()
            || (node.intValue() != -1 && (node.intValue() < min || node.intValue() > max))) {
            throw ConfigException.invalid(name, key, show(node),
                "an integer " + min + ".." + max + " or -1 (not set) is required");
        }
        return node.intValue() == -1 ? absent : node.intValue();
    }

    /** A 0/1 switch; JSON true/false are taken too. */
    private static boolean flag(ObjectNode o, String name, String key, boolean absent) {
        final JsonNode node = o.get(key);
        if (node == null) {
            return absent;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber() && node.canConvertToInt() && (node.intValue() == 0 || node.intValue() == 1)) {
            return node.intValue() == 1;
        }
        throw ConfigException.invalid(name, key, show(node), "0 or 1 is required");
    }

    /** A non-zero size, capped at {@code cap} (a power of two) as the kernel rules ask; rounding is DeviceConfig's. */
    private static long positiveCapped(ObjectNode o, String name, String key, long absent, long cap) {
        final JsonNode node = o.get(key);
        if (node == null) {
            return Math.min(absent, cap);
        }
        if (!node.isIntegralNumber()) {
            throw ConfigException.invalid(name, key, show(node), "a positive integer is required");
        }
        final BigInteger value = node.bigIntegerValue();
        if (value.signum() <= 0) {
            throw ConfigException.invalid(name, key, show(node), "a positive (non-zero) integer is required");
        }
        return value.compareTo(BigInteger.valueOf(cap)) >= 0 ? cap : value.longValueExact();
    }

    private static String string(ObjectNode o, String name, String key, String absent) {
        final JsonNode node = o.get(key);
        if (node == null) {
            return absent;
        }
        if (!node.isTextual()) {
            throw ConfigException.invalid(name, key, show(node), "a string is required");
        }
        return node.textValue();
    }

    /** A value as it appears in JSON, shortened for an error message. */
    private static String show(JsonNode node) {
        final String text = node == null ? "(missing)" : node.toString();
        return text.length() <= MAX_VALUE_CHARS ? text : text.substring(0, MAX_VALUE_CHARS) + "...";
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Saving

    private static ObjectNode deviceNode(DeviceConfig d) {
        final int devIndex = d.deviceIndex();
        final ObjectNode node = MAPPER.createObjectNode();
        node.put(DEV, d.name());
        node.put(READ_BUFFER_LIMIT, d.readBufferLimit());
        if (d.eventLogSize() != 0) {
            node.put(EVENT_LOG_SIZE, d.eventLogSize());
        }
        final Set<Integer> groupIds = new LinkedHashSet<>();
        if (!d.groups().isEmpty()) {
            final ArrayNode groups = node.putArray(GROUPS);
            for (GroupConfig g : d.groups()) {
                groupIds.add(g.id());
                groups.add(groupNode(d, devIndex, g));
            }
        }
        final List<WqConfig> ungrouped = d.wqs().stream().filter(w -> w.groupId() < 0).toList();
        if (!ungrouped.isEmpty()) {
            final ArrayNode wqs = node.putArray(UNGROUPED_WQS);
            ungrouped.forEach(w -> wqs.add(wqNode(devIndex, w)));
        }
        for (WqConfig w : d.wqs()) {
            if (w.groupId() >= 0 && !groupIds.contains(w.groupId())) {
                throw ConfigException.invalid("wq" + devIndex + "." + w.index(), GROUP_ID, w.groupId(),
                    "no such group in " + d.name());
            }
        }
        return node;
    }

    private static ObjectNode groupNode(DeviceConfig d, int devIndex, GroupConfig g) {
        final ObjectNode node = MAPPER.createObjectNode();
        node.put(DEV, "group" + devIndex + "." + g.id());
        node.put(READ_BUFFERS_RESERVED, g.readBuffersReserved());
        node.put(USE_READ_BUFFER_LIMIT, g.useReadBufferLimit() ? 1 : 0);
        node.put(READ_BUFFERS_ALLOWED, g.readBuffersAllowed());
        node.put(TRAFFIC_CLASS_A, g.trafficClassA());
        node.put(TRAFFIC_CLASS_B, g.trafficClassB());
        node.put(DESC_PROGRESS_LIMIT, g.descProgressLimit());
        node.put(BATCH_PROGRESS_LIMIT, g.batchProgressLimit());
        final List<WqConfig> wqs = d.wqs().stream().filter(w -> w.groupId() == g.id()).toList();
        if (!wqs.isEmpty()) {
            final ArrayNode array = node.putArray(GROUPED_WQS);
            wqs.forEach(w -> array.add(wqNode(devIndex, w)));
        }
        if (!g.engines().isEmpty()) {
            final ArrayNode array = node.putArray(GROUPED_ENGINES);
            for (int e : g.engines()) {
                final ObjectNode engine = array.addObject();
                engine.put(DEV, "engine" + devIndex + "." + e);
                engine.put(GROUP_ID, g.id());
            }
        }
        return node;
    }

    /** Keys in accel-config's order, then softdsa's own when they differ from their defaults. */
    private static ObjectNode wqNode(int devIndex, WqConfig w) {
        final ObjectNode node = MAPPER.createObjectNode();
        node.put(DEV, "wq" + devIndex + "." + w.index());
        node.put(MODE, w.mode().accelConfigName());
        node.put(SIZE, w.size());
        node.put(GROUP_ID, w.groupId());
        node.put(PRIORITY, w.priority());
        node.put(BLOCK_ON_FAULT, w.blockOnFault() ? 1 : 0);
        node.put(MAX_BATCH_SIZE, w.maxBatchSize());
        node.put(MAX_TRANSFER_SIZE, w.maxTransferSize());
        node.put(TYPE, w.type());
        node.put(NAME, w.name());
        node.put(DRIVER_NAME, w.driverName());
        node.put(THRESHOLD, w.threshold());
        node.put(PRS_DISABLE, w.prsDisable() ? 1 : 0);
        node.put(ATS_DISABLE, w.atsDisable() ? 1 : 0);
        final long[] opConfig = w.opConfig();
        if (opConfig != null) {
            node.put(OP_CONFIG, formatOpConfig(opConfig));
        }
        if (w.pasidEnabled() || w.pasid() != 0) {
            node.put(PASID_ENABLED, w.pasidEnabled() ? 1 : 0);
            node.put(PASID, w.pasid());
        }
        if (w.priv()) {
            node.put(PRIV, 1);
        }
        return node;
    }
}
