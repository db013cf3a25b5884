package io.softdsa.reliability.lincheck;

import java.lang.foreign.MemorySegment;

/** The submission surface of {@link io.softdsa.portal.Portal}, implemented by its {@link OffHeapTwin}. */
public interface PortalAccess {
    boolean enqcmd(MemorySegment src, long offset);

    void movdir64b(MemorySegment src, long offset);
}
