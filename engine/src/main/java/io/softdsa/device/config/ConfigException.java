package io.softdsa.device.config;

/** An invalid device configuration: names the object, key and value at fault. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public static ConfigException invalid(String object, String key, Object value, String rule) {
        return new ConfigException(object + ": invalid " + key + " = " + value + " (" + rule + ")");
    }
}
