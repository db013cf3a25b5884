package io.softdsa.reliability.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.softdsa.mdev.migration.DecodedState;
import io.softdsa.mdev.migration.DsaStateSchema;
import io.softdsa.mdev.migration.MigrationStreamException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jazzer target for the virtual DSA's device-state stream decoder (live migration, RESUMING). The input is the raw
 * stream (layout in {@code StateWriter} and {@code DsaStateSchema}). Property: decoding either refuses with a
 * {@link MigrationStreamException} carrying a message, or returns a state that passes its own consistency check and
 * re-encodes to a stream that decodes again to the same bytes — byte for byte the input when the input was written
 * at this build's versions. Any other exception is a finding. {@code mvn test} replays
 * {@code MigrationStreamFuzzTestInputs/deviceStateStream/} (valid streams written by
 * {@link MigrationSeedCorpusWriter}); fuzz with
 * {@code JAZZER_FUZZ=1 mvn -pl reliability test -Dtest='MigrationStreamFuzzTest#deviceStateStream'}.
 */
class MigrationStreamFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void deviceStateStream(byte[] data) throws MigrationStreamException {
        final DecodedState decoded;
        try {
            decoded = DsaStateSchema.reader(null).decode(data);
        } catch (MigrationStreamException refused) {
            assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank());
            assertTrue(refused.offset() >= 0 && refused.offset() <= Math.max(data.length, 16L << 20),
                "offset within the stream: " + refused.getMessage());
            return;
        }
        final DsaStateSchema.DeviceState state = DsaStateSchema.from(decoded);
        DsaStateSchema.check(state);
        final byte[] again = DsaStateSchema.encode(state);
        final DecodedState second = DsaStateSchema.reader(state.compat).decode(again);
        assertTrue(second.currentVersions());
        assertArrayEquals(again, DsaStateSchema.encode(DsaStateSchema.from(second)), "encode(decode(encode(x)))");
        if (decoded.currentVersions()) {
            assertArrayEquals(data, again, "a current-version stream re-encodes to itself");
        }
    }
}
