package io.softdsa.ops;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.memory.HostBuffer;
import io.softdsa.testing.Fixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every invalid case of fact sheet sections 5-6 for the core operations gets its status code, in the softdsa
 * validation order. Status values are literals from the fact sheet.
 */
class ValidationTest {
    private Fixture f;
    private CompletionRecord cr;
    private HostBuffer a;
    private HostBuffer b;

    @BeforeEach
    void setUp() {
        // WQ 0: shared, max transfer 64 KiB, no Priv allowed
        f = Fixture.invoker(DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
            .wq(WqConfig.builder(0).shared().size(16).group(0).maxTransferSize(64 * 1024).build()).build());
        cr = f.client.completionRecord();
        a = f.buffer(128 * 1024);
        b = f.buffer(128 * 1024);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private Descriptor memmove(long size) {
        return f.client.descriptor().opcode(Opcode.MEMMOVE).source(a.address()).destination(b.address())
            .transferSize(size);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x0B, 0x0C, 0x16, 0x18, 0x21, 0x30, 0x7F, 0xFF})
    void unsupportedOpcode(int opcode) {
        assertEquals(0x10, f.run(f.client.descriptor().opcode(opcode), cr));
    }

    @Test
    void dsa1HasNoTranslationFetchNorDix() {
        f.close();
        f = Fixture.invoker(DeviceConfig.singleWq(io.softdsa.device.config.WqMode.SHARED, 16, 1),
            DeviceCapabilities.dsa1());
        cr = f.client.completionRecord();
        assertEquals(0x10, f.run(f.client.descriptor().opcode(0x0A).transferSize(4096), cr));
        assertEquals(0x10, f.run(f.client.descriptor().opcode(0x17).transferSize(512), cr));
    }

    @ParameterizedTest
    @CsvSource({
        "3, 80",      // memmove: check result not allowed
        "3, 40",      // bit 6 reserved everywhere
        "0, 2",       // noop: BOF not allowed
        "0, 100",     // noop: cache control not allowed
        "5, 2000",    // compare: strict ordering not allowed
        "4, 200",     // fill: address-1 traffic class not allowed
        "3, 10000",   // memmove: op-specific bit 16 reserved
        "10, 10000",  // CRC: bit 16 is allowed, so combine with a reserved one below
        "5, 80000"})  // compare: bit 19 reserved
    void invalidFlagsReportTheOffendingBits(int opcode, String flagsHex) {
        final int bad = Integer.parseInt(flagsHex, 16);
        int op = opcode;
        int flags = bad;
        if (opcode == 10) { // 0x10 CRC: bit 16 allowed, bit 19 reserved
            op = 0x10;
            flags = 0x10000 | 0x80000;
        }
        final Descriptor d = f.client.descriptor().opcode(op).source(a.address()).destination(b.address())
            .transferSize(64).flags(flags);
        assertEquals(0x11, f.run(d, cr));
        final int expectedInvalid = opcode == 10 ? 0x80000 : bad;
        assertEquals(expectedInvalid, cr.invalidFlags(), "bytes 16-18: the offending flags only");
    }

    @Test
    void flagWithoutGencapCapabilityIsReserved() {
        f.close();
        f = Fixture.invoker(DeviceConfig.singleWq(io.softdsa.device.config.WqMode.SHARED, 16, 1),
            DeviceCapabilities.defaults().withGencapFlags(false, false, false, false, false));
        cr = f.client.completionRecord();
        a = f.buffer(4096);
        b = f.buffer(4096);
        for (int flag : new int[] {0x2, 0x100, 0x4000}) {
            assertEquals(0x11, f.run(memmove(64).flags(flag), cr), "flag 0x" + Integer.toHexString(flag));
            assertEquals(flag, cr.invalidFlags());
        }
        assertEquals(0x11, f.run(f.client.descriptor().opcode(Opcode.DRAIN).flags(0x10000), cr),
            "drain readback without GENCAP bit 9");
    }

