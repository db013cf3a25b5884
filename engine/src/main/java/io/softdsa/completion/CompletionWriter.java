package io.softdsa.completion;

import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;

import static io.softdsa.completion.CompletionRecordLayout.*;

/**
 * Writes a 32-byte completion record the way the device does: every field first, then the status byte with a
 * <em>release</em> store. That store pairs with the client's acquire load in {@link CompletionRecord#status()}, so a
 * poller that sees a non-zero status sees every other field of the record.
 */
public final class CompletionWriter {
    private CompletionWriter() {
    }

    /**
     * Writes the record at host address {@code a} of {@code m}: the caller translated the descriptor's completion
     * address (32-byte aligned, so the record never crosses a page) for a write.
     */
    public static void write(MemorySegment m, long a, int status, OpResult r) {
        m.set(Le.BYTE, a + RESULT_OFFSET, (byte) r.result);
        m.set(Le.BYTE, a + FAULT_INFO_OFFSET, (byte) r.faultInfo);
        m.set(Le.BYTE, a + RESERVED_OFFSET, (byte) 0);
        m.set(Le.INT, a + BYTES_COMPLETED_OFFSET, (int) r.bytesCompleted);
        m.set(Le.LONG, a + FAULT_ADDRESS_OFFSET, r.faultAddress);
        m.set(Le.LONG, a + OP_SPECIFIC_OFFSET, r.field16);
        m.set(Le.LONG, a + OP_SPECIFIC_OFFSET + 8, r.field24);
        final int raw = status | (r.faultWrite ? STATUS_WRITE_FAULT_BIT : 0);
        Le.setByteRelease(m, a + STATUS_OFFSET, (byte) raw); // publish: pairs with CompletionRecord.status() acquire
    }
}
