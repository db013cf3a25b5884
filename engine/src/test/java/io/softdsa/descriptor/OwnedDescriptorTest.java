package io.softdsa.descriptor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The engine's owned flyweights ({@link Descriptor#allocateOwned}) read without per-access segment checks: they must
 * read the same bytes at the fact sheet's literal offsets as a checked flyweight, stay inside their 64 bytes, and
 * become checked again once wrapped over someone else's memory (a closed arena then throws, it does not fault).
 */
class OwnedDescriptorTest {
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void ownedFlyweightsReadTheFieldsAtIdxdOffsetsOfTheirOwnSlot() {
        final Descriptor[] run = Descriptor.allocateOwned(3);
        final MemorySegment s = run[0].segment();
        assertEquals(3 * 64, s.byteSize(), "one run, descriptor i at 64 i");
        assertEquals(0, s.address() % 64, "64-byte aligned, as a descriptor list is");
        for (int i = 0; i < 3; i++) {
            assertEquals(64L * i, run[i].offset());
        }
        final long base = 64; // slot 1: its neighbours' bytes must not leak into its fields
        s.fill((byte) 0x5A);
        s.set(LE32, base, 0x800ABCDE);
        s.set(LE32, base + 4, 0x1112345C);
        s.set(LE64, base + 8, 0x1111_2222_3333_4440L);
        s.set(LE64, base + 16, 0x0102_0304_0506_0708L);
        s.set(LE64, base + 24, 0x1112_1314_1516_1718L);
        s.set(LE32, base + 32, 0xDEADBEEF);
        s.set(LE16, base + 36, (short) 0xBEEF);
        s.set(LE16, base + 38, (short) 0x0102);
        s.set(LE32, base + 40, 0xCAFEBABE);
        s.set(LE64, base + 56, 0x2122_2324_2526_2728L);
        final Descriptor d = run[1];
        assertEquals(0xABCDE, d.pasid());
        assertEquals(true, d.priv());
        assertEquals(0x12345C, d.flags());
        assertEquals(0x11, d.opcode());
        assertEquals(0x1111_2222_3333_4440L, d.completionAddress());
        assertEquals(0x0102_0304_0506_0708L, d.source());
        assertEquals(0x1112_1314_1516_1718L, d.destination());
        assertEquals(0xDEADBEEFL, d.transferSize());
        assertEquals(0xBEEF, d.interruptHandle());
        assertEquals(0x0102, d.reserved38());
        assertEquals(0xCAFEBABE, d.crcSeed());
        assertEquals(0x2122_2324_2526_2728L, d.u64(56));
        assertEquals(0x21, d.u8(63), "the last byte is its own");
        assertEquals(0x5A5A_5A5A_5A5A_5A5AL, run[0].u64(56), "slot 0 keeps its own bytes");
        assertEquals(0x5A5A_5A5A_5A5A_5A5AL, run[2].source(), "slot 2 keeps its own bytes");
    }

    @Test
    void anOwnedReadOutsideTheDescriptorThrowsInsteadOfReadingTheNeighbour() {
        final Descriptor d = Descriptor.allocateOwned(2)[0];
        assertThrows(IndexOutOfBoundsException.class, () -> d.u8(64));
        assertThrows(IndexOutOfBoundsException.class, () -> d.u64(57));
        assertThrows(IndexOutOfBoundsException.class, () -> d.u32(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> d.u16(63));
    }

    @Test
    void anOwnedFlyweightWrappedElsewhereIsCheckedAgain() {
        final Descriptor d = Descriptor.allocateOwned(1)[0];
        final Arena arena = Arena.ofConfined();
        final MemorySegment other = arena.allocate(64, 64);
        other.set(LE64, 16, 0x0BAD_F00DL);
        d.wrap(other, 0);
        assertEquals(0x0BAD_F00DL, d.source(), "reads the segment it was wrapped over");
        arena.close();
        // an owned (unchecked) read here would read freed memory; a checked one says the arena is gone
        assertThrows(IllegalStateException.class, d::source);
    }

    @Test
    void anEmptyRunIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Descriptor.allocateOwned(0));
    }
}