    @Test
    void allowedFlagsPass() {
        // memmove allows fence, BOF, cache control, A1, A2, strict ordering, dest readback, dest steering, bit 5, 12
        assertEquals(0x01, f.run(memmove(64).flags(0x1 | 0x2 | 0x20 | 0x100 | 0x200 | 0x400 | 0x1000 | 0x2000
            | 0x4000 | 0x8000), cr));
    }

    @Test
    void reservedFieldsAreRejected() {
        assertEquals(0x12, f.run(memmove(64).pasidWord(0x0010_0000), cr), "PASID word bit 20");
        assertEquals(0x12, f.run(memmove(64).pasidWord(0x4000_0000), cr), "PASID word bit 30");
        assertEquals(0x12, f.run(memmove(64).reserved38(1), cr), "bytes 38-39");
        assertEquals(0x12, f.run(memmove(64).u8(63, 1), cr), "memmove byte 63");
        assertEquals(0x12, f.run(memmove(64).u8(40, 1), cr), "memmove byte 40");
        assertEquals(0x12, f.run(f.client.descriptor().opcode(Opcode.COMPARE).source(a.address())
            .destination(b.address()).transferSize(64).u8(41, 1), cr), "compare byte 41");
        assertEquals(0x12, f.run(f.client.descriptor().opcode(Opcode.CRC_GENERATION).source(a.address())
            .transferSize(64).u32(44, 1), cr), "CRC bytes 44-47");
        assertEquals(0x12, f.run(f.client.descriptor().opcode(Opcode.FILL).destination(b.address())
            .transferSize(64).u64(40, 5), cr), "fill bytes 40-47 without the 16-byte flag");
        assertEquals(0x12, f.run(f.client.descriptor().opcode(Opcode.DUALCAST).source(a.address())
            .destination(b.address()).destination2(b.address() + 65536).transferSize(64).u8(48, 1), cr),
            "dualcast byte 48");
        assertEquals(0x12, f.run(f.client.descriptor().opcode(Opcode.NOOP).u8(50, 1), cr), "noop byte 50");
    }

    @Test
    void invalidInterruptHandle() {
        final int handles = f.device.interrupts().size();
        assertEquals(0x19, f.run(memmove(64).flags(0x10).interruptHandle(handles), cr));
        f.device.interrupts().release(1);
        assertEquals(0x19, f.run(memmove(64).flags(0x10).interruptHandle(1), cr), "released handle");
        assertEquals(0x01, f.run(memmove(64).flags(0x10).interruptHandle(2), cr));
    }

    @Test
    void interruptHandleMustBelongToTheWqsOwner() {
        f.device.interrupts().owner(4, 77);            // handle 4 allocated to owner 77
        assertEquals(0x19, f.run(memmove(64).flags(0x10).interruptHandle(4), cr), "WQ owned by the host");
        f.device.wq(0).interruptOwner(77);
        assertEquals(0x01, f.run(memmove(64).flags(0x10).interruptHandle(4), cr), "WQ handed to owner 77");
        assertEquals(0x19, f.run(memmove(64).flags(0x10).interruptHandle(5), cr),
            "the host's handles are not the tenant's");
        f.device.wq(0).interruptOwner(78);
        assertEquals(0x19, f.run(memmove(64).flags(0x10).interruptHandle(4), cr), "another owner's handle");
        assertEquals(1, f.device.interrupts().count(4));
    }

    @Test
    void privilegeOnAWqThatDoesNotAllowIt() {
        assertEquals(0x1D, f.run(memmove(64).priv(true), cr));
    }

    @Test
    void transferSizeZeroOrAboveWqMaximum() {
        assertEquals(0x13, f.run(memmove(0), cr));
        assertEquals(0x13, f.run(memmove(64 * 1024 + 1), cr));
        assertEquals(0x01, f.run(memmove(64 * 1024), cr));
        for (int op : new int[] {Opcode.FILL, Opcode.COMPARE, Opcode.COMPARE_PATTERN, Opcode.CRC_GENERATION,
            Opcode.COPY_CRC, Opcode.DUALCAST}) {
            final Descriptor d = f.client.descriptor().opcode(op).source(a.address()).destination(b.address())
                .transferSize(0);
            if (op == Opcode.DUALCAST) {
                d.destination2(b.address() + 65536);
            }
            assertEquals(0x13, f.run(d, cr), Opcode.name(op));
        }
    }

