package io.softdsa.descriptor;

import io.softdsa.completion.CompletionRecord;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Byte positions of descriptor and completion record fields, checked against the fact sheet's literal offsets. */
class LayoutTest {
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void descriptorFieldsSitAtIdxdOffsets() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(64, 64);
            new Descriptor(s, 0)
                .pasid(0xABCDE).priv(true)
                .flags(0x12345C).opcode(0x11)
                .completionAddress(0x1111_2222_3333_4440L)
                .source(0x0102_0304_0506_0708L)
                .destination(0x1112_1314_1516_1718L)
                .transferSize(0xDEADBEEFL)
                .interruptHandle(0xBEEF)
                .crcSeed(0xCAFEBABE)
                .crcSeedAddress(0x2122_2324_2526_2728L);
            assertEquals(0x800ABCDE, s.get(LE32, 0), "bytes 0-3: PASID 19:0, Priv bit 31");
            assertEquals(0x5C, s.get(ValueLayout.JAVA_BYTE, 4) & 0xFF, "flags byte 0 at 4");
            assertEquals(0x34, s.get(ValueLayout.JAVA_BYTE, 5) & 0xFF, "flags byte 1 at 5");
            assertEquals(0x12, s.get(ValueLayout.JAVA_BYTE, 6) & 0xFF, "flags byte 2 at 6");
            assertEquals(0x11, s.get(ValueLayout.JAVA_BYTE, 7), "opcode at 7");
            assertEquals(0x1111_2222_3333_4440L, s.get(LE64, 8));
            assertEquals(0x0102_0304_0506_0708L, s.get(LE64, 16));
            assertEquals(0x08, s.get(ValueLayout.JAVA_BYTE, 16), "little-endian source");
            assertEquals(0x1112_1314_1516_1718L, s.get(LE64, 24));
            assertEquals(0xDEADBEEF, s.get(LE32, 32));
            assertEquals((short) 0xBEEF, s.get(LE16, 36));
            assertEquals(0, s.get(LE16, 38), "reserved 38-39");
            assertEquals(0xCAFEBABE, s.get(LE32, 40), "CRC seed at 40");
            assertEquals(0x2122_2324_2526_2728L, s.get(LE64, 48), "CRC seed address at 48");
        }
    }

    @Test
    void descriptorReadsMatchRawBytes() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(64, 64);
            s.set(LE32, 0, 0x7FF00005); // reserved bits 30:20 plus PASID 5
            s.set(LE32, 4, 0x09_00_00_1C); // opcode 9, flags 0x1C
            s.set(LE64, 40, 0x4000);
            final Descriptor d = new Descriptor(s, 0);
            assertEquals(5, d.pasid());
            assertEquals(false, d.priv());
            assertEquals(0x7FF00005, d.pasidWord());
            assertEquals(0x1C, d.flags());
            assertEquals(Opcode.DUALCAST, d.opcode());
            assertEquals(0x4000, d.u64(40));
        }
    }

    @Test
    void opcodeValuesAreIdxds() {
        assertEquals(0x00, Opcode.NOOP);
        assertEquals(0x01, Opcode.BATCH);
        assertEquals(0x02, Opcode.DRAIN);
        assertEquals(0x03, Opcode.MEMMOVE);
        assertEquals(0x04, Opcode.FILL);
        assertEquals(0x05, Opcode.COMPARE);
        assertEquals(0x06, Opcode.COMPARE_PATTERN);
        assertEquals(0x07, Opcode.CREATE_DELTA);
        assertEquals(0x08, Opcode.APPLY_DELTA);
        assertEquals(0x09, Opcode.DUALCAST);
        assertEquals(0x0A, Opcode.TRANSLATION_FETCH);
        assertEquals(0x10, Opcode.CRC_GENERATION);
        assertEquals(0x11, Opcode.COPY_CRC);
        assertEquals(0x12, Opcode.DIF_CHECK);
        assertEquals(0x13, Opcode.DIF_INSERT);
        assertEquals(0x14, Opcode.DIF_STRIP);
        assertEquals(0x15, Opcode.DIF_UPDATE);
        assertEquals(0x17, Opcode.DIX_GENERATE);
        assertEquals(0x20, Opcode.CACHE_FLUSH);
    }

    @Test
    void flagValuesAreIdxds() {
        assertEquals(0x0001, DescriptorFlags.FENCE);
        assertEquals(0x0002, DescriptorFlags.BLOCK_ON_FAULT);
        assertEquals(0x0004, DescriptorFlags.COMPLETION_ADDRESS_VALID);
        assertEquals(0x0008, DescriptorFlags.REQUEST_COMPLETION_RECORD);
        assertEquals(0x0010, DescriptorFlags.REQUEST_COMPLETION_INTERRUPT);
        assertEquals(0x0080, DescriptorFlags.CHECK_RESULT);
        assertEquals(0x0100, DescriptorFlags.CACHE_CONTROL);
        assertEquals(0x2000, DescriptorFlags.STRICT_ORDERING);
        assertEquals(0x4000, DescriptorFlags.DESTINATION_READBACK);
        assertEquals(0x10000, DescriptorFlags.CRC_SEED_FROM_MEMORY);
        assertEquals(0x20000, DescriptorFlags.CRC_BYPASS_INVERSION);
        assertEquals(0x40000, DescriptorFlags.CRC_BYPASS_DATA_REFLECTION);
        assertEquals(0x40000, DescriptorFlags.FILL_PATTERN_16);
    }

    @Test
    void completionRecordFieldsSitAtIdxdOffsets() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(64, 32);
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x83);
            s.set(ValueLayout.JAVA_BYTE, 1, (byte) 0x01);
            s.set(ValueLayout.JAVA_BYTE, 2, (byte) 0x05);
            s.set(LE32, 4, 0x1234);
            s.set(LE64, 8, 0xFEED_0000_1000L);
            s.set(LE32, 16, 0xE3069283);
            final CompletionRecord cr = new CompletionRecord(s, 0);
            assertEquals(0x03, cr.status(), "status bits 6:0 of byte 0");
            assertTrue(cr.faultWasWrite(), "bit 7 of byte 0 = write fault");
            assertEquals(1, cr.result(), "result at byte 1");
            assertEquals(5, cr.faultInfo(), "fault info at byte 2");
            assertEquals(0x1234, cr.bytesCompleted(), "bytes completed at 4");
            assertEquals(0xFEED_0000_1000L, cr.faultAddress(), "fault address at 8");
            assertEquals(0xE3069283, cr.crcValue(), "CRC value at 16");
        }
    }
}
