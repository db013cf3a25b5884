package io.softdsa.engine;

import io.softdsa.iommu.AddressSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run's held-back completions stop at {@link DescriptorExecutor#HOLD_BYTES}: the record of a 2 MiB move is written
 * before the next descriptor of its run starts, not after the whole run. A 2 MiB and a 16 MiB move of one tenant are queued
 * behind a gate so that they are one run; the test spins on the first one's record and, the moment it appears, looks at the
 * last byte of the second one's destination. Held back for the whole run (the old engine), that byte is always
 * written by then (the record is stored with release after the run's last operation, and read here with acquire);
 * written at the bound, the second move has barely started. A round can lose the race only if this thread is off the
 * CPU for a whole 16 MiB copy, so one round in ten must see it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HeldBackBytesTest {
    private static final int MIB2 = 2 << 20;
    /** The second move: long enough (milliseconds) that a descheduled test thread rarely misses it. */
    private static final int MIB16 = 16 << 20;

    @Test
    void aLargeMovesRecordIsWrittenBeforeTheNextDescriptorOfItsRunRuns() throws Exception {
        int early = 0;
        for (int round = 0; round < 10 && early == 0; round++) {
            try (ClaimRunAttackTest.Rig rig = new ClaimRunAttackTest.Rig()) {
                final ClaimRunAttackTest.Tenant a = rig.a;
                final long src = a.buffer(MIB16, round);
                final long dst1 = a.as.allocate(MIB2, AddressSpace.RW_USER);
                final long dst2 = a.as.allocate(MIB16, AddressSpace.RW_USER);
                final long lastByte = a.as.hostAddress(dst2 + MIB16 - 1);
                final MemorySegment host = rig.memory.segment();
                host.set(ValueLayout.JAVA_BYTE, lastByte, (byte) 0);
                final byte expected = host.get(ValueLayout.JAVA_BYTE, a.as.hostAddress(src + MIB16 - 1));
                if (expected == 0) {
                    continue; // the byte could not tell written from not written
                }

                final ClaimRunAttackTest.Rec gate = rig.gate(0);
                rig.gate.awaitEntered(); // the engine is held: the two moves below are queued together
                final ClaimRunAttackTest.Rec r1 = rig.move(0, a, src, dst1, MIB2);
                final ClaimRunAttackTest.Rec r2 = rig.move(0, a, src, dst2, MIB16);
                rig.gate.release();
                while (r1.cr().rawStatus() == 0) {
                    Thread.onSpinWait();
                }
                if (host.get(ValueLayout.JAVA_BYTE, lastByte) == 0) {
                    early++;
                }
                assertTrue(gate.await() != 0);
                assertEquals(0x01, r1.cr().rawStatus());
                assertEquals(0x01, r2.await());
                assertEquals(expected, host.get(ValueLayout.JAVA_BYTE, lastByte), "the second move completed");
                rig.wq(0).drain();
            }
        }
        assertTrue(early > 0, "in no round was the first record written before the second move finished");
    }
}
