package io.softdsa.accelconfig;

import com.fasterxml.jackson.databind.JsonNode;
import io.softdsa.device.config.ConfigException;

import java.util.regex.Pattern;

import static io.softdsa.accelconfig.AccelConfigKeys.OP_CONFIG;
import static io.softdsa.accelconfig.JsonValues.show;

/**
 * A WQ's {@code op_config} as the kernel prints a bitmap ({@code %*pb}) and accel-config copies it: eight
 * comma-separated 32-bit hex words, <em>most significant first</em>, so the last word holds opcodes 0..31 and the
 * first opcodes 224..255. In {@code WqConfig}'s layout long k = (word 2k+1 &lt;&lt; 32) | word 2k, word 0 the
 * least significant.
 */
final class OpConfigBitmap {
    private static final int WORDS = 8;
    private static final Pattern HEX_WORD = Pattern.compile("[0-9a-fA-F]{1,8}");

    private OpConfigBitmap() {
    }

    static long[] parse(JsonNode node, String name) {
        final String rule = "eight comma-separated 32-bit hex words, most significant first";
        if (!node.isTextual()) {
            throw ConfigException.invalid(name, OP_CONFIG, show(node), rule);
        }
        final String[] words = node.textValue().strip().split(",", -1);
        if (words.length != WORDS) {
            throw ConfigException.invalid(name, OP_CONFIG, show(node), rule + "; found " + words.length);
        }
        final long[] bitmap = new long[4];
        for (int i = 0; i < WORDS; i++) {
            if (!HEX_WORD.matcher(words[i]).matches()) {
                throw ConfigException.invalid(name, OP_CONFIG, show(node), rule + "; bad word \"" + words[i] + "\"");
            }
            final int word = WORDS - 1 - i; // significance: word 0 = opcodes 0..31
            bitmap[word >>> 1] |= Long.parseLong(words[i], 16) << (32 * (word & 1));
        }
        return bitmap;
    }

    static String format(long[] bitmap) {
        final StringBuilder sb = new StringBuilder(WORDS * 9);
        for (int word = WORDS - 1; word >= 0; word--) {
            final long value = (bitmap[word >>> 1] >>> (32 * (word & 1))) & 0xFFFF_FFFFL;
            sb.append(String.format("%08x", value));
            if (word > 0) {
                sb.append(',');
            }
        }
        return sb.toString();
    }
}
