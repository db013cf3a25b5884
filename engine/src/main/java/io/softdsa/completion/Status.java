package io.softdsa.completion;

/** Completion status codes (completion record byte 0, bits 6:0), as {@code DSA_COMP_*} in {@code idxd.h}. */
public final class Status {
    public static final int NONE = 0x00;
    public static final int SUCCESS = 0x01;
    public static final int SUCCESS_PRED = 0x02;
    public static final int PAGE_FAULT_NOBOF = 0x03;
    public static final int PAGE_FAULT_IR = 0x04;
    public static final int BATCH_FAIL = 0x05;
    public static final int BATCH_PAGE_FAULT = 0x06;
    public static final int DELTA_OFFSETS_NOT_INCREASING = 0x07;
    public static final int DELTA_OFFSET_OUT_OF_RANGE = 0x08;
    public static final int DIF_ERROR = 0x09;
    public static final int UNSUPPORTED_OPCODE = 0x10;
    public static final int INVALID_FLAGS = 0x11;
    public static final int NONZERO_RESERVED = 0x12;
    public static final int INVALID_TRANSFER_SIZE = 0x13;
    public static final int DESCRIPTOR_COUNT = 0x14;
    public static final int DELTA_RECORD_SIZE = 0x15;
    public static final int OVERLAPPING_BUFFERS = 0x16;
    public static final int DUALCAST_ADDRESS = 0x17;
    public static final int DESCRIPTOR_LIST_ALIGNMENT = 0x18;
    public static final int INVALID_INTERRUPT_HANDLE = 0x19;
    public static final int COMPLETION_RECORD_FAULT = 0x1A;
    public static final int COMPLETION_RECORD_ALIGNMENT = 0x1B;
    public static final int MISALIGNED_ADDRESS = 0x1C;
    public static final int PRIVILEGE_ERROR = 0x1D;
    public static final int TRAFFIC_CLASS_ERROR = 0x1E;
    public static final int READBACK_FAULT = 0x1F;
    /** {@code DSA_COMP_HW_ERR1}: a hardware error (softdsa: an operation that failed inside, see the README). */
    public static final int HW_ERR1 = 0x20;
    /** {@code DSA_COMP_HW_ERR_DRB}: a hardware error on a drain readback. */
    public static final int HW_ERR_DRB = 0x21;
    public static final int TRANSLATION_ERROR = 0x22;

    // SWERR-only codes (softdsa rule, fact sheet section 11; not completion statuses): declared here and only here.
    /** A descriptor reached a full dedicated WQ and was dropped. */
    public static final int SWERR_DWQ_FULL = 0x30;
    /** A descriptor reached a dedicated WQ that is not enabled and was dropped. */
    public static final int SWERR_WQ_DISABLED = 0x31;

    /**
     * {@code IDXD_COMP_DESC_ABORT}: not a status the device writes but the one the Linux driver gives a descriptor it
     * aborted; softdsa reports each queued descriptor discarded by Abort WQ / Abort All / Abort PASID in SWERR with it.
     */
    public static final int DESC_ABORT = 0xFF;

    private Status() {
    }

    /** Whether a record must be written even without RCR: anything but plain Success (0x02 included, softdsa rule). */
    public static boolean alwaysRecorded(int status) {
        return status != SUCCESS;
    }

    /** Success, or success with a false predicate: the descriptor did all it was asked. */
    public static boolean isSuccess(int status) {
        return status == SUCCESS || status == SUCCESS_PRED;
    }

    /** A page fault the completion record reports (partial completion, resumable): 0x03, 0x04, or a batch's 0x06. */
    public static boolean isPageFault(int status) {
        return status == PAGE_FAULT_NOBOF || status == PAGE_FAULT_IR || status == BATCH_PAGE_FAULT;
    }

    public static String name(int status) {
        return switch (status) {
            case NONE -> "none";
            case SUCCESS -> "success";
            case SUCCESS_PRED -> "success-false-predicate";
            case PAGE_FAULT_NOBOF -> "page-fault";
            case PAGE_FAULT_IR -> "page-fault-invalid-response";
            case BATCH_FAIL -> "batch-failed";
            case BATCH_PAGE_FAULT -> "batch-page-fault";
            case DELTA_OFFSETS_NOT_INCREASING -> "delta-offsets-not-increasing";
            case DELTA_OFFSET_OUT_OF_RANGE -> "delta-offset-out-of-range";
            case DIF_ERROR -> "dif-error";
            case UNSUPPORTED_OPCODE -> "unsupported-opcode";
            case INVALID_FLAGS -> "invalid-flags";
            case NONZERO_RESERVED -> "nonzero-reserved";
            case INVALID_TRANSFER_SIZE -> "invalid-transfer-size";
            case DESCRIPTOR_COUNT -> "descriptor-count";
            case DELTA_RECORD_SIZE -> "delta-record-size";
            case OVERLAPPING_BUFFERS -> "overlapping-buffers";
            case DUALCAST_ADDRESS -> "dualcast-address";
            case DESCRIPTOR_LIST_ALIGNMENT -> "descriptor-list-alignment";
            case INVALID_INTERRUPT_HANDLE -> "invalid-interrupt-handle";
            case COMPLETION_RECORD_FAULT -> "completion-record-fault";
            case COMPLETION_RECORD_ALIGNMENT -> "completion-record-alignment";
            case MISALIGNED_ADDRESS -> "misaligned-address";
            case PRIVILEGE_ERROR -> "privilege-error";
            case TRAFFIC_CLASS_ERROR -> "traffic-class-error";
            case READBACK_FAULT -> "readback-fault";
            case HW_ERR1 -> "hw-err1";
            case HW_ERR_DRB -> "hw-err-drb";
            case TRANSLATION_ERROR -> "translation-error";
            case SWERR_DWQ_FULL -> "dwq-full-dropped";
            case SWERR_WQ_DISABLED -> "wq-disabled-dropped";
            case DESC_ABORT -> "desc-abort";
            default -> String.format("status-0x%02x", status);
        };
    }
}
