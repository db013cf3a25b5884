package io.softdsa.bench;

import io.softdsa.bench.support.DataOp;
import io.softdsa.bench.support.Testbed;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The batch row: one of its operations is one descriptor of a list, whatever n the meter asks for. */
class BatchWorkloadTest {
    @Test
    void aRunOfNOperationsCompletesAsManyBatchesAsItNeedsAndCarriesTheRest() {
        try (HostMemory memory = HostMemory.allocate(64L << 20);
             BatchWorkload w = new BatchWorkload(DataOp.MEMMOVE, 4096, 32)) {
            assertEquals("memmove-4k-batch32", w.id());
            assertEquals(32, w.operationsPerRoundTrip());
            w.open(memory);
            try (Testbed testbed = Testbed.open(memory, WqMode.SHARED, 1)) {
                w.verify(testbed); // one batch, its destination checked against the source
                final long afterVerify = testbed.device().completedDescriptors();
                try (Batch batch = w.softdsa(testbed)) {
                    batch.run(40); // two batches (64 descriptors), 24 left over
                    batch.run(24); // covered by what is left: no batch
                    batch.run(1);  // one more
                }
                // the window of 16 submitted at the start, drained at the end, plus one resubmission per step
                assertEquals(afterVerify + 16 + 3, testbed.device().completedDescriptors());
                testbed.checkHealthy();
            }
        }
    }

    @Test
    void aListOutsideTheWqsBatchLimitIsRefusedByName() {
        try (HostMemory memory = HostMemory.allocate(64L << 20);
             BatchWorkload w = new BatchWorkload(DataOp.MEMMOVE, 4096, 1)) {
            w.open(memory);
            try (Testbed testbed = Testbed.open(memory, WqMode.SHARED, 1)) {
                final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> w.verify(testbed));
                assertEquals("a batch holds 2 .. " + testbed.wq().config().maxBatchSize()
                    + " descriptors (WQ max batch size): 1", e.getMessage());
            }
        }
    }
}
