package io.softdsa.mdev;

import io.softdsa.mdev.command.Commands;
import io.softdsa.mdev.regs.Bar0Layout;
import io.softdsa.mdev.regs.CmdLayout;
import io.softdsa.mdev.regs.GrpcfgLayout;
import io.softdsa.mdev.regs.MsixLayout;
import io.softdsa.mdev.regs.WqcfgEntry;
import io.softdsa.mdev.regs.WqcfgLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The virtual device's register layouts (BAR0 map, CMD / CMDSTS and their operands, WQCFG, GRPCFG, the MSI-X table
 * and permission entries) against the fact sheet's literal numbers (section 14, section 12, the PCI spec). The
 * engine-side structures are {@code IdxdLayoutTest}'s.
 */
class RegisterLayoutTest {
    private final List<Executable> checks = new ArrayList<>();

    private void is(String what, long expected, long actual) {
        checks.add(() -> assertEquals(expected, actual, what));
    }

    @Test
    void bar0Map() {
        is("VERSION", 0x00, Bar0Layout.VERSION);
        is("GENCAP", 0x10, Bar0Layout.GENCAP);
        is("WQCAP", 0x20, Bar0Layout.WQCAP);
        is("GRPCAP", 0x30, Bar0Layout.GRPCAP);
        is("ENGCAP", 0x38, Bar0Layout.ENGCAP);
        is("OPCAP", 0x40, Bar0Layout.OPCAP);
        is("TABLE_OFFSET", 0x60, Bar0Layout.TABLE_OFFSET);
        is("GENCFG", 0x80, Bar0Layout.GENCFG);
        is("GENCTRL", 0x88, Bar0Layout.GENCTRL);
        is("GENSTS", 0x90, Bar0Layout.GENSTS);
        is("INTCAUSE", 0x98, Bar0Layout.INTCAUSE);
        is("CMD", 0xA0, Bar0Layout.CMD);
        is("CMDSTS", 0xA8, Bar0Layout.CMDSTS);
        is("CMDCAP", 0xB0, Bar0Layout.CMDCAP);
        is("SWERR", 0xC0, Bar0Layout.SWERR);
        is("SWERR 256 bits", 32, Bar0Layout.SWERR_BYTES);
        is("EVLCFG", 0xE0, Bar0Layout.EVLCFG);
        is("EVLSTATUS", 0xF0, Bar0Layout.EVLSTATUS);
        is("table offsets in units of 0x100", 0x100, Bar0Layout.TABLE_UNIT);
        is("TABLE_OFFSET: GRPCFG 15:0, WQCFG 31:16, MSI-X perm 47:32", 0x4L | 0x5L << 16 | 0x3L << 32,
            Bar0Layout.tableOffsetValue());
        is("GENCFG read-buffer limit 7:0", 0xFF, Bar0Layout.GENCFG_READ_BUFFER_LIMIT_MASK);
        is("GENCTRL software-error interrupt bit 0", 1, Bar0Layout.GENCTRL_SOFTWARE_ERROR_INTERRUPT);
        is("GENCTRL halt interrupt bit 1", 2, Bar0Layout.GENCTRL_HALT_INTERRUPT);
        is("GENSTS state 1:0", 3, Bar0Layout.GENSTS_STATE_MASK);
        is("INTCAUSE software error", 0x01, Bar0Layout.INTCAUSE_SOFTWARE_ERROR);
        is("INTCAUSE command", 0x02, Bar0Layout.INTCAUSE_COMMAND);
        is("INTCAUSE occupancy", 0x04, Bar0Layout.INTCAUSE_OCCUPANCY);
        is("INTCAUSE perfmon", 0x08, Bar0Layout.INTCAUSE_PERFMON);
        is("INTCAUSE halt", 0x10, Bar0Layout.INTCAUSE_HALT);
        is("INTCAUSE event log", 0x20, Bar0Layout.INTCAUSE_EVENT_LOG);
        is("INTCAUSE handle revoked bit 31", 0x8000_0000, Bar0Layout.INTCAUSE_HANDLE_REVOKED);
        is("SWERR W1C: valid, overflow", 0x3, Bar0Layout.SWERR_W1C_MASK);
        assertAll(checks);
    }

    @Test
    void cmdAndCmdsts() {
        is("Enable WQ 5, completion interrupt", 0x8060_0005, CmdLayout.cmd(Commands.ENABLE_WQ, 5, true));
        is("command 24:20", 0xE, CmdLayout.command(0x00E0_0000));
        is("operand 19:0", 0xF_FFFF, CmdLayout.operand(0xFFFF_FFFF));
        is("request interrupt bit 31", 1, CmdLayout.requestsInterrupt(0x8000_0000) ? 1 : 0);
        is("CMD writable bits (30:25 RO 0)", 0x81FF_FFFFL, CmdLayout.CMD_RW_MASK);
        is("WQ 3: bit 3 of block 0", 0x0_0008, CmdLayout.wqOperand(3));
        is("WQ 21: bit 5 of block 1", 0x1_0020, CmdLayout.wqOperand(21));
        is("CMDSTS error 7:0, result 23:8", 0x00_1234_05L, CmdLayout.status(0x05, 0x1234));
        is("CMDSTS error", 0x42, CmdLayout.error(0x8012_3442));
        is("CMDSTS result", 0x1234, CmdLayout.result(0x8012_3442));
        is("CMDSTS active bit 31", 1, CmdLayout.active(0x8000_0000L) ? 1 : 0);
        is("interrupt-handle operand: IMS bit 16", 1L << 16, CmdLayout.HANDLE_IMS.mask());
        is("interrupt-handle operand: index 15:0", 0xFFFF, CmdLayout.HANDLE_INDEX.mask());
        assertAll(checks);
    }

