package io.softdsa.reliability.lincheck.broken;

import io.softdsa.completion.OpResult;
import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;

import static io.softdsa.completion.CompletionRecordLayout.BYTES_COMPLETED_OFFSET;
import static io.softdsa.completion.CompletionRecordLayout.FAULT_ADDRESS_OFFSET;
import static io.softdsa.completion.CompletionRecordLayout.FAULT_INFO_OFFSET;
import static io.softdsa.completion.CompletionRecordLayout.OP_SPECIFIC_OFFSET;
import static io.softdsa.completion.CompletionRecordLayout.RESERVED_OFFSET;
import static io.softdsa.completion.CompletionRecordLayout.RESULT_OFFSET;
import static io.softdsa.completion.CompletionRecordLayout.STATUS_OFFSET;
import static io.softdsa.completion.CompletionRecordLayout.STATUS_WRITE_FAULT_BIT;

/**
 * DELIBERATELY BROKEN: {@link io.softdsa.completion.CompletionWriter} with one change — the status byte is written
 * <em>first</em> (still with release), then the other fields. A poller that sees the status may read the fields of
 * nothing yet. The proof tools must find this variant wrong; it exists only so the checks are known to be able to
 * fail.
 */
public final class StatusFirstCompletionWriter {
    private StatusFirstCompletionWriter() {
    }

    public static void write(MemorySegment m, long a, int status, OpResult r) {
        final int raw = status | (r.faultWrite ? STATUS_WRITE_FAULT_BIT : 0);
        Le.setByteRelease(m, a + STATUS_OFFSET, (byte) raw); // BUG: published before the fields it vouches for
        m.set(Le.BYTE, a + RESULT_OFFSET, (byte) r.result);
        m.set(Le.BYTE, a + FAULT_INFO_OFFSET, (byte) r.faultInfo);
        m.set(Le.BYTE, a + RESERVED_OFFSET, (byte) 0);
        m.set(Le.INT, a + BYTES_COMPLETED_OFFSET, (int) r.bytesCompleted);
        m.set(Le.LONG, a + FAULT_ADDRESS_OFFSET, r.faultAddress);
        m.set(Le.LONG, a + OP_SPECIFIC_OFFSET, r.field16);
        m.set(Le.LONG, a + OP_SPECIFIC_OFFSET + 8, r.field24);
    }
}
