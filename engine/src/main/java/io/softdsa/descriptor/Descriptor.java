package io.softdsa.descriptor;

import io.softdsa.memory.Le;
import io.softdsa.memory.ProcessMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.softdsa.descriptor.DescriptorLayout.*;

/**
 * Flyweight over one 64-byte descriptor in off-heap memory: reads and writes fields in place, no object per
 * descriptor. Wrap it over an engine's fetch buffer to decode, or over a client's staging buffer to build one;
 * the fluent setters double as a readable builder:
 *
 * <pre>{@code
 * desc.clear().opcode(Opcode.MEMMOVE).flags(CRAV | RCR).completionAddress(cr)
 *     .source(src).destination(dst).transferSize(4096);
 * }</pre>
 * An engine reads the same few fields of every descriptor many times over (steps 1-6, the operation, the record), so
 * its own buffers are {@link #allocateOwned owned} flyweights: they read through {@link ProcessMemory#ALL}, a
 * constant the JIT folds, instead of checking a segment loaded from a field on every field (measured: about a sixth
 * of a batched descriptor's cost). Writes, and every flyweight wrapped over a caller's segment, stay checked.
 */
public final class Descriptor {
    private MemorySegment segment;
    private long offset;
    /**
     * Whether {@link #segment} is memory this class allocated from an automatic arena: then {@link #address} is
     * read unchecked, which is safe because {@link #segment} keeps that memory alive as long as this flyweight is.
     */
    private boolean owned;
    /** Native address of byte 0, meaningful only while {@link #owned}. */
    private long address;

    public Descriptor() {
    }

    public Descriptor(MemorySegment segment, long offset) {
        wrap(segment, offset);
    }

    /** A flyweight over a fresh zeroed 64-byte, 64-byte-aligned segment of {@code arena}. */
    public static Descriptor allocate(Arena arena) {
        return new Descriptor(arena.allocate(LENGTH, LENGTH), 0);
    }

