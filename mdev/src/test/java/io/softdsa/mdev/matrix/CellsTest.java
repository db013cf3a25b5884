package io.softdsa.mdev.matrix;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The matrix covers every combination, each either a target or absent with its reason; its canaries do catch. */
class CellsTest extends MatrixTest {

    @Test
    void everyCombinationIsATargetOrAbsentWithAReason() {
        final Set<String> seen = new HashSet<>();
        for (Cell c : Cell.EXISTING) {
            assertTrue(seen.add(c.path() + "/" + c.mode() + "/" + c.translation()), "twice: " + c);
        }
        for (Cell.Absent a : Cell.ABSENT) {
            assertTrue(seen.add(a.path() + "/" + a.mode() + "/" + a.translation()), "twice: " + a);
            assertFalse(a.reason().isBlank());
        }
        assertEquals(Cell.Path.values().length * Cell.Mode.values().length * Cell.Translation.values().length,
            seen.size());
    }

    /** The broken variant of every case: a byte written just past a buffer is seen by the canary check. */
    @ParameterizedTest
    @MethodSource("targets")
    void aStrayWriteIsCaughtByTheCanaries(Target t) {
        final long a = t.alloc(100);
        final byte[] zone = t.read(a + 100, 1);
        t.write(a + 100, new byte[] {(byte) ~zone[0]});
        assertThrows(AssertionError.class, t::checkCanaries);
        t.write(a + 100, zone);
        t.checkCanaries();
    }
}
