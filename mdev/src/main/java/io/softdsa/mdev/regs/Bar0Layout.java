package io.softdsa.mdev.regs;

import io.softdsa.completion.SwerrLayout;

/**
 * The virtual DSA's BAR0 register map (fact sheet section 14). Offsets and widths of the fixed registers, the
 * capability field positions, and where the tables sit (softdsa rule for the table positions: TABLE_OFFSET says so,
 * as on the device).
 *
 * <pre>
 *  0x000 VERSION      32  RO
 *  0x010 GENCAP       64  RO   0 BOF | 1 overlap copy | 2 cache ctl mem | 3 cache ctl flush | 4 CMDCAP present
 *                              | 8 dest readback | 9 drain readback | 14:13 event log | 15 batch continuation
 *                              | 20:16 max transfer shift | 24:21 max batch shift | 30:25 IMS size/256 | 31 configurable
 *  0x020 WQCAP        64  RO   15:0 total WQ size | 23:16 WQs | 27:24 WQCFG size (2^(n+5)) | 48 shared | 49 dedicated
 *                              | 50 ATS | 51 priority | 52 occupancy | 53 occupancy int | 54 per-WQ op config | 55 PRS
 *  0x030 GRPCAP       64  RO   7:0 groups | 15:8 total read buffers | 16 RB control | 17 RB limit | 18 progress limits
 *  0x038 ENGCAP       64  RO   7:0 engines
 *  0x040 OPCAP       256  RO   bit n = opcode n
 *  0x060 TABLE_OFFSET 128 RO   15:0 GRPCFG | 31:16 WQCFG | 47:32 MSI-X perm | 63:48 IMS | 79:64 PERFMON (x 0x100)
 *  0x080 GENCFG       32  RW   7:0 read-buffer limit (12 user interrupt, 13 event log: RO 0, not supported)
 *  0x088 GENCTRL      32  RW   0 software-error interrupt enable | 1 halt interrupt enable (2: RO 0)
 *  0x090 GENSTS       32  RO   1:0 state | 3:2 reset type
 *  0x098 INTCAUSE     32  W1C  0 SWERR | 1 command | 2 occupancy | 3 perfmon | 4 halt | 5 event log | 31 handle revoked
 *  0x0A0 CMD          32  RW   19:0 operand | 24:20 command | 31 request completion interrupt (30:25 RO 0)
 *  0x0A8 CMDSTS       32  RO   7:0 error | 23:8 result | 31 active
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
    public static final int OPCAP_WORDS = 4;
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

    // GENCAP
    public static final long GENCAP_BLOCK_ON_FAULT = 1L;
    public static final long GENCAP_OVERLAPPING_COPY = 1L << 1;
    public static final long GENCAP_CACHE_CONTROL_MEMORY = 1L << 2;
    public static final long GENCAP_CACHE_CONTROL_FLUSH = 1L << 3;
    public static final long GENCAP_CMDCAP = 1L << 4;
    public static final long GENCAP_DESTINATION_READBACK = 1L << 8;
    public static final long GENCAP_DRAIN_READBACK = 1L << 9;
    public static final int GENCAP_MAX_TRANSFER_SHIFT = 16;
    public static final int GENCAP_MAX_BATCH_SHIFT = 21;
    public static final int GENCAP_IMS_SHIFT = 25;
    public static final long GENCAP_CONFIGURABLE = 1L << 31;

    // WQCAP
    public static final int WQCAP_WQS_SHIFT = 16;
    public static final int WQCAP_WQCFG_SIZE_SHIFT = 24;
    public static final long WQCAP_SHARED = 1L << 48;
    public static final long WQCAP_DEDICATED = 1L << 49;
    public static final long WQCAP_ATS = 1L << 50;
    public static final long WQCAP_PRIORITY = 1L << 51;
    public static final long WQCAP_OCCUPANCY = 1L << 52;
    public static final long WQCAP_OCCUPANCY_INTERRUPT = 1L << 53;
    public static final long WQCAP_OP_CONFIG = 1L << 54;
    public static final long WQCAP_PRS = 1L << 55;

    // GRPCAP
    public static final int GRPCAP_READ_BUFFERS_SHIFT = 8;
    public static final long GRPCAP_READ_BUFFER_CONTROL = 1L << 16;
    public static final long GRPCAP_READ_BUFFER_LIMIT = 1L << 17;

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

    // CMD, CMDSTS
    public static final int CMD_OPERAND_MASK = 0xF_FFFF;
    public static final int CMD_CODE_SHIFT = 20;
    public static final int CMD_CODE_MASK = 0x1F;
    public static final int CMD_REQUEST_INTERRUPT = 0x8000_0000;
    public static final long CMD_RW_MASK = 0x81FF_FFFFL;
    public static final int CMDSTS_ERROR_MASK = 0xFF;
    public static final int CMDSTS_RESULT_SHIFT = 8;
    public static final int CMDSTS_ACTIVE = 0x8000_0000;

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