    @Test
    void dualcastAddressRuleAndOverlap() {
        final Descriptor d = f.client.descriptor().opcode(Opcode.DUALCAST).source(a.address())
            .destination(b.address()).destination2(b.address() + 65536 + 8).transferSize(64);
        assertEquals(0x17, f.run(d, cr), "destinations differ in bits 11:0");
        assertEquals(0x16, f.run(f.client.descriptor().opcode(Opcode.DUALCAST).source(a.address())
            .destination(b.address()).destination2(b.address() + 4096).transferSize(8192), cr),
            "destination 1 and 2 overlap");
        assertEquals(0x16, f.run(f.client.descriptor().opcode(Opcode.DUALCAST).source(b.address() + 100)
            .destination(b.address()).destination2(a.address()).transferSize(4096), cr),
            "source overlaps destination 1");
    }

    @Test
    void copyWithCrcForbidsOverlap() {
        assertEquals(0x16, f.run(f.client.descriptor().opcode(Opcode.COPY_CRC).source(a.address())
            .destination(a.address() + 32).transferSize(64), cr));
    }

    @Test
    void validationOrderFirstFailureWins() {
        // bad opcode and bad flags: opcode (step 2) first
        assertEquals(0x10, f.run(f.client.descriptor().opcode(0x30).flags(0x40), cr));
        // bad flags and reserved field: flags (3) before reserved (4)
        assertEquals(0x11, f.run(memmove(64).flags(0x80).reserved38(1), cr));
        // reserved and bad handle: 4 before 5
        assertEquals(0x12, f.run(memmove(64).reserved38(1).flags(0x10).interruptHandle(999), cr));
        // bad handle and priv: 5 before 6
        assertEquals(0x19, f.run(memmove(64).priv(true).flags(0x10).interruptHandle(999), cr));
        // priv and size: 6 before 7
        assertEquals(0x1D, f.run(memmove(0).priv(true), cr));
        // size and overlap (copy with CRC): 7 before 9
        assertEquals(0x13, f.run(f.client.descriptor().opcode(Opcode.COPY_CRC).source(a.address())
            .destination(a.address()).transferSize(0), cr));
        // dualcast: address rule (8) before overlap (9)
        assertEquals(0x17, f.run(f.client.descriptor().opcode(Opcode.DUALCAST).source(a.address())
            .destination(a.address()).destination2(a.address() + 1).transferSize(64), cr));
    }

    @Test
    void misalignedCompletionRecordGoesToSwerrOnly() {
        final long misaligned = cr.address() + 8;
        cr.arm();
        final Descriptor d = memmove(64).completionAddress(misaligned).flags(0x0C);
        f.client.trySubmit(d);
        f.drive();
        assertEquals(0, f.mem().get(ValueLayout.JAVA_BYTE, misaligned), "nothing written at the bad address");
        assertEquals(0, cr.rawStatus());
        assertTrue(f.device.swerr().valid());
        assertEquals(0x1B, f.device.swerr().errorCode());
        final SwerrEntry e = f.device.swerr().history().getFirst();
        assertEquals(0x1B, e.errorCode());
        assertEquals(0, e.wqIndex());
        assertEquals(Opcode.MEMMOVE, e.opcode());
        // SWERR word 0: valid | descriptor valid | WQ index valid | code 0x1B << 8 | opcode 3 << 32
        assertEquals(0x1L | 0x4 | 0x8 | (0x1BL << 8) | (3L << 32), f.device.swerr().word(0));
    }

    @Test
    void errorWithoutCompletionRecordGoesToSwerr() {
        f.client.trySubmit(memmove(0)); // no CRAV, invalid size
        f.drive();
        final List<SwerrEntry> h = f.device.swerr().history();
        assertEquals(1, h.size());
        assertEquals(0x13, h.getFirst().errorCode());
        f.device.swerr().clear(0x3);
        assertFalse(f.device.swerr().valid());
    }

