package io.softdsa.accelconfig;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.softdsa.device.config.ConfigException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * accel-config's JSON as text: the one Jackson mapper (a trailing comma is accepted, as accel-config's parser does; a
 * duplicate key or trailing tokens are refused) and the reading of a bounded file, a string or a stream into a tree.
 * A syntax error becomes a {@link ConfigException} naming the source, line and column.
 */
final class JsonText {
    /** See {@link AccelConfigJson#MAX_FILE_BYTES}. */
    static final int MAX_FILE_BYTES = 1 << 20;

    static final JsonMapper MAPPER = JsonMapper.builder()
        .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();

    /** Jackson's "[Source: REDACTED (...); " prefix in nested locations: no help to whoever reads the message. */
    private static final Pattern SOURCE_NOISE = Pattern.compile("\\[Source: [^;]*; ");

    private JsonText() {
    }

    /** The file's tree; a file too large or unreadable, or not JSON, is a ConfigException naming it. */
    static JsonNode read(Path file) {
        final byte[] bytes = readBounded(file);
        try {
            return MAPPER.readTree(bytes);
        } catch (IOException | RuntimeException e) {
            throw notJson(file.toString(), e);
        }
    }

    static JsonNode read(String json, String source) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException | RuntimeException e) {
            throw notJson(source, e);
        }
    }

    /** Reads {@code in} to its end without closing it. */
    static JsonNode read(InputStream in, String source) {
        try {
            return MAPPER.readTree(in);
        } catch (IOException | RuntimeException e) {
            throw notJson(source, e);
        }
    }

    /** Reads at most {@link #MAX_FILE_BYTES} + 1 bytes, whatever the file claims its size is (devices, pipes). */
    private static byte[] readBounded(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
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

    private static ConfigException notJson(String source, Exception e) {
        if (e instanceof JsonProcessingException jpe) {
            final JsonLocation at = jpe.getLocation();
            final String where = at == null ? "" : " at line " + at.getLineNr() + " column " + at.getColumnNr();
            final String problem = SOURCE_NOISE.matcher(jpe.getOriginalMessage()).replaceAll("[");
            return new ConfigException(source + ": not valid JSON: " + problem + where);
        }
        return new ConfigException(source + ": cannot read JSON (" + e + ")");
    }
}
