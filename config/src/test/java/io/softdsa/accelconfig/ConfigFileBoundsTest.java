package io.softdsa.accelconfig;

import io.softdsa.device.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 11 item 13: a huge or endless file is refused with a ConfigException naming it, never read whole. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConfigFileBoundsTest {

    @Test
    void anEndlessDeviceFileIsRefusedByName() {
        final Path zero = Path.of("/dev/zero");
        final ConfigException e = assertThrows(ConfigException.class, () -> AccelConfigJson.load(zero));
        assertTrue(e.getMessage().startsWith("/dev/zero: larger than"), e.getMessage());
    }

    @Test
    void aThreeGibSparseFileIsRefusedByName(@TempDir Path dir) throws Exception {
        final Path big = dir.resolve("huge.conf");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(3L << 30); // sparse: no disk used
        }
        final ConfigException e = assertThrows(ConfigException.class, () -> AccelConfigJson.load(big));
        assertTrue(e.getMessage().contains(big.toString()), e.getMessage());
    }

    @Test
    void aFileOfExactlyTheLimitIsStillRead(@TempDir Path dir) throws Exception {
        final Path file = dir.resolve("padded.conf");
        final byte[] body = new byte[AccelConfigJson.MAX_FILE_BYTES];
        java.util.Arrays.fill(body, (byte) ' ');
        body[0] = '[';
        body[body.length - 1] = ']';
        Files.write(file, body);
        assertTrue(AccelConfigJson.load(file).isEmpty(), "read whole and parsed: an array of no devices");
    }
}
