package io.softdsa.mdev.migration;

import io.softdsa.iommu.SecondLevelTables;

/**
 * Where DMA dirty bits come from: a guest's stage-2 tables (the walker sets D in the leaf on every DMA write, and only
 * on DMA writes). The virtual device hands its guest's tables in through {@link #of}; tests may give their own.
 */
public interface DirtyTracker {
    /** Forget earlier writes: from now on only new DMA writes are dirty. */
    void startDirtyLogging();

    /**
     * Report and clear [iova, iova + length) ({@code iova} aligned to 2^pageShift): bit k covers
     * [iova + k·2^pageShift, …).
     */
    long[] reportAndClearDirty(long iova, long length, int pageShift);

    void stopDirtyLogging();

    /** The stage-2 tables of a guest as a tracker. */
    static DirtyTracker of(SecondLevelTables stage2) {
        return new DirtyTracker() {
            @Override
            public void startDirtyLogging() {
                stage2.startDirtyLogging();
            }

            @Override
            public long[] reportAndClearDirty(long iova, long length, int pageShift) {
                return stage2.reportAndClearDirty(iova, length, pageShift);
            }

            @Override
            public void stopDirtyLogging() {
                stage2.stopDirtyLogging();
            }
        };
    }
}
