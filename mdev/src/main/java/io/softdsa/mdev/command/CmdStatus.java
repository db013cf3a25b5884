package io.softdsa.mdev.command;

/**
 * CMDSTS error codes (bits 7:0; fact sheet section 14). Where the fact sheet names a code without saying when it
 * applies, the softdsa rule is written next to it; {@link CommandProcessor} is the one place that raises them.
 */
public final class CmdStatus {
    public static final int SUCCESS = 0x00;
    /** Command code 0, above 0xE, or not in CMDCAP. */
    public static final int INVALID_COMMAND = 0x01;
    /** Enable WQ of an index >= the WQ count; Disable/Drain/Abort/Reset WQ naming no WQ or one >= the count. */
    public static final int INVALID_WQ_INDEX = 0x02;
    /** The host could not carry the command out (its device or the backing WQ is not usable). */
    public static final int HARDWARE_ERROR = 0x03;
    /** Enable Device while enabled. */
    public static final int DEVICE_ENABLED = 0x10;
    /** softdsa rule: PASID enabled in config space without PRI and ATS enabled (or PRI without PASID). */
    public static final int CONFIGURATION_ERROR = 0x11;
    /** Enable Device with bus mastering disabled in the command register. */
    public static final int BUS_MASTER_DISABLED = 0x12;
    /** softdsa rule: a PASID operand or a dedicated WQ's PASID the guest never allocated (no host PASID behind it). */
    public static final int INVALID_PASID = 0x13;
    /** Enable Device: the WQ sizes add up to more than the total WQ size, or one WQ above its host slice. */
    public static final int WQ_SIZE_OUT_OF_RANGE = 0x14;
    /** softdsa rule: group read buffers (reserved above allowed, or the sums above GRPCAP's total). */
    public static final int GROUP_READ_BUFFERS = 0x15;
    /** softdsa rule: a WQ in more than one group. */
    public static final int GROUP_WQ_IN_TWO_GROUPS = 0x16;
    /** softdsa rule: an engine in more than one group. */
    public static final int GROUP_ENGINE_IN_TWO_GROUPS = 0x17;
    /** softdsa rule: a group with WQs and no engine, or an engine grouping the host slice cannot provide. */
    public static final int GROUP_ENGINES = 0x18;
    /** Enable WQ while the device is not enabled. */
    public static final int DEVICE_NOT_ENABLED_FOR_WQ = 0x20;
    /** Enable WQ of an enabled WQ. */
    public static final int WQ_ENABLED = 0x21;
    /** Enable WQ: size 0, a shared WQ's threshold 0 or above its size, or a WQ in no group. */
    public static final int WQ_SIZE = 0x22;
    /** Enable WQ: priority 0 (priorities are 1..15). */
    public static final int WQ_PRIORITY = 0x23;
    /** Enable WQ: a mode WQCAP does not offer. */
    public static final int WQ_MODE = 0x24;
    /** Enable WQ: BOF without the capability, with PRS disabled in WQCFG, or with PRI disabled in config space. */
    public static final int BOF_ENABLE = 0x25;
    /** Enable WQ: PASID enable with the PASID capability disabled, or a shared WQ without PASID enable. */
    public static final int PASID_ENABLE = 0x26;
    /** Enable WQ: max batch shift above GENCAP's. */
    public static final int MAX_BATCH_SIZE = 0x27;
    /** Enable WQ: max transfer shift above GENCAP's. */
    public static final int MAX_TRANSFER_SIZE = 0x28;
    /** Disable Device while the device is already disabled. */
    public static final int DISABLE_DEVICE_NOT_ENABLED = 0x31;
    /** Drain/Abort All, Disable/Drain/Abort/Reset WQ, Drain/Abort PASID while the device is not enabled. */
    public static final int DEVICE_NOT_ENABLED = 0x32;
    /** Request Interrupt Handle for vector 0 or past the MSI-X table; Release of a handle not the guest's. */
    public static final int INVALID_INTERRUPT_INDEX = 0x41;
    /** Request Interrupt Handle with none left (host pool or the guest's quota), or for IMS (none). */
    public static final int NO_HANDLE_AVAILABLE = 0x42;

    private CmdStatus() {
    }
}
