package io.softdsa.mdev.host;

import io.softdsa.completion.SwerrEntry;

/** Whoever a host WQ is assigned to (the userspace-DMA driver, a virtual device): receives that WQ's SWERR entries. */
public interface WqOwner {
    String ownerName();

    /** A software error the host device reported for one of this owner's WQs (called on the reporting thread). */
    void softwareError(SwerrEntry entry);
}
