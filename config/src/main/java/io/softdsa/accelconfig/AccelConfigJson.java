package io.softdsa.accelconfig;

import com.fasterxml.jackson.databind.JsonNode;
import io.softdsa.device.config.ConfigException;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

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
 *
 * <p>The work is split by job: {@link JsonText} reads the text, {@link DeviceList} validates the array of devices,
 * {@link DeviceReader} builds each {@link DeviceConfig}, {@link AccelConfigWriter} writes them back; this class is
 * the entry point.
 */
public final class AccelConfigJson {
    /**
     * Largest file accepted (1 MiB): accel-config's file for the biggest DSA (8 WQs, 4 engines, 4 groups per device,
     * a few devices) is a few KiB; anything larger — {@code /dev/zero}, a sparse multi-GiB file — is not one.
     */
    public static final int MAX_FILE_BYTES = JsonText.MAX_FILE_BYTES;

    private static final String TEXT = "accel-config JSON";

    private AccelConfigJson() {
    }

    /** Loads every DSA device of the file, validated against {@link DeviceCapabilities#defaults()}. */
    public static List<DeviceConfig> load(Path file) {
        return load(file, DeviceCapabilities.defaults());
    }

    /** Loads every DSA device of the file, validated against {@code caps}. */
    public static List<DeviceConfig> load(Path file, DeviceCapabilities caps) {
        Objects.requireNonNull(file, "file");
        final JsonNode root = JsonText.read(file);
        try {
            return DeviceList.devices(root, file.toString(), caps);
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
        final JsonNode root;
        try {
            root = JsonText.read(file);
        } catch (ConfigException e) {
            return List.of(e.getMessage());
        }
        return DeviceList.problems(root, file.toString(), caps);
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

    /** Loads the device {@code devName} (e.g. "dsa0") of the file, validated against the default capabilities. */
    public static DeviceConfig loadDevice(Path file, String devName) {
        Objects.requireNonNull(devName, "devName");
        final List<DeviceConfig> devices = load(file);
        for (DeviceConfig d : devices) {
            if (d.name().equals(devName)) {
                return d;
            }
        }
        throw ConfigException.invalid(file.toString(), AccelConfigKeys.DEV, devName,
            "no such device in the file; it holds " + devices.stream().map(DeviceConfig::name).toList());
    }

    /** Parses accel-config JSON text, validated against {@link DeviceCapabilities#defaults()}. */
    public static List<DeviceConfig> parse(String json) {
        return parse(json, DeviceCapabilities.defaults());
    }

    /** Parses accel-config JSON text, validated against {@code caps}. */
    public static List<DeviceConfig> parse(String json, DeviceCapabilities caps) {
        Objects.requireNonNull(json, "json");
        return DeviceList.devices(JsonText.read(json, TEXT), TEXT, caps);
    }

    /** Parses accel-config JSON from a stream (read to its end, not closed). */
    public static List<DeviceConfig> parse(InputStream in) {
        return parse(in, DeviceCapabilities.defaults());
    }

    /** Parses accel-config JSON from a stream (read to its end, not closed), validated against {@code caps}. */
    public static List<DeviceConfig> parse(InputStream in, DeviceCapabilities caps) {
        Objects.requireNonNull(in, "in");
        return DeviceList.devices(JsonText.read(in, TEXT), TEXT, caps);
    }

    /**
     * Writes {@code devices} in accel-config's format, pretty printed with {@code dev} first in every object. For a
     * validated configuration {@code parse(save(x))} equals {@code x}.
     *
     * @throws ConfigException if a WQ names a group the device does not have
     */
    public static String save(List<DeviceConfig> devices) {
        return AccelConfigWriter.write(devices);
    }
}
