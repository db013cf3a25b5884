package io.softdsa.engine;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;
import io.softdsa.testing.Devices;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Threading#INVOKER_RUNS}: an invoked duty cycle of an engine alone in its group takes a run of published
 * descriptors with one claim, as a runner thread's does, where {@link Threading#INVOKER} steps one descriptor. Outcomes
 * are the records' status bytes (offset 0, Success = 0x01) and the destinations, against a plain loop's bytes.
 */
class InvokedRunsTest {
    private static final int SUBMITTED = 10;
    private static final int RUN = 8; // the fact that a claim takes eight at most: DescriptorExecutor.CLAIM_RUN
    private static final int SIZE = 256;
    private static final int SUCCESS = 0x01;

    @Test
    void anInvokedRunTakesEightAndWritesTheirRecordsAtItsEnd() {
        try (Rig rig = new Rig(1, Threading.INVOKER_RUNS)) {
            final Device dsa = rig.dsa;
            rig.submitAll();
            assertEquals(RUN, dsa.invokeEngines(), "one duty cycle: a run of eight");
            assertEquals(SUBMITTED - RUN, dsa.wq(0).occupancy(), "the other two still queued");
            for (int i = 0; i < SUBMITTED; i++) {
                assertEquals(i < RUN ? SUCCESS : 0, rig.records[i].rawStatus(), "record " + i);
            }
            assertEquals(SUBMITTED - RUN, dsa.invokeEngines(), "the next: the two left");
            assertEquals(0, dsa.invokeEngines());
            rig.checkAllCopied();
        }
    }

    /**
     * A run mixing descriptors with nothing to complete (a success with no record address and no interrupt: not held
     * back) with recorded ones and one that fails without a record address (its SWERR entry): every one does its
     * work, the recorded ones get their records, and SWERR holds the failing one's entry alone.
     */
    @Test
    void aRunOfDescriptorsWithAndWithoutCompletionsCompletesEachAsItAsked() {
        try (Rig rig = new Rig(1, Threading.INVOKER_RUNS)) {
            final Device dsa = rig.dsa;
            final boolean[] recorded = {false, true, false, false, true, false, false, true};
            for (int i = 0; i < RUN; i++) {
                final Descriptor d = rig.client.descriptor();
                if (i == 2 || i == 5) {
                    d.opcode(Opcode.NOOP).reserved38(i == 2 ? 1 : 0); // 2: bytes 38-39 nonzero, no record address
                } else {
                    rig.describe(d, i, recorded[i]);
                }
                if (!rig.client.trySubmit(d)) {
                    throw new AssertionError("WQ of 32 refused descriptor " + i);
                }
            }
            assertEquals(RUN, dsa.invokeEngines(), "one run of eight");
            for (int i = 0; i < RUN; i++) {
                if (i != 2 && i != 5) {
                    rig.checkCopied(i);
                    assertEquals(recorded[i] ? SUCCESS : 0, rig.records[i].rawStatus(), "record " + i);
                }
            }
            final var entries = dsa.swerr().history();
            assertEquals(1, entries.size(), "one SWERR entry: the failing no-op's");
            assertEquals(0x12, entries.get(0).errorCode(), "Non-zero Reserved Field");
            assertEquals(0x00, entries.get(0).opcode(), "a no-op's");
            assertEquals(1, entries.get(0).descriptor()[38], "its bytes, byte 38 as submitted");
        }
    }

    @Test
    void anInvokerStepsOneDescriptorACall() {
        try (Rig rig = new Rig(1, Threading.INVOKER)) {
            final Device dsa = rig.dsa;
            rig.submitAll();
            for (int i = 0; i < SUBMITTED; i++) {
                assertEquals(1, dsa.invokeEngines(), "call " + i);
                assertEquals(SUCCESS, rig.records[i].rawStatus(), "record " + i + " written by its own call");
                if (i + 1 < SUBMITTED) {
                    assertEquals(0, rig.records[i + 1].rawStatus(), "record " + (i + 1) + " not yet");
                }
            }
            rig.checkAllCopied();
        }
    }

    @Test
    void enginesSharingAGroupTakeOneEachEvenWhenInvokedAsThreads() {
        try (Rig rig = new Rig(2, Threading.INVOKER_RUNS)) {
            final Device dsa = rig.dsa;
            rig.submitAll();
            assertEquals(2, dsa.invokeEngines(), "each of the two engines one descriptor");
            assertEquals(SUBMITTED - 2, dsa.wq(0).occupancy());
            Devices.drive(dsa);
            rig.checkAllCopied();
        }
    }

    /** Ten 256-byte memmoves, each from its own source pattern to its own destination, each with a record. */
    private static final class Rig implements AutoCloseable {
        final HostMemory memory = HostMemory.allocate(16L << 20);
        final Device dsa;
        final DsaClient client;
        final HostBuffer src;
        final HostBuffer dst;
        final CompletionRecord[] records = new CompletionRecord[SUBMITTED];
        final MemorySegment host;

        /** A device of one shared WQ of 32 and {@code engines} engines in its group, enabled. */
        Rig(int engines, Threading threading) {
            dsa = Device.create(memory, DeviceConfig.singleWq(WqMode.SHARED, 32, engines),
                DeviceOptions.defaults().threading(threading));
            dsa.enableAll();
            client = DsaClient.open(dsa, 0);
            host = memory.segment();
            src = client.allocate((long) SIZE * SUBMITTED);
            dst = client.allocate((long) SIZE * SUBMITTED);
            for (int i = 0; i < SIZE * SUBMITTED; i++) {
                host.set(ValueLayout.JAVA_BYTE, src.address() + i, (byte) (i * 31 + 7));
            }
            for (int i = 0; i < SUBMITTED; i++) {
                records[i] = client.completionRecord();
            }
        }

        void submitAll() {
            for (int i = 0; i < SUBMITTED; i++) {
                final Descriptor d = describe(client.descriptor(), i, true);
                if (!client.trySubmit(d)) {
                    throw new AssertionError("WQ of 32 refused descriptor " + i);
                }
            }
        }

        /** Memmove {@code i}, with its record asked for or no record address at all. */
        Descriptor describe(Descriptor d, int i, boolean record) {
            d.opcode(Opcode.MEMMOVE).source(src.address() + (long) SIZE * i)
                .destination(dst.address() + (long) SIZE * i).transferSize(SIZE);
            records[i].arm();
            if (record) {
                d.completionAddress(records[i].address())
                    .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD);
            }
            return d;
        }

        /** Closes the device and its memory; fails if any engine hit an internal error. */
        @Override
        public void close() {
            Devices.closeChecked(dsa, dsa, memory);
        }

        void checkCopied(int i) {
            for (int b = SIZE * i; b < SIZE * (i + 1); b++) {
                assertEquals((byte) (b * 31 + 7), host.get(ValueLayout.JAVA_BYTE, dst.address() + b), "byte " + b);
            }
        }

        void checkAllCopied() {
            for (int i = 0; i < SUBMITTED; i++) {
                assertEquals(SUCCESS, records[i].rawStatus(), "record " + i);
                checkCopied(i);
            }
        }
    }
}
