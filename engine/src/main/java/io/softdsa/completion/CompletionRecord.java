package io.softdsa.completion;

import io.softdsa.memory.Le;
import org.agrona.concurrent.IdleStrategy;

import java.lang.foreign.MemorySegment;

import static io.softdsa.completion.CompletionRecordLayout.*;

/**
 * Client-side flyweight over a completion record in host memory: arm it (zero the status) before submitting,
 * then poll or {@link #await(IdleStrategy)} until the device writes a non-zero status.
 * <p>
 * Ordering: {@link #status()} is an acquire load of byte 0 that pairs with the engine's release store of the
 * status byte, so once it reads non-zero every other field of the record is visible.
 */
public final class CompletionRecord {
    private final MemorySegment memory;
    private long address;

    /**
     * @param hostMemory the host memory segment
     * @param address    host-physical offset of the 32-byte aligned record
     */
    public CompletionRecord(MemorySegment hostMemory, long address) {
        this.memory = hostMemory;
        wrap(address);
    }

    public CompletionRecord wrap(long address) {
        if ((address & (ALIGNMENT - 1)) != 0 || address < 0 || address + LENGTH > memory.byteSize()) {
            throw new IllegalArgumentException("completion record at 0x" + Long.toHexString(address)
                + " must be 32-byte aligned inside host memory");
        }
        this.address = address;
        return this;
    }

    public long address() {
        return address;
    }

    /** Zeroes the whole record; the status byte is zeroed with release so a later poll cannot see stale data. */
    public CompletionRecord arm() {
        // plain stores of bytes 1-31 (no slice: allocation-free without relying on escape analysis)
        memory.set(Le.BYTE, address + RESULT_OFFSET, (byte) 0);
        memory.set(Le.SHORT, address + FAULT_INFO_OFFSET, (short) 0);
        memory.set(Le.INT, address + BYTES_COMPLETED_OFFSET, 0);
        memory.set(Le.LONG, address + FAULT_ADDRESS_OFFSET, 0L);
        memory.set(Le.LONG, address + OP_SPECIFIC_OFFSET, 0L);
        memory.set(Le.LONG, address + OP_SPECIFIC_OFFSET + 8, 0L);
        Le.setByteRelease(memory, address + STATUS_OFFSET, (byte) 0);
        return this;
    }

    /** The raw status byte (acquire): 0 until completion, then the status code with bit 7 = write fault. */
    public int rawStatus() {
        return Le.getByteAcquire(memory, address + STATUS_OFFSET) & 0xFF;
    }

    /** The status code (bits 6:0), acquire. */
    public int status() {
        return rawStatus() & STATUS_CODE_MASK;
    }

    public boolean isDone() {
        return rawStatus() != 0;
    }

    /** Spins with {@code idle} until the status is non-zero; returns the status code. */
    public int await(IdleStrategy idle) {
        idle.reset();
        int raw;
        while ((raw = rawStatus()) == 0) {
            idle.idle();
        }
        return raw & STATUS_CODE_MASK;
    }

    /** Like {@link #await(IdleStrategy)} but gives up after {@code timeoutNanos}, returning 0. */
    public int await(IdleStrategy idle, long timeoutNanos) {
        final long deadline = System.nanoTime() + timeoutNanos;
        idle.reset();
        int raw;
        while ((raw = rawStatus()) == 0) {
            if (System.nanoTime() - deadline > 0) {
                return 0;
            }
            idle.idle();
        }
        return raw & STATUS_CODE_MASK;
    }

    public boolean faultWasWrite() {
        return (rawStatus() & STATUS_WRITE_FAULT_BIT) != 0;
    }

    public int result() {
        return memory.get(Le.BYTE, address + RESULT_OFFSET) & 0xFF;
    }

    public int faultInfo() {
        return memory.get(Le.BYTE, address + FAULT_INFO_OFFSET) & 0xFF;
    }

    public long bytesCompleted() {
        return Integer.toUnsignedLong(memory.get(Le.INT, address + BYTES_COMPLETED_OFFSET));
    }

    public long faultAddress() {
        return memory.get(Le.LONG, address + FAULT_ADDRESS_OFFSET);
    }

    public int invalidFlags() {
        return memory.get(Le.INT, address + INVALID_FLAGS_OFFSET) & 0x00FF_FFFF;
    }

    public int crcValue() {
        return memory.get(Le.INT, address + CRC_VALUE_OFFSET);
    }

    public long deltaRecordSize() {
        return Integer.toUnsignedLong(memory.get(Le.INT, address + DELTA_RECORD_SIZE_OFFSET));
    }

    public long u64(int recordOffset) {
        return memory.get(Le.LONG, address + recordOffset);
    }

    public int u32(int recordOffset) {
        return memory.get(Le.INT, address + recordOffset);
    }

    public int u16(int recordOffset) {
        return memory.get(Le.SHORT, address + recordOffset) & 0xFFFF;
    }

    @Override
    public String toString() {
        return String.format("CompletionRecord{@0x%x status=%s result=%d bytes=%d fault=0x%x}",
            address, Status.name(status()), result(), bytesCompleted(), faultAddress());
    }
}
