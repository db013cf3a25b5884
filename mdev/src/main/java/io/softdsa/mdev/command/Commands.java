package io.softdsa.mdev.command;

/** Command codes of CMD bits 24:20 (fact sheet section 14) and CMDCAP. */
public final class Commands {
    public static final int ENABLE_DEVICE = 0x1;
    public static final int DISABLE_DEVICE = 0x2;
    public static final int DRAIN_ALL = 0x3;
    public static final int ABORT_ALL = 0x4;
    public static final int RESET_DEVICE = 0x5;
    public static final int ENABLE_WQ = 0x6;
    public static final int DISABLE_WQ = 0x7;
    public static final int DRAIN_WQ = 0x8;
    public static final int ABORT_WQ = 0x9;
    public static final int RESET_WQ = 0xA;
    public static final int DRAIN_PASID = 0xB;
    public static final int ABORT_PASID = 0xC;
    public static final int REQUEST_INT_HANDLE = 0xD;
    public static final int RELEASE_INT_HANDLE = 0xE;

    /** CMDCAP: every command 1..0xE. */
    public static final int CMDCAP = 0x7FFE;

    /** Request/Release Interrupt Handle operand: bit 16 = IMS. */
    public static final int INT_HANDLE_IMS = 1 << 16;

    private Commands() {
    }

    /** The CMD register value for {@code command} with {@code operand} (and the completion interrupt request). */
    public static int cmd(int command, int operand, boolean requestInterrupt) {
        return (operand & 0xF_FFFF) | ((command & 0x1F) << 20) | (requestInterrupt ? 0x8000_0000 : 0);
    }

    /** Operand of Disable/Drain/Abort/Reset WQ naming WQ {@code index}: bit (index mod 16), block (index / 16). */
    public static int wqOperand(int index) {
        return (1 << (index & 15)) | ((index >>> 4) << 16);
    }

    public static String name(int command) {
        return switch (command) {
            case ENABLE_DEVICE -> "enable device";
            case DISABLE_DEVICE -> "disable device";
            case DRAIN_ALL -> "drain all";
            case ABORT_ALL -> "abort all";
            case RESET_DEVICE -> "reset device";
            case ENABLE_WQ -> "enable WQ";
            case DISABLE_WQ -> "disable WQ";
            case DRAIN_WQ -> "drain WQ";
            case ABORT_WQ -> "abort WQ";
            case RESET_WQ -> "reset WQ";
            case DRAIN_PASID -> "drain PASID";
            case ABORT_PASID -> "abort PASID";
            case REQUEST_INT_HANDLE -> "request interrupt handle";
            case RELEASE_INT_HANDLE -> "release interrupt handle";
            default -> "command 0x" + Integer.toHexString(command);
        };
    }
}
