package io.softdsa.mdev.command;

/** Command codes of CMD bits 24:20 (fact sheet section 14; the register's fields: {@code regs.CmdLayout}) and CMDCAP. */
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

    private Commands() {
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
