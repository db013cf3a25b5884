package io.softdsa.accelconfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.softdsa.device.config.ConfigException;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import static io.softdsa.accelconfig.AccelConfigKeys.DEV;

/**
 * Readers of one value of an accel-config object: each takes the object's name ({@code wq0.3}) and the key, and
 * refuses a value with a {@link ConfigException} naming the object, the key, the value as written and the rule.
 */
final class JsonValues {
    private static final int MAX_VALUE_CHARS = 80;

    private JsonValues() {
    }

    static ObjectNode object(JsonNode node, String where, String what) {
        if (!(node instanceof ObjectNode o)) {
            throw ConfigException.invalid(where, what, show(node), "a JSON object is required");
        }
        return o;
    }

    static String devName(ObjectNode o, String where) {
        final JsonNode dev = o.get(DEV);
        if (dev == null) {
            throw ConfigException.invalid(where, DEV, "(missing)", "every object starts with its dev name");
        }
        if (!dev.isTextual()) {
            throw ConfigException.invalid(where, DEV, show(dev), "a string is required");
        }
        return dev.textValue();
    }

    /** An optional array; absent is empty. */
    static List<JsonNode> array(ObjectNode o, String name, String key) {
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
    static String oneOf(ObjectNode o, String name, String key, String legacy) {
        final JsonNode current = o.get(key);
        final JsonNode old = o.get(legacy);
        if (current != null && old != null && !current.equals(old)) {
            throw ConfigException.invalid(name, legacy, show(old), "disagrees with " + key + " = " + show(current));
        }
        return current == null && old != null ? legacy : key;
    }

    static int intIn(ObjectNode o, String name, String key, int absent, int min, int max) {
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
    static int optionalIntIn(ObjectNode o, String name, String key, int absent, int min, int max) {
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
    static boolean flag(ObjectNode o, String name, String key, boolean absent) {
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
    static long positiveCapped(ObjectNode o, String name, String key, long absent, long cap) {
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

    static String string(ObjectNode o, String name, String key, String absent) {
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
    static String show(JsonNode node) {
        final String text = node == null ? "(missing)" : node.toString();
        return text.length() <= MAX_VALUE_CHARS ? text : text.substring(0, MAX_VALUE_CHARS) + "...";
    }
}
