package io.softdsa.telemetry;

import org.agrona.concurrent.status.CountersReader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Layout of a device's counters file, the way Aeron's CnC file holds the media driver's counters: a header page that
 * says whose file it is, then an Agrona counters metadata buffer and values buffer ({@code CountersManager} writes
 * them in the device's JVM, {@code CountersReader} reads them from any other process that maps the file).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |              Magic "SOFTDSA" + layout version byte             |  0
 *  |                 (stored last, with release)                   |
 *  +---------------------------------------------------------------+
 *  |                     Metadata buffer length                    |  8
 *  +---------------------------------------------------------------+
 *  |                      Values buffer length                     | 12
 *  +---------------------------------------------------------------+
 *  |                          Device index                         | 16
 *  +---------------------------------------------------------------+
 *  |                      Device name length                       | 20
 *  +---------------------------------------------------------------+
 *  |                          Writer PID                           | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   Start time (epoch milliseconds)             | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |     Close time (epoch milliseconds; 0 while the device runs)  | 40
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |              Device name (UTF-8, at most 64 bytes)         ...| 48
 *  +---------------------------------------------------------------+
 *  |                  zero up to HEADER_LENGTH (4096)           ...|
 *  +---------------------------------------------------------------+
 *  |        Metadata buffer: one 512-byte record per counter    ...| 4096
 *  +---------------------------------------------------------------+
 *  |         Values buffer: one 128-byte value per counter      ...|
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Multi-byte fields are in the machine's byte order (the file never leaves the machine). The buffers start on page
 * boundaries, so every counter value is 8-byte aligned for the atomic and ordered accesses both sides make.
 */
public final class CountersFileLayout {
    /** The layout version, the low byte of {@link #MAGIC}: a reader refuses any other. */
    public static final int VERSION = 1;
    /** What identifies a counters file of any version: its first 7 bytes. */
    public static final String MAGIC_TEXT = "SOFTDSA";
    /** "SOFTDSA" followed by the version byte, as the 8 bytes at offset 0 read them. */
    public static final long MAGIC = magic(MAGIC_TEXT, VERSION);

    public static final int MAGIC_OFFSET = 0;
    /** The version byte, the last of the magic. */
    public static final int VERSION_OFFSET = 7;
    public static final int METADATA_LENGTH_OFFSET = 8;
    public static final int VALUES_LENGTH_OFFSET = 12;
    public static final int DEVICE_INDEX_OFFSET = 16;
    public static final int DEVICE_NAME_LENGTH_OFFSET = 20;
    public static final int PID_OFFSET = 24;
    public static final int START_TIME_OFFSET = 32;
    public static final int CLOSE_TIME_OFFSET = 40;
    public static final int DEVICE_NAME_OFFSET = 48;
    public static final int MAX_DEVICE_NAME_LENGTH = 64;
    public static final int HEADER_LENGTH = 4096;
    /** More counters than any device configuration needs: a reader refuses a header claiming more. */
    public static final int MAX_COUNTERS = 1 << 16;

    private CountersFileLayout() {
    }

    public static int metadataLength(int counters) {
        return counters * CountersReader.METADATA_LENGTH;
    }

    public static int valuesLength(int counters) {
        return counters * CountersReader.COUNTER_LENGTH;
    }

    public static int metadataOffset() {
        return HEADER_LENGTH;
    }

    public static int valuesOffset(int metadataLength) {
        return HEADER_LENGTH + metadataLength;
    }

    /** The file length for {@code counters} counters. */
    public static long fileLength(int counters) {
        checkCounters(counters);
        return (long) HEADER_LENGTH + metadataLength(counters) + valuesLength(counters);
    }

    public static void checkCounters(int counters) {
        if (counters < 1 || counters > MAX_COUNTERS) {
            throw new IllegalArgumentException("a counters file holds 1.." + MAX_COUNTERS + " counters: " + counters);
        }
    }

    /**
     * What is wrong with a header whose lengths are {@code metadataLength} and {@code valuesLength} in a file of
     * {@code fileLength} bytes, or null if it is consistent (the magic is checked by the caller).
     */
    public static String checkLengths(long fileLength, int metadataLength, int valuesLength) {
        if (valuesLength <= 0 || valuesLength % CountersReader.COUNTER_LENGTH != 0
            || valuesLength / CountersReader.COUNTER_LENGTH > MAX_COUNTERS) {
            return "bad values buffer length " + valuesLength;
        }
        if (metadataLength != valuesLength / CountersReader.COUNTER_LENGTH * CountersReader.METADATA_LENGTH) {
            return "metadata buffer length " + metadataLength + " does not match the values buffer's " + valuesLength;
        }
        final long expected = (long) HEADER_LENGTH + metadataLength + valuesLength;
        if (fileLength < expected) {
            return "truncated: " + fileLength + " bytes, the header says " + expected;
        }
        return null;
    }

    private static long magic(String text, int version) {
        final byte[] bytes = new byte[8];
        System.arraycopy(text.getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, 7);
        bytes[7] = (byte) version;
        return ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).getLong();
    }
}
