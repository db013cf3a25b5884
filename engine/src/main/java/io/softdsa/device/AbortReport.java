package io.softdsa.device;

import java.util.List;

/**
 * What an Abort (or Disable with abort) discarded: every descriptor that was queued and not started, with its 64
 * bytes, so that nothing accepted is ever silently lost (softdsa rule, fact sheet section 11). Each one is also
 * recorded in SWERR with code 0xFF.
 */
public record AbortReport(int wqIndex, List<byte[]> descriptors) {
    public AbortReport {
        descriptors = List.copyOf(descriptors);
    }

    public int count() {
        return descriptors.size();
    }
}
