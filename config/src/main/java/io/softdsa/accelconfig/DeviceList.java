package io.softdsa.accelconfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.softdsa.device.config.ConfigException;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.softdsa.accelconfig.AccelConfigKeys.DEV;
import static io.softdsa.accelconfig.JsonValues.devName;
import static io.softdsa.accelconfig.JsonValues.object;
import static io.softdsa.accelconfig.JsonValues.show;

/**
 * The validation of a whole file's tree: a JSON array of devices, each named {@code dsaN} once ({@code iaxN} devices
 * skipped: softdsa models DSA only), read by {@link DeviceReader} and then held to the kernel's rules by
 * {@link DeviceConfig#validate}. Either the first problem throws ({@link #devices}), or every problem is listed
 * ({@link #problems}) — one walk serves both, so the two can never disagree on what is accepted.
 */
final class DeviceList {
    private static final Pattern DSA_NAME = Pattern.compile("dsa(0|[1-9][0-9]{0,5})");
    private static final Pattern IAX_NAME = Pattern.compile("iax(0|[1-9][0-9]{0,5})");

    private DeviceList() {
    }

    /** The validated DSA devices of {@code root}; the first problem throws. */
    static List<DeviceConfig> devices(JsonNode root, String source, DeviceCapabilities caps) {
        return walk(root, source, caps, null);
    }

    /**
     * Every problem of {@code root}, each starting with {@code source}; empty when {@link #devices} accepts it.
     * Parsing continues past a bad WQ, engine or group; a device's cross-object rules (total WQ size, groups of WQs)
     * are checked once its objects parse.
     */
    static List<String> problems(JsonNode root, String source, DeviceCapabilities caps) {
        final List<String> problems = new ArrayList<>();
        walk(root, source, caps, problems);
        return problems.stream().map(p -> p.startsWith(source) ? p : source + ": " + p).toList();
    }

    /** With {@code problems} null the first problem throws; otherwise each is recorded there and the walk goes on. */
    private static List<DeviceConfig> walk(JsonNode root, String source, DeviceCapabilities caps,
                                           List<String> problems) {
        Objects.requireNonNull(caps, "caps");
        final List<DeviceConfig> devices = new ArrayList<>();
        try {
            if (root == null || root.isMissingNode()) {
                throw new ConfigException(source + ": empty, an accel-config file is a JSON array of devices");
            }
            if (!root.isArray()) {
                throw ConfigException.invalid(source, "top level", show(root),
                    "an accel-config file is a JSON array of devices");
            }
        } catch (ConfigException e) {
            record(problems, e);
            return List.of();
        }
        final Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < root.size(); i++) {
            final String where = source + " [" + i + "]";
            try {
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
                final int before = problems == null ? 0 : problems.size();
                final DeviceConfig parsed = DeviceReader.device(d, dev, Integer.parseInt(m.group(1)), caps, problems);
                if (problems == null || problems.size() == before) {
                    devices.add(parsed.validate(caps));
                }
            } catch (ConfigException e) {
                record(problems, e);
            }
        }
        return List.copyOf(devices);
    }

    private static void record(List<String> problems, ConfigException e) {
        if (problems == null) {
            throw e;
        }
        problems.add(e.getMessage());
    }
}
