package io.softdsa.reliability.property;

import io.softdsa.descriptor.Descriptor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.constraints.Size;



/**
 * For ANY 64 bytes submitted on a shared or a dedicated WQ, the device answers with a fact-sheet status in the
 * completion record or a SWERR entry, never throws out of an engine, never hangs, and never writes outside what the
 * descriptor names (its record, its destination buffers; a batch: what its descriptors name) — checked against a
 * snapshot of all 4 MiB of host memory, so every other byte is a canary.
 * <p>
 * Raw bytes alone almost always end at the first check, so each try may also patch some fields (each with its own
 * generated switch): a known opcode, addresses and a size inside host memory, a completion record in the record
 * area, cleared reserved fields. The unpatched case stays among the tries.
 */
class AnyDescriptorProperties {
    private static DeviceUnderTest dut;
    /** Outcomes seen: record statuses 0..0x7F, SWERR codes at 0x100 + code. */
    private static final int[] OUTCOMES = new int[0x200];

    @BeforeContainer
    static void device() {
        dut = new DeviceUnderTest();
    }

    @AfterContainer
    static void close() {
        final StringBuilder seen = new StringBuilder();
        for (int i = 0; i < OUTCOMES.length; i++) {
            if (OUTCOMES[i] > 0) {
                seen.append(i >= 0x100 ? String.format(" swerr:0x%02x=%d", i - 0x100, OUTCOMES[i])
                    : String.format(" 0x%02x=%d", i, OUTCOMES[i]));
            }
        }
        System.out.println("[property] any-64-bytes descriptors run: " + dut.descriptorsRun() + "; outcomes:" + seen);
        dut.close();
    }

    @Property
    void anySixtyFourBytesGetAFactSheetAnswerAndWriteOnlyWhatTheyName(
        @ForAll @Size(64) byte[] raw,
        @ForAll boolean knownOpcode,
        @ForAll boolean addressesInMemory,
        @ForAll boolean recordInRecordArea,
        @ForAll boolean clearReserved,
        @ForAll boolean dedicated) {
        final Descriptor d = DescriptorChecks.stage(dut, raw, knownOpcode, addressesInMemory, recordInRecordArea,
            clearReserved);
        DescriptorChecks.check(dut, d, dedicated, OUTCOMES);
    }
}
