package io.softdsa.memory;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostMemoryTest {
    @Test
    void theBufferViewIsTheSameMemoryInASessionOfItsOwnAndClosesWithTheRegion() {
        final HostMemory m = HostMemory.allocate(1L << 20);
        final java.lang.foreign.MemorySegment view = m.bufferView();
        assertEquals(m.segment().address(), view.address(), "same addresses");
        assertEquals(m.size(), view.byteSize());
        assertNotEquals(m.segment().scope(), view.scope(), "a session of its own");
        m.segment().set(ValueLayout.JAVA_LONG, 8192, 0x0123_4567_89AB_CDEFL);
        assertEquals(0x0123_4567_89AB_CDEFL, view.get(ValueLayout.JAVA_LONG, 8192));
        final java.nio.ByteBuffer buffer = view.asSlice(8192, 4096).asByteBuffer();
        final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(buffer);
        m.close();
        assertFalse(view.scope().isAlive(), "the view closes with the region");
        assertFalse(m.segment().scope().isAlive());
        buffer.clear();
        assertThrows(IllegalStateException.class, () -> crc.update(buffer),
            "an intrinsic over the view fails cleanly once the region is gone");
        assertThrows(IllegalStateException.class, m::close, "closing twice says so, as before");
    }

    @Test
    void defaultIs256MiB() {
        try (HostMemory m = HostMemory.allocate()) {
            assertEquals(256L << 20, m.size());
            assertEquals(65536, m.frames().frameCount());
            assertEquals(65535, m.frames().freeFrames(), "frame 0 reserved");
        }
    }

    @Test
    void fourGiBAndMoreWorkAndStayLazy() {
        final long size = (4L << 30) + (2L << 20);
        try (HostMemory m = HostMemory.allocate(size)) {
            assertEquals(size, m.size());
            m.segment().set(ValueLayout.JAVA_LONG, size - 8, 0x1234_5678_9ABC_DEF0L);
            assertEquals(0x1234_5678_9ABC_DEF0L, m.segment().get(ValueLayout.JAVA_LONG, size - 8));
            final long oneGig = m.frames().allocate1G();
            assertEquals(0, oneGig & ((1L << 30) - 1), "1 GiB run naturally aligned");
            assertNotEquals(0, oneGig, "frame 0 is never part of a run");
            final long twoMeg = m.frames().allocate2M();
            assertEquals(0, twoMeg & ((2L << 20) - 1));
            assertFalse(twoMeg >= oneGig && twoMeg < oneGig + (1L << 30), "runs do not overlap");
        }
    }

    @Test
    void framesAreUniqueAndFreeable() {
        try (HostMemory m = HostMemory.allocate(1L << 20)) {
            final List<Long> frames = new ArrayList<>();
            while (m.frames().freeFrames() > 0) {
                frames.add(m.frames().allocateFrame());
            }
            assertEquals(255, frames.size());
            assertEquals(255, frames.stream().distinct().count());
            assertTrue(frames.stream().allMatch(a -> a > 0 && a < (1L << 20) && (a & 4095) == 0));
            assertThrows(HostMemoryExhaustedException.class, () -> m.frames().allocateFrame());
            m.frames().free(frames.get(10), 4096);
            assertEquals(frames.get(10), m.frames().allocateFrame(), "a freed frame is reused");
            assertThrows(IllegalStateException.class, () -> {
                m.frames().free(frames.get(20), 4096);
                m.frames().free(frames.get(20), 4096);
            }, "double free detected");
        }
    }

    @Test
    void contiguousRunsSkipUsedFrames() {
        try (HostMemory m = HostMemory.allocate(8L << 20)) {
            final long first = m.frames().allocateContiguous(3 * 4096, 4096);
            final long second = m.frames().allocateContiguous(2L << 20, 2L << 20);
            assertEquals(2L << 20, second, "first 2 MiB-aligned run that is free (0 holds frame 0)");
            assertEquals(4096, first);
            assertThrows(HostMemoryExhaustedException.class, () -> m.frames().allocateContiguous(8L << 20, 4096));
            assertThrows(IllegalArgumentException.class, () -> m.frames().allocateContiguous(4096, 1000));
        }
    }

    @Test
    void badSizesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> HostMemory.allocate(4096));
        assertThrows(IllegalArgumentException.class, () -> HostMemory.allocate(10_000));
    }

    @Test
    void buffersAreZeroedAndReturnTheirFrames() {
        try (HostMemory m = HostMemory.allocate(1L << 20)) {
            final long free = m.frames().freeFrames();
            try (HostBuffer b = m.allocateBuffer(10_000)) {
                assertEquals(10_000, b.segment().byteSize());
                assertEquals(free - 3, m.frames().freeFrames());
                for (long i = 0; i < b.size(); i++) {
                    assertEquals(0, b.segment().get(ValueLayout.JAVA_BYTE, i));
                }
            }
            assertEquals(free, m.frames().freeFrames());
        }
    }
}
