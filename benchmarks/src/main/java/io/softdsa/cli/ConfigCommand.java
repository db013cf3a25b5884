package io.softdsa.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.softdsa.accelconfig.AccelConfigJson;
import io.softdsa.device.config.ConfigException;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code ./softdsa config list [-c FILE]} and {@code ./softdsa config check FILE}: accel-config's {@code list} and a
 * {@code load-config} dry run. {@code list} prints the devices in {@code accel-config list}'s JSON shape: the device's
 * attributes and capabilities, its groups with their {@code grouped_workqueues} and {@code grouped_engines}, each WQ
 * with its {@code state}. Without {@code -c} it lists the built-in device the other commands ({@code perf},
 * {@code example}) run on, or the one named by {@code --config FILE --device dsaN}. Exit codes: 0 good, 1 the file has
 * problems, 2 usage.
 */
public final class ConfigCommand {
    static final String USAGE = "usage: ./softdsa config list [-c FILE] | ./softdsa config check FILE";

    private ConfigCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println("softdsa config: " + USAGE);
            return 2;
        }
        final String sub = args[0];
        switch (sub) {
            case "list" -> {
                Path file = System.getProperty("softdsa.config") == null ? null
                    : Path.of(System.getProperty("softdsa.config"));
                for (int i = 1; i < args.length; i++) {
                    if ((args[i].equals("-c") || args[i].equals("--config-file")) && i + 1 < args.length) {
                        file = Path.of(args[++i]);
                    } else {
                        err.println("softdsa config list: unexpected argument " + args[i] + " (" + USAGE + ")");
                        return 2;
                    }
                }
                try {
                    final List<DeviceConfig> devices = file == null ? List.of(PerfCommand.defaultDevice(
                        System.getProperty("softdsa.device", "dsa0")))
                        : selected(AccelConfigJson.load(file), System.getProperty("softdsa.device"));
                    out.print(list(devices, DeviceCapabilities.defaults()));
                    return 0;
                } catch (ConfigException e) {
                    err.println("softdsa config list: " + e.getMessage());
                    return 1;
                }
            }
            case "check" -> {
                if (args.length != 2) {
                    err.println("softdsa config check: one FILE is required (" + USAGE + ")");
                    return 2;
                }
                final Path file = Path.of(args[1]);
                if (!Files.isReadable(file)) {
                    err.println("softdsa config check: " + file + ": no such readable file");
                    return 2;
                }
                final List<String> problems = AccelConfigJson.check(file, DeviceCapabilities.defaults());
                problems.forEach(out::println);
                out.println(file + ": " + (problems.isEmpty() ? "ok" : problems.size() + " problem"
                    + (problems.size() == 1 ? "" : "s")));
                return problems.isEmpty() ? 0 : 1;
            }
            default -> {
                err.println("softdsa config: unknown sub-command " + sub + " (" + USAGE + ")");
                return 2;
            }
        }
    }

    private static List<DeviceConfig> selected(List<DeviceConfig> devices, String name) {
        if (name == null) {
            return devices;
        }
        return devices.stream().filter(d -> d.name().equals(name)).findFirst().map(List::of)
            .orElseThrow(() -> new ConfigException("no device " + name + " in the file; it holds "
                + devices.stream().map(DeviceConfig::name).toList()));
    }

    /**
     * {@code accel-config list}'s JSON: {@link AccelConfigJson#save} gives the configured attributes in accel-config's
     * order; the device's read-only capability attributes follow {@code read_buffer_limit} as accel-config prints
     * them, and every device and WQ gets a {@code state} ("disabled": a file, not a running device).
     */
    public static String list(List<DeviceConfig> devices, DeviceCapabilities caps) {
        final JsonMapper mapper = JsonMapper.builder().build();
        try {
            final ArrayNode saved = (ArrayNode) mapper.readTree(AccelConfigJson.save(devices));
            final ArrayNode listed = mapper.createArrayNode();
            for (JsonNode d : saved) {
                final ObjectNode dev = mapper.createObjectNode();
                final Iterator<Map.Entry<String, JsonNode>> fields = d.fields();
                while (fields.hasNext()) {
                    final Map.Entry<String, JsonNode> f = fields.next();
                    dev.set(f.getKey(), f.getValue());
                    if (f.getKey().equals("read_buffer_limit")) {
                        dev.put("max_groups", caps.maxGroups());
                        dev.put("max_work_queues", caps.maxWqs());
                        dev.put("max_engines", caps.maxEngines());
                        dev.put("work_queue_size", caps.totalWqSize());
                        dev.put("max_batch_size", caps.maxBatchSize());
                        dev.put("max_transfer_size", caps.maxTransferSize());
                        dev.put("gen_cap", String.format("0x%x", caps.gencap()));
                        dev.put("version", String.format("0x%x", caps.version()));
                        dev.put("state", "disabled");
                        dev.put("configurable", 1);
                    }
                }
                for (JsonNode g : d.path("groups")) {
                    for (JsonNode w : g.path("grouped_workqueues")) {
                        ((ObjectNode) w).put("state", "disabled");
                    }
                }
                for (JsonNode w : d.path("ungrouped_workqueues")) {
                    ((ObjectNode) w).put("state", "disabled");
                }
                listed.add(dev);
            }
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(listed) + "\n";
        } catch (java.io.IOException e) {
            throw new ConfigException("cannot list: " + e);
        }
    }
}
