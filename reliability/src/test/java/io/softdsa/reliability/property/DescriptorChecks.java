package io.softdsa.reliability.property;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.completion.SwerrEntry;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The promises every descriptor must keep, whatever its bytes (shared by the property and the fuzz tests). */
public final class DescriptorChecks {
    /** Opcodes the fact sheet defines (section 2) that softdsa implements. */
    static final int[] OPCODES = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x10, 0x11, 0x12,
        0x13, 0x14, 0x15, 0x17, 0x20};

    private DescriptorChecks() {
    }

    /**
     * Stages {@code raw} (64 bytes) as the next descriptor, with host memory randomized from it, patched as asked: a
     * known opcode, addresses and a size inside host memory, a completion record in the record area, reserved fields
     * and disallowed flags cleared (mostly).
     */
    public static Descriptor stage(DeviceUnderTest dut, byte[] raw, boolean knownOpcode, boolean addressesInMemory,
                                   boolean recordInRecordArea, boolean clearReserved) {
        dut.randomize(java.util.Arrays.hashCode(raw));
        final Descriptor d = dut.descriptor();
        patch(d.segment(), d.offset(), raw, knownOpcode, addressesInMemory, recordInRecordArea, clearReserved);
        return d;
    }

    /** Writes {@code raw} at {@code s + o} and patches it as {@link #stage} says. */
    public static void patch(MemorySegment s, long o, byte[] raw, boolean knownOpcode, boolean addressesInMemory,
                             boolean recordInRecordArea, boolean clearReserved) {
        MemorySegment.copy(raw, 0, s, ValueLayout.JAVA_BYTE, o, 64);
        if (knownOpcode) {
            s.set(ValueLayout.JAVA_BYTE, o + 7, (byte) OPCODES[(raw[7] & 0xFF) % OPCODES.length]);
        }
        final int opcode = s.get(ValueLayout.JAVA_BYTE, o + 7) & 0xFF;
        if (clearReserved) {
            s.set(ValueLayout.JAVA_INT_UNALIGNED, o, s.get(ValueLayout.JAVA_INT_UNALIGNED, o)
                & ((raw[2] & 1) == 0 ? 0x000F_FFFF : 0x800F_FFFF));
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 38, (short) 0);
            final int flags = s.get(ValueLayout.JAVA_INT_UNALIGNED, o + 4) & 0xFF_FFFF;
            int kept = flags & 0x0C; // CRAV, RCR
            kept |= opcode != 0x01 && opcode != 0x02 ? flags & 0x01 : 0; // fence
            kept |= opcode == 0x05 || opcode == 0x06 || opcode == 0x07 ? flags & 0x80 : 0; // check result
            kept |= opcode == 0x10 || opcode == 0x11 ? flags & 0x07_0000 : 0; // CRC seed / bypass bits
            kept |= opcode == 0x04 ? flags & 0x04_0000 : 0; // 16-byte fill pattern
            kept |= (raw[3] & 7) == 0 ? flags & 0x12 : 0; // sometimes RCI and BOF too
            s.set(ValueLayout.JAVA_INT_UNALIGNED, o + 4, (s.get(ValueLayout.JAVA_INT_UNALIGNED, o + 4)
                & 0xFF00_0000) | kept);
            if (opcode <= 0x03 || opcode == 0x20) {
                s.asSlice(o + 40, 24).fill((byte) 0); // every byte of 40-63 is reserved for these
            }
        }
        if (addressesInMemory) {
            final int[] addressFields = switch (opcode) {
                case 0x09 -> new int[] {16, 24, 40};
                case 0x07 -> new int[] {16, 24, 40};
                case 0x10, 0x11 -> new int[] {16, 24, 48};
                default -> new int[] {16, 24};
            };
            for (int field : addressFields) {
                final long a = DeviceUnderTest.DATA + Long.remainderUnsigned(s.get(ValueLayout.JAVA_LONG_UNALIGNED,
                    o + field), DeviceUnderTest.MEMORY - DeviceUnderTest.DATA);
                s.set(ValueLayout.JAVA_LONG_UNALIGNED, o + field, (raw[field] & 1) == 0 ? a & ~63L : a);
            }
            s.set(ValueLayout.JAVA_INT_UNALIGNED, o + 32, Integer.remainderUnsigned(
                s.get(ValueLayout.JAVA_INT_UNALIGNED, o + 32), 70_000));
            if (opcode == 0x01) {
                s.set(ValueLayout.JAVA_INT_UNALIGNED, o + 32, (raw[32] & 31) + 1); // a batch gets a sensible count
            }
            if (opcode == 0x07) {
                s.set(ValueLayout.JAVA_INT_UNALIGNED, o + 48, 10 * (raw[48] & 0xFF)); // maximum delta size
            }
        }
        if (recordInRecordArea) {
            final long slot = DeviceUnderTest.RECORDS + 32L * (raw[8] & 0x3F) + ((raw[9] & 7) == 0 ? raw[9] & 31 : 0);
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, o + 8, slot);
            s.set(ValueLayout.JAVA_BYTE, o + 4, (byte) (s.get(ValueLayout.JAVA_BYTE, o + 4) | 0x04));
        }
    }

    /**
     * Runs the staged descriptor on {@code dut} and checks: exactly one completion, no internal error, every SWERR
     * code and record status from the fact sheet, a requested record written, a misaligned record address in SWERR,
     * and nothing written outside what the descriptor names. {@code outcomes} counts record statuses (0..0x7F) and
     * SWERR codes (0x100 + code).
     */
    public static void check(DeviceUnderTest dut, Descriptor d, boolean dedicated, int[] outcomes) {
        final MemorySegment s = d.segment();
        final long o = d.offset();
        final List<long[]> allowed = WriteRanges.of(s, o, dut.m, DeviceUnderTest.MAX_BATCH);
        final boolean selfModifying = WriteRanges.selfModifyingBatch(s, o, dut.m, DeviceUnderTest.MAX_BATCH);
        final int flags = d.flags();
        final boolean crav = (flags & 0x04) != 0;
        final long cr = d.completionAddress();
        // the record can be read back if it is inside memory and nothing else the descriptor names lands on it
        boolean alone = true;
        for (int i = 1; i < allowed.size(); i++) {
            final long[] r = allowed.get(i);
            alone &= r[1] == 0 || !(Long.compareUnsigned(r[0] - cr, 32) < 0 || Long.compareUnsigned(cr - r[0], r[1]) < 0);
        }
        final boolean recordReadable = crav && alone && (cr & 31) == 0 && cr >= 0
            && cr + 32 <= DeviceUnderTest.MEMORY;
        if (recordReadable) {
            dut.m.set(ValueLayout.JAVA_BYTE, cr, (byte) 0); // armed
        }
        dut.snapshot();
        final int mark = dut.swerrMark();
        final long completedBefore = dut.device.completedDescriptors();

        dut.run(d, dedicated);

        assertEquals(0, dut.device.internalErrors(), "an operation threw inside an engine: " + d);
        assertEquals(completedBefore + 1, dut.device.completedDescriptors(), "not exactly one completion: " + d);
        final List<SwerrEntry> errors = dut.swerrSince(mark);
        for (SwerrEntry e : errors) {
            assertTrue(DeviceUnderTest.in(DeviceUnderTest.SWERR_CODES, e.errorCode()),
                "SWERR code 0x" + Integer.toHexString(e.errorCode()) + " is not in the fact sheet: " + d);
        }
        final int status = recordReadable ? dut.m.get(ValueLayout.JAVA_BYTE, cr) & 0x7F : 0;
        outcomes[status]++;
        errors.forEach(e -> outcomes[0x100 + (e.errorCode() & 0xFF)]++);
        if (status != 0) {
            assertTrue(DeviceUnderTest.in(DeviceUnderTest.RECORD_STATUSES, status),
                "status 0x" + Integer.toHexString(status) + " is not in the fact sheet: " + d);
        } else if (crav && (cr & 31) != 0) {
            assertTrue(errors.stream().anyMatch(e -> e.errorCode() == 0x1B && !e.batch()),
                "a misaligned record address must be reported in SWERR as 0x1B: " + d);
        } else if (!recordReadable || (flags & 0x08) != 0) {
            // no record where one was asked for (or none possible): only a Success without a record (RCR = 0,
            // CRAV = 0) or an error in SWERR
            final boolean recordAsked = crav && (flags & 0x08) != 0;
            if (recordAsked && recordReadable) {
                fail("a record was requested at 0x" + Long.toHexString(cr) + " but none was written: " + d);
            }
        }
        if (!selfModifying) {
            final long outside = dut.changedOutside(allowed);
            if (outside >= 0) {
                fail("the device wrote 0x" + Long.toHexString(outside) + ", outside what the descriptor names: " + d);
            }
        }
    }
}
