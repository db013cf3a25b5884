package io.softdsa;

import io.softdsa.completion.CompletionRecordLayout;
import io.softdsa.completion.PostedInterruptDescriptorLayout;
import io.softdsa.completion.Status;
import io.softdsa.completion.SwerrLayout;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorLayout;
import io.softdsa.descriptor.Pasid;
import io.softdsa.device.registers.Engcap;
import io.softdsa.device.registers.Gencap;
import io.softdsa.device.registers.Grpcap;
import io.softdsa.device.registers.Opcap;
import io.softdsa.device.registers.Wqcap;
import io.softdsa.engine.PositionTag;
import io.softdsa.iommu.PagingLayout;
import io.softdsa.iommu.PasidTableLayout;
import io.softdsa.memory.BitField;
import io.softdsa.memory.Page;
import io.softdsa.ops.DeltaRecordLayout;
import io.softdsa.ops.DifTupleLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every engine-side hardware layout against the fact sheet's literal numbers (idxd.h, registers.h, VT-d), one table
 * per structure: descriptor (with its operation-specific fields and their named getters), completion record, SWERR,
 * DIF tuple, delta entry, posted-interrupt descriptor, PASID-table entries, first- and second-level PTEs, the
 * capability registers, and the 20-bit PASID, 4 KiB page and position tag. The mdev registers' twin is
 * {@code mdev.RegisterLayoutTest}.
 */
class IdxdLayoutTest {
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final List<Executable> checks = new ArrayList<>();

    private void is(String what, long expected, long actual) {
        checks.add(() -> assertEquals(expected, actual, what));
    }

    /** A bit field at bits {@code high:low}. */
    private void bits(String what, int high, int low, BitField f) {
        checks.add(() -> assertEquals(low, f.shift(), what + " low bit"));
        checks.add(() -> assertEquals(high - low + 1, f.width(), what + " width"));
    }

