package io.softdsa.mdev.regs;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every bit of BAR0 is exactly one of read-write, write-1-to-clear or read-only, for the smallest and largest geometries. */
class Bar0RegisterMasksTest {
    private static final int BAR0_SIZE = 0x10000; // fact sheet: BAR0 is 64 KiB

    @ParameterizedTest
    @CsvSource({"1, 1, 1, 2", "8, 4, 4, 9", "108, 4, 64, 32"})
    void readWriteAndWriteOneToClearMasksAreDisjoint(int wqs, int groups, int engines, int vectors) {
        final Bar0Registers regs = new Bar0Registers(profile(wqs, groups, engines, vectors), new NoHooks());
        final RegisterBlock block = regs.block();
        assertEquals(BAR0_SIZE, block.size());
        final List<String> shared = new ArrayList<>();
        for (int b = 0; b < BAR0_SIZE; b++) {
            final long both = block.rwMask(b, 1) & block.w1cMask(b, 1);
            if (both != 0) {
                shared.add("0x" + Integer.toHexString(b) + ": 0x" + Long.toHexString(both));
            }
        }
        assertEquals(List.of(), shared, "bytes whose bits are both RW and W1C");
        // the W1C registers of the fact sheet are there: INTCAUSE (0x98) and SWERR valid / overflow (0xC0)
        assertEquals(0x8000_003FL, block.w1cMask(0x98, 4));
        assertEquals(0x3L, block.w1cMask(0xC0, 8));
    }

    @Test
    void aRegisterDeclaredWithOverlappingMasksIsRefused() {
        final RegisterBlock block = new RegisterBlock(16);
        assertThrows(IllegalArgumentException.class, () -> block.define(0, 4, 0, 0x3, 0x1));
        block.define(0, 4, 0, 0x2, 0x1); // adjacent bits: fine
        assertEquals(0x2L, block.rwMask(0, 4));
        assertEquals(0x1L, block.w1cMask(0, 4));
    }

    private static DeviceProfile profile(int wqs, int groups, int engines, int vectors) {
        return new DeviceProfile(0x100, 0, (long) wqs << 16, groups, engines, new long[] {0x7FF, 0, 0, 0}, 0x3FFE,
            wqs, groups, engines, vectors, true);
    }

    private static final class NoHooks implements Bar0Registers.Hooks {
        @Override
        public boolean wqcfgWritable(int wq) {
            return true;
        }

        @Override
        public boolean groupConfigWritable() {
            return true;
        }

        @Override
        public void command(int value) {
        }

        @Override
        public void vectorControlChanged(int vector) {
        }

        @Override
        public int occupancy(int wq) {
            return 0;
        }

        @Override
        public void commandCompleted(int cmd, int cmdsts) {
        }

        @Override
        public void guestError(String what) {
        }
    }
}
