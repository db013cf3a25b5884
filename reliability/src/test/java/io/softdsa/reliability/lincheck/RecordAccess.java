package io.softdsa.reliability.lincheck;

/** The reading surface of {@link io.softdsa.completion.CompletionRecord}, implemented by its {@link OffHeapTwin}. */
public interface RecordAccess {
    int rawStatus();

    int result();

    int faultInfo();

    long bytesCompleted();

    long faultAddress();

    long u64(int recordOffset);
}
