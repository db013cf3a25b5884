package io.softdsa.reliability.lincheck;

import java.lang.foreign.MemorySegment;

/**
 * The public surface of {@link io.softdsa.engine.DescriptorRing}, which its {@link OffHeapTwin} (and the twin of
 * every broken variant) is made to implement so that tests call it directly.
 */
public interface RingAccess {
    int offer(MemorySegment src, long srcOffset, int limit, long pasidWord);

    long peek();

    boolean claim(long position, MemorySegment dst, long dstOffset);

    int claimRun(long position, int max, long sameBits, MemorySegment dst, long dstOffset);

    long close();

    void open();

    long headPosition();

    long tailPosition();
}