    /**
     * {@code count} flyweights over consecutive descriptors of one fresh zeroed, 64-byte aligned run of memory that
     * only they keep alive (an automatic arena, freed once none of them is reachable): flyweight {@code i} is at
     * offset {@code 64 i} of the run, which each one's {@link #segment()} is. Their reads skip the per-access
     * checks (see the class comment) until one is {@link #wrap wrapped} elsewhere.
     */
    public static Descriptor[] allocateOwned(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("at least one descriptor: " + count);
        }
        final MemorySegment run = Arena.ofAuto().allocate((long) count * LENGTH, LENGTH);
        final Descriptor[] all = new Descriptor[count];
        for (int i = 0; i < count; i++) {
            all[i] = new Descriptor(run, (long) i * LENGTH);
            all[i].owned = true;
            all[i].address = run.address() + (long) i * LENGTH;
        }
        return all;
    }

    public Descriptor wrap(MemorySegment segment, long offset) {
        if (offset < 0 || offset + LENGTH > segment.byteSize()) {
            throw new IndexOutOfBoundsException("descriptor at " + offset + " outside segment of " + segment.byteSize());
        }
        this.segment = segment;
        this.offset = offset;
        this.owned = false; // whatever it is over now, this class does not keep it alive
        return this;
    }

    /**
     * {@code at}, if {@code size} bytes from it lie inside the descriptor: an owned read has no segment to catch a
     * stray offset of the public {@code u8 .. u64}. Every caller's offset is a constant, so the JIT folds this away.
     */
    private static long inside(long at, int size) {
        if (at < 0 || at > LENGTH - size) {
            throw new IndexOutOfBoundsException("descriptor field at " + at + " (" + size + " bytes) outside its "
                + LENGTH + " bytes");
        }
        return at;
    }

    // ---- the four reads every getter goes through: unchecked only over owned memory (see the class comment)
    private byte readByte(long at) {
        return owned ? ProcessMemory.ALL.get(Le.BYTE, address + inside(at, 1)) : segment.get(Le.BYTE, offset + at);
    }

    private short readShort(long at) {
        return owned ? ProcessMemory.ALL.get(Le.SHORT, address + inside(at, 2)) : segment.get(Le.SHORT, offset + at);
    }

    private int readInt(long at) {
        return owned ? ProcessMemory.ALL.get(Le.INT, address + inside(at, 4)) : segment.get(Le.INT, offset + at);
    }

    private long readLong(long at) {
        return owned ? ProcessMemory.ALL.get(Le.LONG, address + inside(at, 8)) : segment.get(Le.LONG, offset + at);
    }

    public MemorySegment segment() {
        return segment;
    }

    public long offset() {
        return offset;
    }

    public Descriptor clear() {
        segment.asSlice(offset, LENGTH).fill((byte) 0);
        return this;
    }

    /** Copies the 64 bytes of {@code other} into this descriptor. */
    public Descriptor copyFrom(Descriptor other) {
        MemorySegment.copy(other.segment, other.offset, segment, offset, LENGTH);
        return this;
    }

    // ---- word 0: PASID and Priv
    public int pasidWord() {
        return readInt(PASID_PRIV_OFFSET);
    }

    public int pasid() {
        return pasidWord() & PASID_MASK;
    }

    public boolean priv() {
        return (pasidWord() & PRIV_BIT) != 0;
    }

    public Descriptor pasid(int pasid) {
        segment.set(Le.INT, offset + PASID_PRIV_OFFSET, (pasidWord() & ~PASID_MASK) | (pasid & PASID_MASK));
        return this;
    }

    public Descriptor priv(boolean priv) {
        final int word = pasidWord();
        segment.set(Le.INT, offset + PASID_PRIV_OFFSET, priv ? word | PRIV_BIT : word & ~PRIV_BIT);
        return this;
    }

    /** Raw write of bytes 0-3, reserved bits included (tests of the 0x12 check need it). */
    public Descriptor pasidWord(int word) {
        segment.set(Le.INT, offset + PASID_PRIV_OFFSET, word);
        return this;
    }

    // ---- word 1: flags (23:0) and opcode (31:24)
    public int flags() {
        return readInt(FLAGS_OFFSET) & FLAGS_MASK;
    }

    public int opcode() {
        return readByte(OPCODE_OFFSET) & 0xFF;
    }

    public Descriptor flags(int flags) {
        final int word = readInt(FLAGS_OFFSET);
        segment.set(Le.INT, offset + FLAGS_OFFSET, (word & ~FLAGS_MASK) | (flags & FLAGS_MASK));
        return this;
    }

    public Descriptor addFlags(int flags) {
        return flags(flags() | flags);
    }

    public Descriptor opcode(int opcode) {
        segment.set(Le.BYTE, offset + OPCODE_OFFSET, (byte) opcode);
        return this;
    }

    // ---- addresses and size
    public long completionAddress() {
        return readLong(COMPLETION_ADDRESS_OFFSET);
    }

    public Descriptor completionAddress(long address) {
        segment.set(Le.LONG, offset + COMPLETION_ADDRESS_OFFSET, address);
        return this;
    }

    /** Source address; also fill pattern (low), batch list, delta record (apply), readback 1, fetch start. */
    public long source() {
        return readLong(SOURCE_OFFSET);
    }

    public Descriptor source(long address) {
        segment.set(Le.LONG, offset + SOURCE_OFFSET, address);
        return this;
    }

    /** Destination address; also source 2 (compare, create delta), compare pattern, readback 2. */
    public long destination() {
        return readLong(DESTINATION_OFFSET);
    }

    public Descriptor destination(long address) {
        segment.set(Le.LONG, offset + DESTINATION_OFFSET, address);
        return this;
    }

    /** Transfer size (unsigned 32 bits), batch descriptor count, or translation-fetch region size. */
    public long transferSize() {
        return Integer.toUnsignedLong(readInt(TRANSFER_SIZE_OFFSET));
    }

    public Descriptor transferSize(long size) {
        segment.set(Le.INT, offset + TRANSFER_SIZE_OFFSET, (int) size);
        return this;
    }

    public int interruptHandle() {
        return readShort(INTERRUPT_HANDLE_OFFSET) & 0xFFFF;
    }

    public Descriptor interruptHandle(int handle) {
        segment.set(Le.SHORT, offset + INTERRUPT_HANDLE_OFFSET, (short) handle);
        return this;
    }

    public int reserved38() {
        return readShort(RESERVED_38_OFFSET) & 0xFFFF;
    }

    public Descriptor reserved38(int value) {
        segment.set(Le.SHORT, offset + RESERVED_38_OFFSET, (short) value);
        return this;
    }

    // ---- operation-specific bytes 40-63, by absolute descriptor offset (see DescriptorLayout)
    public int u8(int descriptorOffset) {
        return readByte(descriptorOffset) & 0xFF;
    }

    public int u16(int descriptorOffset) {
        return readShort(descriptorOffset) & 0xFFFF;
    }

    public int u32(int descriptorOffset) {
        return readInt(descriptorOffset);
    }

    public long u64(int descriptorOffset) {
        return readLong(descriptorOffset);
    }

    public Descriptor u8(int descriptorOffset, int value) {
        segment.set(Le.BYTE, offset + descriptorOffset, (byte) value);
        return this;
    }

    public Descriptor u16(int descriptorOffset, int value) {
        segment.set(Le.SHORT, offset + descriptorOffset, (short) value);
        return this;
    }

    public Descriptor u32(int descriptorOffset, int value) {
        segment.set(Le.INT, offset + descriptorOffset, value);
        return this;
    }

    public Descriptor u64(int descriptorOffset, long value) {
        segment.set(Le.LONG, offset + descriptorOffset, value);
        return this;
    }

    /** Word {@code i} (0..2) of bytes 40-63, little-endian: for reserved-bit checks over the whole field area. */
    public long opSpecificWord(int i) {
        return readLong(OP_SPECIFIC_OFFSET + (long) Long.BYTES * i);
    }

    // ---- named operation-specific getters (fact sheet section 1; offsets in DescriptorLayout)
    /** Compare, compare pattern: the expected result (u8). */
    public int expectedResult() {
        return u8(EXPECTED_RESULT_OFFSET);
    }

    /** Create delta: the delta record address. */
    public long deltaRecordAddress() {
        return u64(DELTA_ADDRESS_OFFSET);
    }

    /** Create delta: the maximum delta record size (unsigned 32 bits). */
    public long maxDeltaRecordSize() {
        return Integer.toUnsignedLong(u32(MAX_DELTA_SIZE_OFFSET));
    }

    /** Create delta: the expected-result mask (u8). */
    public int expectedResultMask() {
        return u8(EXPECTED_RESULT_MASK_OFFSET);
    }

    /** Apply delta: the delta record size (unsigned 32 bits). */
    public long deltaRecordSize() {
        return Integer.toUnsignedLong(u32(DELTA_SIZE_OFFSET));
    }

    /** Dualcast: destination 2. */
    public long destination2() {
        return u64(DESTINATION2_OFFSET);
    }

    /** CRC generation, copy with CRC: the seed in the descriptor. */
    public int crcSeed() {
        return u32(CRC_SEED_OFFSET);
    }

    /** CRC generation, copy with CRC: the seed's address (op flag 16). */
    public long crcSeedAddress() {
        return u64(CRC_SEED_ADDRESS_OFFSET);
    }

    /** Fill with a 16-byte pattern: the pattern's high 8 bytes. */
    public long fillPatternHigh() {
        return u64(FILL_PATTERN_HIGH_OFFSET);
    }

    /** Translation fetch: the region stride (unsigned 32 bits). */
    public long regionStride() {
        return Integer.toUnsignedLong(u32(REGION_STRIDE_OFFSET));
    }

    /** DIF check, strip, update: the source DIF flags byte. */
    public int sourceDifFlags() {
        return u8(SOURCE_DIF_FLAGS_OFFSET);
    }

    /** DIF insert, update, DIX generate: the destination DIF flags byte. */
    public int destinationDifFlags() {
        return u8(DESTINATION_DIF_FLAGS_OFFSET);
    }

    /** DIF operations: the DIF flags byte (block size, guard seed and inversion). */
    public int difFlags() {
        return u8(DIF_FLAGS_OFFSET);
    }

    // ---- named operation-specific setters for readability
    public Descriptor fillPattern(long pattern) {
        return source(pattern);
    }

    public Descriptor fillPatternHigh(long pattern) {
        return u64(FILL_PATTERN_HIGH_OFFSET, pattern);
    }

    public Descriptor comparePattern(long pattern) {
        return destination(pattern);
    }

    public Descriptor expectedResult(int expected) {
        return u8(EXPECTED_RESULT_OFFSET, expected);
    }

    public Descriptor destination2(long address) {
        return u64(DESTINATION2_OFFSET, address);
    }

    public Descriptor crcSeed(int seed) {
        return u32(CRC_SEED_OFFSET, seed);
    }

    public Descriptor crcSeedAddress(long address) {
        return u64(CRC_SEED_ADDRESS_OFFSET, address);
    }

    @Override
    public String toString() {
        return String.format("Descriptor{%s pasid=%d priv=%b flags=0x%06x cr=0x%x src=0x%x dst=0x%x size=%d ih=%d}",
            Opcode.name(opcode()), pasid(), priv(), flags(), completionAddress(), source(), destination(),
            transferSize(), interruptHandle());
    }
}