    @Test
    void successWithoutRcrWritesNoRecordButErrorsDo() {
        cr.arm();
        f.client.trySubmit(memmove(64).completionAddress(cr.address()).flags(0x04)); // CRAV only
        f.drive();
        assertEquals(0, cr.rawStatus(), "Success with RCR = 0 is not recorded");
        f.client.trySubmit(memmove(0).completionAddress(cr.address()).flags(0x04));
        f.drive();
        assertEquals(0x13, cr.status(), "an error is recorded even with RCR = 0");
    }

    @Test
    void addressOutsideHostMemoryIsATranslationErrorWithProgress() {
        final long size = f.memory.size();
        // a source running off the end of host memory: what lies inside is copied, then 0x22 at the boundary
        final Descriptor d = f.client.descriptor().opcode(Opcode.MEMMOVE).source(size - 4096)
            .destination(b.address()).transferSize(8192);
        assertEquals(0x22, f.run(d, cr));
        assertEquals(4096, cr.bytesCompleted());
        assertEquals(size, cr.faultAddress());
        // a destination entirely outside: nothing written anywhere
        assertEquals(0x22, f.run(f.client.descriptor().opcode(Opcode.FILL).destination(1L << 40)
            .transferSize(64), cr));
        assertEquals(0, cr.bytesCompleted());
        assertEquals(1L << 40, cr.faultAddress());
        // negative (top-bit) addresses never reach memory
        assertEquals(0x22, f.run(f.client.descriptor().opcode(Opcode.MEMMOVE).source(-64)
            .destination(b.address()).transferSize(64), cr));
        // a completion record outside memory: SWERR 0x1A
        final Descriptor bad = memmove(64).completionAddress(1L << 40).flags(0x0C);
        f.client.trySubmit(bad);
        f.drive();
        assertEquals(0x1A, f.device.swerr().history().getLast().errorCode());
    }

    /**
     * Every operand of a step is bounded by host memory, the first one outside reported: a destination running off the
     * end copies what lies inside, a dualcast's second destination bounds both copies, and with two operands outside
     * the source's address is the fault's. (The engine applies the pass-through IOMMU's rule itself for PASID-less
     * steps; these are the IOMMU's own answers.)
     */
    @Test
    void eachOperandIsBoundedByHostMemoryAndTheFirstOutsideIsTheFault() {
        final long size = f.memory.size();
        final MemorySegment m = f.memory.segment();
        for (int i = 0; i < 8192; i++) {
            a.segment().set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 3));
        }
        // memmove: the destination's last page lies inside, the rest outside
        assertEquals(0x22, f.run(f.client.descriptor().opcode(Opcode.MEMMOVE).source(a.address())
            .destination(size - 4096).transferSize(8192), cr));
        assertEquals(4096, cr.bytesCompleted());
        assertEquals(size, cr.faultAddress());
        for (int i = 0; i < 4096; i++) {
            assertEquals((byte) (i * 7 + 3), m.get(ValueLayout.JAVA_BYTE, size - 4096 + i), "byte " + i);
        }
        // dualcast: destination 2 ends host memory 256 bytes in, so both destinations get those 256 bytes only
        b.segment().fill((byte) 0);
        final long dst2 = size - 256;
        final long dst1 = b.address() + ((dst2 - b.address()) & 0xFFF); // same offset in its page, as dualcast needs
        assertEquals(0x22, f.run(f.client.descriptor().opcode(Opcode.DUALCAST).source(a.address())
            .destination(dst1).destination2(dst2).transferSize(1024), cr));
        assertEquals(256, cr.bytesCompleted());
        assertEquals(size, cr.faultAddress());
        final long dst1Offset = dst1 - b.address();
        for (int i = 0; i < 1024; i++) {
            final byte expected = i < 256 ? (byte) (i * 7 + 3) : 0;
            assertEquals(expected, b.segment().get(ValueLayout.JAVA_BYTE, dst1Offset + i), "dst1 byte " + i);
        }
        // both operands outside: the source is the one reported
        assertEquals(0x22, f.run(f.client.descriptor().opcode(Opcode.MEMMOVE).source(1L << 40)
            .destination(1L << 41).transferSize(64), cr));
        assertEquals(1L << 40, cr.faultAddress());
        assertEquals(0, cr.bytesCompleted());
    }
}
