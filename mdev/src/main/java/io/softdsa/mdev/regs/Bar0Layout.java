package io.softdsa.mdev.regs;

import io.softdsa.completion.SwerrLayout;

/**
 * The virtual DSA's BAR0 register map (fact sheet section 14): offsets and widths of the fixed registers, and where
 * the tables sit (softdsa rule for the table positions: TABLE_OFFSET says so, as on the device). The capability
 * registers' fields are the engine's {@code device.registers} codecs; CMD's and CMDSTS's are {@link CmdLayout}'s.
 *
 * <pre>
 *  0x000 VERSION      32  RO
 *  0x010 GENCAP       64  RO   fields: engine Gencap
 *  0x020 WQCAP        64  RO   fields: engine Wqcap
 *  0x030 GRPCAP       64  RO   fields: engine Grpcap
 *  0x038 ENGCAP       64  RO   fields: engine Engcap
 *  0x040 OPCAP       256  RO   bit n = opcode n (engine Opcap)
 *  0x060 TABLE_OFFSET 128 RO   15:0 GRPCFG | 31:16 WQCFG | 47:32 MSI-X perm | 63:48 IMS | 79:64 PERFMON (x 0x100)
 *  0x080 GENCFG       32  RW   7:0 read-buffer limit (12 user interrupt, 13 event log: RO 0, not supported)
 *  0x088 GENCTRL      32  RW   0 software-error interrupt enable | 1 halt interrupt enable (2: RO 0)
 *  0x090 GENSTS       32  RO   1:0 state | 3:2 reset type
 *  0x098 INTCAUSE     32  W1C  0 SWERR | 1 command | 2 occupancy | 3 perfmon | 4 halt | 5 event log | 31 handle revoked
 *  0x0A0 CMD          32  RW   fields: CmdLayout
 *  0x0A8 CMDSTS       32  RO   fields: CmdLayout
 *  0x0B0 CMDCAP       32  RO   bit n = command n
 *  0x0C0 SWERR       256  RO except word 0 bits 1:0, W1C
 *  0x0E0 EVLCFG      128  RO 0 (no event log)     0x0F0 EVLSTATUS 64 RO 0
 *  0x300 MSI-X permission table, 8 bytes per vector
 *  0x400 GRPCFG, 64 bytes per group
 *  0x500 WQCFG, 64 bytes per WQ
 *  0x2000 MSI-X table (16 bytes per vector), 0x3000 MSI-X PBA
 * </pre>
 */
public final class Bar0Layout {
    public static final int SIZE = 0x10000;

    public static final int VERSION = 0x00;
    public static final int GENCAP = 0x10;
    public static final int WQCAP = 0x20;
    public static final int GRPCAP = 0x30;
    public static final int ENGCAP = 0x38;
    public static final int OPCAP = 0x40;
    public static final int TABLE_OFFSET = 0x60;
    public static final int GENCFG = 0x80;
    public static final int GENCTRL = 0x88;
    public static final int GENSTS = 0x90;
    public static final int INTCAUSE = 0x98;
    public static final int CMD = 0xA0;
    public static final int CMDSTS = 0xA8;
    public static final int CMDCAP = 0xB0;
    public static final int SWERR = 0xC0;
    public static final int SWERR_BYTES = 32;
    public static final int EVLCFG = 0xE0;
    public static final int EVLSTATUS = 0xF0;

    /** Table positions, in units of 0x100 as TABLE_OFFSET holds them. */
    public static final int MSIX_PERM_TABLE_UNITS = 0x3;
    public static final int GRPCFG_TABLE_UNITS = 0x4;
    public static final int WQCFG_TABLE_UNITS = 0x5;
    public static final int TABLE_UNIT = 0x100;
    public static final int MSIX_PERM = MSIX_PERM_TABLE_UNITS * TABLE_UNIT;
    public static final int MSIX_PERM_STRIDE = 8;
    public static final int GRPCFG_BASE = GRPCFG_TABLE_UNITS * TABLE_UNIT;
    public static final int WQCFG_BASE = WQCFG_TABLE_UNITS * TABLE_UNIT;
    public static final int MSIX_TABLE = 0x2000;
    public static final int MSIX_PBA = 0x3000;

    /** Limits the table positions impose on a virtual device. */
    public static final int MAX_VECTORS = (GRPCFG_BASE - MSIX_PERM) / MSIX_PERM_STRIDE;   // 32
    public static final int MAX_GROUPS = (WQCFG_BASE - GRPCFG_BASE) / GrpcfgLayout.STRIDE; // 4
    public static final int MAX_WQS = (MSIX_TABLE - WQCFG_BASE) / WqcfgLayout.STRIDE;    // 108, capped at 255

    // GENCFG, GENCTRL, GENSTS
    public static final int GENCFG_READ_BUFFER_LIMIT_MASK = 0xFF;
    public static final int GENCTRL_SOFTWARE_ERROR_INTERRUPT = 1;
    public static final int GENCTRL_HALT_INTERRUPT = 1 << 1;
    public static final int GENSTS_STATE_MASK = 0x3;
    public static final int GENSTS_DISABLED = 0;
    public static final int GENSTS_ENABLED = 1;
    public static final int GENSTS_DRAINING = 2;
    public static final int GENSTS_HALTED = 3;

    // INTCAUSE
    public static final int INTCAUSE_SOFTWARE_ERROR = 0x01;
    public static final int INTCAUSE_COMMAND = 0x02;
    public static final int INTCAUSE_OCCUPANCY = 0x04;
    public static final int INTCAUSE_PERFMON = 0x08;
    public static final int INTCAUSE_HALT = 0x10;
    public static final int INTCAUSE_EVENT_LOG = 0x20;
    public static final int INTCAUSE_HANDLE_REVOKED = 0x8000_0000;
    public static final long INTCAUSE_W1C_MASK = 0x8000_003FL;

    // SWERR word 0 write-1-to-clear bits (valid, overflow); the field layout is the engine's SwerrLayout
    public static final long SWERR_W1C_MASK = 0x3;

    private Bar0Layout() {
    }

    /** Offset of group {@code g}'s GRPCFG entry. */
    public static int grpcfg(int g) {
        return GRPCFG_BASE + g * GrpcfgLayout.STRIDE;
    }

    /** Offset of WQ {@code wq}'s WQCFG entry. */
    public static int wqcfg(int wq) {
        return WQCFG_BASE + wq * WqcfgLayout.STRIDE;
    }

    public static int msixPerm(int vector) {
        return MSIX_PERM + vector * MSIX_PERM_STRIDE;
    }

    public static int msixEntry(int vector) {
        return MSIX_TABLE + vector * MsixLayout.ENTRY_SIZE;
    }

    /** TABLE_OFFSET low 64 bits for these table positions (IMS and PERFMON absent: 0). */
    public static long tableOffsetValue() {
        return GRPCFG_TABLE_UNITS | ((long) WQCFG_TABLE_UNITS << 16) | ((long) MSIX_PERM_TABLE_UNITS << 32);
    }
}
