package io.softdsa.completion;

/**
 * The fields an operation produces for its completion record (fact sheet section 4), accumulated in place and
 * written out by {@link io.softdsa.completion.CompletionWriter}. One per engine, reset per descriptor.
 */
public final class OpResult {
    public int result;
    public int faultInfo;
    public long bytesCompleted;
    public long faultAddress;
    public boolean faultWrite;
    /** Bytes 16-23 of the record (invalid flags, delta record size, CRC value, DIF source tags). */
    public long field16;
    /** Bytes 24-31 of the record (DIF destination tags). */
    public long field24;

    /** Copies every field of {@code other} into this one. */
    public void copyFrom(OpResult other) {
        result = other.result;
        faultInfo = other.faultInfo;
        bytesCompleted = other.bytesCompleted;
        faultAddress = other.faultAddress;
        faultWrite = other.faultWrite;
        field16 = other.field16;
        field24 = other.field24;
    }

    public void reset() {
        result = 0;
        faultInfo = 0;
        bytesCompleted = 0;
        faultAddress = 0;
        faultWrite = false;
        field16 = 0;
        field24 = 0;
    }

    /**
     * Records a failed mapping after {@code done} units of progress: the failure's status, the address it failed at
     * and whether it was a write; returns the status.
     */
    public int fault(long done, int status, long address, boolean write) {
        bytesCompleted = done;
        faultAddress = address;
        faultWrite = write && isPageFault(status);
        return status;
    }

    private static boolean isPageFault(int status) {
        return status == Status.PAGE_FAULT_NOBOF
            || status == Status.PAGE_FAULT_IR;
    }
}