    @Test
    void descriptor() {
        is("length", 64, DescriptorLayout.LENGTH);
        is("PASID/Priv word", 0, DescriptorLayout.PASID_PRIV_OFFSET);
        is("PASID bits 19:0", 0x000F_FFFF, DescriptorLayout.PASID_MASK);
        is("reserved bits 30:20", 0x7FF0_0000, DescriptorLayout.PASID_RESERVED_MASK);
        is("Priv bit 31", 0x8000_0000, DescriptorLayout.PRIV_BIT);
        is("flags", 4, DescriptorLayout.FLAGS_OFFSET);
        is("flags 24 bits", 0xFF_FFFF, DescriptorLayout.FLAGS_MASK);
        is("opcode", 7, DescriptorLayout.OPCODE_OFFSET);
        is("completion address", 8, DescriptorLayout.COMPLETION_ADDRESS_OFFSET);
        is("source", 16, DescriptorLayout.SOURCE_OFFSET);
        is("destination", 24, DescriptorLayout.DESTINATION_OFFSET);
        is("transfer size", 32, DescriptorLayout.TRANSFER_SIZE_OFFSET);
        is("interrupt handle", 36, DescriptorLayout.INTERRUPT_HANDLE_OFFSET);
        is("reserved 38", 38, DescriptorLayout.RESERVED_38_OFFSET);
        is("op-specific", 40, DescriptorLayout.OP_SPECIFIC_OFFSET);
        is("op-specific length", 24, DescriptorLayout.OP_SPECIFIC_LENGTH);
        is("DIF flags reserved 7:4", 0xF0, DescriptorLayout.DIF_FLAGS_RESERVED_BITS);
        is("destination DIF flags reserved 2:0", 0x07, DescriptorLayout.DESTINATION_DIF_FLAGS_RESERVED_BITS);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(64, 64);
            for (int b = 0; b < 64; b++) {
                s.set(ValueLayout.JAVA_BYTE, b, (byte) (b + 1)); // byte b holds b + 1: a read shows where it read
            }
            final Descriptor d = new Descriptor(s, 0);
            is("expected result u8 at 40", 41, d.expectedResult());
            is("delta record address u64 at 40", s.get(LE64, 40), d.deltaRecordAddress());
            is("maximum delta size u32 at 48", 0x34333231L, d.maxDeltaRecordSize());
            is("expected-result mask u8 at 56", 57, d.expectedResultMask());
            is("delta record size u32 at 40", 0x2C2B2A29L, d.deltaRecordSize());
            is("destination 2 u64 at 40", s.get(LE64, 40), d.destination2());
            is("CRC seed u32 at 40", 0x2C2B2A29, d.crcSeed());
            is("CRC seed address u64 at 48", s.get(LE64, 48), d.crcSeedAddress());
            is("fill pattern high u64 at 40", s.get(LE64, 40), d.fillPatternHigh());
            is("region stride u32 at 48", 0x34333231L, d.regionStride());
            is("source DIF flags at 40", 41, d.sourceDifFlags());
            is("destination DIF flags at 41", 42, d.destinationDifFlags());
            is("DIF flags at 42", 43, d.difFlags());
            for (int i = 0; i < 3; i++) {
                is("op-specific word " + i, s.get(LE64, 40 + 8 * i), d.opSpecificWord(i));
            }
        }
        is("source ref-tag seed", 48, DescriptorLayout.SOURCE_REF_TAG_SEED_OFFSET);
        is("source app-tag mask", 52, DescriptorLayout.SOURCE_APP_TAG_MASK_OFFSET);
        is("source app-tag seed", 54, DescriptorLayout.SOURCE_APP_TAG_SEED_OFFSET);
        is("destination ref-tag seed", 56, DescriptorLayout.DESTINATION_REF_TAG_SEED_OFFSET);
        is("destination app-tag mask", 60, DescriptorLayout.DESTINATION_APP_TAG_MASK_OFFSET);
        is("destination app-tag seed", 62, DescriptorLayout.DESTINATION_APP_TAG_SEED_OFFSET);
        assertAll(checks);
    }

    @Test
    void completionRecord() {
        is("length", 32, CompletionRecordLayout.LENGTH);
        is("alignment", 32, CompletionRecordLayout.ALIGNMENT);
        is("status", 0, CompletionRecordLayout.STATUS_OFFSET);
        is("status code 6:0", 0x7F, CompletionRecordLayout.STATUS_CODE_MASK);
        is("write fault bit 7", 0x80, CompletionRecordLayout.STATUS_WRITE_FAULT_BIT);
        is("result", 1, CompletionRecordLayout.RESULT_OFFSET);
        is("fault info", 2, CompletionRecordLayout.FAULT_INFO_OFFSET);
        is("reserved", 3, CompletionRecordLayout.RESERVED_OFFSET);
        is("bytes completed", 4, CompletionRecordLayout.BYTES_COMPLETED_OFFSET);
        is("fault address", 8, CompletionRecordLayout.FAULT_ADDRESS_OFFSET);
        is("op-specific", 16, CompletionRecordLayout.OP_SPECIFIC_OFFSET);
        is("invalid flags", 16, CompletionRecordLayout.INVALID_FLAGS_OFFSET);
        is("delta record size", 16, CompletionRecordLayout.DELTA_RECORD_SIZE_OFFSET);
        is("CRC value", 16, CompletionRecordLayout.CRC_VALUE_OFFSET);
        is("DIF source ref tag", 16, CompletionRecordLayout.DIF_SOURCE_REF_TAG_OFFSET);
        is("DIF source app mask", 20, CompletionRecordLayout.DIF_SOURCE_APP_TAG_MASK_OFFSET);
        is("DIF source app tag", 22, CompletionRecordLayout.DIF_SOURCE_APP_TAG_OFFSET);
        is("DIF destination ref tag", 24, CompletionRecordLayout.DIF_DESTINATION_REF_TAG_OFFSET);
        is("DIF destination app mask", 28, CompletionRecordLayout.DIF_DESTINATION_APP_TAG_MASK_OFFSET);
        is("DIF destination app tag", 30, CompletionRecordLayout.DIF_DESTINATION_APP_TAG_OFFSET);
        assertAll(checks);
    }

    @Test
    void statusNamesAsIdxd() {
        is("DSA_COMP_HW_ERR1", 0x20, Status.HW_ERR1);
        is("DSA_COMP_HW_ERR_DRB", 0x21, Status.HW_ERR_DRB);
        is("DSA_COMP_TRANSLATION_FAIL", 0x22, Status.TRANSLATION_ERROR);
        is("IDXD_COMP_DESC_ABORT", 0xFF, Status.DESC_ABORT);
        is("SWERR dropped, dedicated WQ full", 0x30, Status.SWERR_DWQ_FULL);
        is("SWERR dropped, WQ disabled", 0x31, Status.SWERR_WQ_DISABLED);
        assertAll(checks);
    }

    @Test
    void swerr() {
        is("words", 4, SwerrLayout.WORDS);
        is("valid bit 0", 1L, SwerrLayout.VALID);
        is("overflow bit 1", 2L, SwerrLayout.OVERFLOW);
        is("descriptor valid bit 2", 4L, SwerrLayout.DESCRIPTOR_VALID);
        is("WQ index valid bit 3", 8L, SwerrLayout.WQ_INDEX_VALID);
        is("batch bit 4", 0x10L, SwerrLayout.BATCH);
        is("fault R/W bit 5", 0x20L, SwerrLayout.FAULT_WRITE);
        is("Priv bit 6", 0x40L, SwerrLayout.PRIV);
        is("error code 15:8", 8, SwerrLayout.ERROR_CODE_SHIFT);
        is("WQ index 23:16", 16, SwerrLayout.WQ_INDEX_SHIFT);
        is("operation 39:32", 32, SwerrLayout.OPCODE_SHIFT);
        is("PASID 59:40", 40, SwerrLayout.PASID_SHIFT);
        is("batch index 79:64 (word 1 bit 0)", 0, SwerrLayout.BATCH_INDEX_SHIFT);
        is("invalid flags 127:96 (word 1 bit 32)", 32, SwerrLayout.INVALID_FLAGS_SHIFT);
        assertAll(checks);
    }

    @Test
    void difTupleDeltaEntryAndPostedInterruptDescriptor() {
        is("DIF tuple", 8, DifTupleLayout.LENGTH);
        is("guard", 0, DifTupleLayout.GUARD_OFFSET);
        is("app tag", 2, DifTupleLayout.APP_TAG_OFFSET);
        is("ref tag", 4, DifTupleLayout.REF_TAG_OFFSET);
        is("delta entry", 10, DeltaRecordLayout.ENTRY_LENGTH);
        is("delta word index", 0, DeltaRecordLayout.INDEX_OFFSET);
        is("delta data", 2, DeltaRecordLayout.DATA_OFFSET);
        is("delta maximum source size", 0x80000, DeltaRecordLayout.MAX_SOURCE_SIZE);
        is("delta minimum maximum record size", 80, DeltaRecordLayout.MIN_MAX_RECORD_SIZE);
        is("PI descriptor", 64, PostedInterruptDescriptorLayout.LENGTH);
        is("PIR bits 255:0", 0, PostedInterruptDescriptorLayout.PIR_OFFSET);
        is("PIR vectors", 256, PostedInterruptDescriptorLayout.VECTORS);
        is("control word (bit 256)", 32, PostedInterruptDescriptorLayout.CONTROL_OFFSET);
        is("ON bit 256", 1L, PostedInterruptDescriptorLayout.ON);
        is("SN bit 257", 2L, PostedInterruptDescriptorLayout.SN);
        is("NV bits 279:272", 0xFFL << 16, PostedInterruptDescriptorLayout.NV_MASK);
        is("NDST bits 319:288", 0xFFFF_FFFFL << 32, PostedInterruptDescriptorLayout.NDST_MASK);
        assertAll(checks);
    }

    @Test
    void pasidTableAndPageTableEntries() {
        is("PASID bits", 20, Pasid.BITS);
        is("PASID mask", 0xF_FFFF, Pasid.MASK);
        is("directory entries (PASID 19:6)", 1 << 14, PasidTableLayout.DIRECTORY_ENTRIES);
        is("directory entry", 8, PasidTableLayout.DIRECTORY_ENTRY_SIZE);
        is("table entries (PASID 5:0)", 64, PasidTableLayout.TABLE_ENTRIES);
        is("PASID-table entry", 64, PasidTableLayout.ENTRY_SIZE);
        is("page", 4096, Page.SIZE);
        is("page shift", 12, Page.SHIFT);
        is("entries per table", 512, PagingLayout.ENTRIES);
        is("entry", 8, PagingLayout.ENTRY_SIZE);
        is("P bit 0", 1L, PagingLayout.PRESENT);
        is("W bit 1", 2L, PagingLayout.WRITABLE);
        is("U bit 2", 4L, PagingLayout.USER);
        is("PWT bit 3", 8L, PagingLayout.PWT);
        is("PCD bit 4", 0x10L, PagingLayout.PCD);
        is("A bit 5", 0x20L, PagingLayout.ACCESSED);
        is("D bit 6", 0x40L, PagingLayout.DIRTY);
        is("PS bit 7", 0x80L, PagingLayout.PAGE_SIZE);
        is("G bit 8", 0x100L, PagingLayout.GLOBAL);
        is("XD bit 63", 1L << 63, PagingLayout.EXECUTE_DISABLE);
        is("address 51:12", 0x000F_FFFF_FFFF_F000L, PagingLayout.ADDRESS_MASK);
        is("2 MiB shift", 21, PagingLayout.PAGE_SHIFT_2M);
        is("1 GiB shift", 30, PagingLayout.PAGE_SHIFT_1G);
        is("second level R bit 0", 1L, PagingLayout.SL_READ);
        is("second level W bit 1", 2L, PagingLayout.SL_WRITE);
        is("second level A bit 8", 0x100L, PagingLayout.SL_ACCESSED);
        is("second level D bit 9", 0x200L, PagingLayout.SL_DIRTY);
        is("second level 4-level address bits", 48, PagingLayout.SL_ADDRESS_BITS);
        assertAll(checks);
    }

    @Test
    void capabilityRegisters() {
        bits("GENCAP block on fault", 0, 0, Gencap.BLOCK_ON_FAULT);
        bits("GENCAP overlapping copy", 1, 1, Gencap.OVERLAPPING_COPY);
        bits("GENCAP cache control memory", 2, 2, Gencap.CACHE_CONTROL_MEMORY);
        bits("GENCAP cache control flush", 3, 3, Gencap.CACHE_CONTROL_FLUSH);
        bits("GENCAP CMDCAP present", 4, 4, Gencap.CMDCAP);
        bits("GENCAP destination readback", 8, 8, Gencap.DESTINATION_READBACK);
        bits("GENCAP drain readback", 9, 9, Gencap.DRAIN_READBACK);
        bits("GENCAP event log", 14, 13, Gencap.EVENT_LOG);
        bits("GENCAP batch continuation", 15, 15, Gencap.BATCH_CONTINUATION);
        bits("GENCAP max transfer shift", 20, 16, Gencap.MAX_TRANSFER_SHIFT);
        bits("GENCAP max batch shift", 24, 21, Gencap.MAX_BATCH_SHIFT);
        bits("GENCAP IMS size", 30, 25, Gencap.IMS_SIZE);
        bits("GENCAP configurable", 31, 31, Gencap.CONFIGURABLE);
        is("IMS unit", 256, Gencap.IMS_UNIT);
        bits("WQCAP total WQ size", 15, 0, Wqcap.TOTAL_WQ_SIZE);
        bits("WQCAP WQs", 23, 16, Wqcap.WQS);
        bits("WQCAP WQCFG size", 27, 24, Wqcap.WQCFG_SIZE);
        is("WQCFG size 1 = 64 bytes", 64, Wqcap.wqcfgBytes(1L << 24));
        bits("WQCAP shared", 48, 48, Wqcap.SHARED);
        bits("WQCAP dedicated", 49, 49, Wqcap.DEDICATED);
        bits("WQCAP ATS", 50, 50, Wqcap.ATS);
        bits("WQCAP priority", 51, 51, Wqcap.PRIORITY);
        bits("WQCAP occupancy", 52, 52, Wqcap.OCCUPANCY);
        bits("WQCAP occupancy interrupt", 53, 53, Wqcap.OCCUPANCY_INTERRUPT);
        bits("WQCAP op config", 54, 54, Wqcap.OP_CONFIG);
        bits("WQCAP PRS", 55, 55, Wqcap.PRS);
        bits("GRPCAP groups", 7, 0, Grpcap.GROUPS);
        bits("GRPCAP total read buffers", 15, 8, Grpcap.TOTAL_READ_BUFFERS);
        bits("GRPCAP read-buffer control", 16, 16, Grpcap.READ_BUFFER_CONTROL);
        bits("GRPCAP read-buffer limit", 17, 17, Grpcap.READ_BUFFER_LIMIT);
        bits("GRPCAP progress limits", 18, 18, Grpcap.PROGRESS_LIMITS);
        bits("ENGCAP engines", 7, 0, Engcap.ENGINES);
        is("OPCAP words", 4, Opcap.WORDS);
        assertAll(checks);
    }

    @Test
    void positionTagHoldsAPasidAndAPosition() {
        final long tag = PositionTag.of(0xFFFFE, (1L << 44) - 2);
        is("key: a PASID's 20 bits", 0xFFFFE, PositionTag.key(tag));
        is("position: the low 44 bits", (1L << 44) - 2, PositionTag.position(tag));
        is("a PASID with bit 19 set is still a tag", 0x80001, PositionTag.key(PositionTag.of(0x80001, 7)));
        checks.add(() -> assertEquals(true, PositionTag.of(0x80001, 7) != PositionTag.NONE, "not none"));
        assertAll(checks);
    }
}