    @Test
    void wqcfg() {
        is("entry (WQCAP 27:24 = 1)", 64, WqcfgLayout.STRIDE);
        is("size word 0", 0x00, WqcfgLayout.SIZE);
        is("threshold word 1", 0x04, WqcfgLayout.THRESHOLD);
        is("mode word 2", 0x08, WqcfgLayout.MODE_WORD);
        is("limits word 3", 0x0C, WqcfgLayout.LIMITS_WORD);
        is("occupancy interrupt word 4", 0x10, WqcfgLayout.OCCUPANCY_INT_WORD);
        is("occupancy limit word 5", 0x14, WqcfgLayout.OCCUPANCY_LIMIT_WORD);
        is("status word 6", 0x18, WqcfgLayout.STATUS_WORD);
        is("allowed opcodes words 8-15", 0x20, WqcfgLayout.OP_CONFIG);
        is("mode word: dedicated, BOF, priority 9, PASID 0xABCDE, PASID enable, Priv",
            0x1 | 0x2 | 9 << 4 | 0xABCDE << 8 | 1 << 28 | 1 << 29,
            WqcfgLayout.modeWord(true, true, 9, true, 0xABCDE, true));
        is("limits word: max transfer shift 4:0, max batch shift 8:5", 21 | 5 << 5, WqcfgLayout.limitsWord(21, 5));
        is("mode support bit 29", 1 << 29, WqcfgLayout.MODE_SUPPORT);
        is("WQ state 31:30", 30, WqcfgLayout.STATE_SHIFT);
        final WqcfgEntry e = WqcfgEntry.decode(0x1_0010, 0x1_000C, 0x1 | 0x4 | 0x8 | 7 << 4 | 0x12345 << 8 | 1 << 29,
            30 | 9 << 5, new long[] {1, 2, 3, 4});
        is("size 15:0", 16, e.size());
        is("threshold 15:0", 12, e.threshold());
        is("dedicated bit 0", 1, e.dedicated() ? 1 : 0);
        is("BOF bit 1", 0, e.blockOnFault() ? 1 : 0);
        is("ATS disable bit 2", 1, e.atsDisable() ? 1 : 0);
        is("PRS disable bit 3", 1, e.prsDisable() ? 1 : 0);
        is("priority 7:4", 7, e.priority());
        is("PASID 27:8", 0x12345, e.pasid());
        is("PASID enable bit 28", 0, e.pasidEnable() ? 1 : 0);
        is("Priv bit 29", 1, e.priv() ? 1 : 0);
        is("max transfer shift", 30, e.maxTransferShift());
        is("max batch shift", 9, e.maxBatchShift());
        is("allowed opcodes word 3", 4, e.opConfig()[3]);
        assertAll(checks);
    }

    @Test
    void grpcfgAndMsix() {
        is("GRPCFG entry", 64, GrpcfgLayout.STRIDE);
        is("WQ bitmap +0", 0x00, GrpcfgLayout.WQ_BITMAP);
        is("WQ bitmap 256 bits", 32, GrpcfgLayout.WQ_BITMAP_BYTES);
        is("engine bitmap +32", 0x20, GrpcfgLayout.ENGINE_BITMAP);
        is("flags +40", 0x28, GrpcfgLayout.FLAGS);
        is("flags: TC A 2:0, TC B 5:3, use limit 7, reserved 15:8, allowed 27:20",
            0x5 | 0x3 << 3 | 1 << 7 | 0x12 << 8 | 0x34 << 20, GrpcfgLayout.flags(5, 3, true, 0x12, 0x34));
        is("MSI-X entry", 16, MsixLayout.ENTRY_SIZE);
        is("message address low", 0, MsixLayout.ADDRESS_LOW);
        is("message address high", 4, MsixLayout.ADDRESS_HIGH);
        is("message data", 8, MsixLayout.DATA);
        is("vector control", 12, MsixLayout.VECTOR_CONTROL);
        is("mask bit 0", 1, MsixLayout.VECTOR_MASKED);
        is("permission: ignore bit 2", 4, MsixLayout.PERM_IGNORE);
        is("permission: PASID enable bit 3", 8, MsixLayout.PERM_PASID_ENABLE);
        is("permission: PASID 31:12", 0xABCDE, MsixLayout.permPasid(0xABCD_E000L));
        is("permission stride", 8, Bar0Layout.MSIX_PERM_STRIDE);
        assertAll(checks);
    }
}
