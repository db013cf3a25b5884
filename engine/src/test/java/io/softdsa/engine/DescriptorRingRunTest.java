package io.softdsa.engine;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link DescriptorRing#claimRun}: the published descriptors at head, in order, up to the maximum, taken with one
 * move of head; a stale position takes nothing. (Its races are model-checked in reliability's
 * DescriptorRingLincheckTest and DrainTagLincheckTest.)
 */
class DescriptorRingRunTest {
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;

    /** A descriptor whose eight words say {@code id} and their own index. */
    private static MemorySegment descriptor(Arena arena, int id) {
        final MemorySegment d = arena.allocate(64, 64);
        for (int i = 0; i < 8; i++) {
            d.set(WORD, 8L * i, (long) id << 8 | i);
        }
        return d;
    }

    private static void assertDescriptor(int id, MemorySegment fetch, int index) {
        for (int i = 0; i < 8; i++) {
            assertEquals((long) id << 8 | i, fetch.get(WORD, 64L * index + 8L * i),
                "descriptor " + index + " of the run, word " + i);
        }
    }

    @Test
    void aRunTakesThePublishedDescriptorsAtHeadInOrderWithOneMoveOfHead() {
        try (Arena arena = Arena.ofConfined()) {
            final DescriptorRing ring = new DescriptorRing(8);
            ring.open();
            for (int id = 1; id <= 3; id++) {
                assertEquals(DescriptorRing.ACCEPTED, ring.offer(descriptor(arena, id), 0, 8, -1));
            }
            final MemorySegment fetch = arena.allocate(4 * 64, 64);
            final long position = ring.peek();
            assertEquals(0, position);
            assertEquals(3, ring.claimRun(position, 4, 0, fetch, 0), "all three published, fewer than the maximum");
            for (int i = 0; i < 3; i++) {
                assertDescriptor(i + 1, fetch, i);
            }
            assertEquals(3, ring.headPosition());
            assertEquals(0, ring.occupancy());
            assertEquals(-1, ring.peek(), "nothing left");
        }
    }

    @Test
    void aRunStopsAtItsMaximumAndTheRestStaysQueued() {
        try (Arena arena = Arena.ofConfined()) {
            final DescriptorRing ring = new DescriptorRing(8);
            ring.open();
            for (int id = 1; id <= 5; id++) {
                assertEquals(DescriptorRing.ACCEPTED, ring.offer(descriptor(arena, id), 0, 8, -1));
            }
            final MemorySegment fetch = arena.allocate(4 * 64, 64);
            assertEquals(4, ring.claimRun(ring.peek(), 4, 0, fetch, 0));
            assertDescriptor(4, fetch, 3);
            assertEquals(4, ring.headPosition());
            assertEquals(1, ring.occupancy());
            assertEquals(1, ring.claimRun(ring.peek(), 4, 0, fetch, 64), "the last one, copied at the offset given");
            assertDescriptor(5, fetch, 1);
        }
    }

    @Test
    void aStalePositionTakesNothing() {
        try (Arena arena = Arena.ofConfined()) {
            final DescriptorRing ring = new DescriptorRing(8);
            ring.open();
            for (int id = 1; id <= 4; id++) {
                ring.offer(descriptor(arena, id), 0, 8, -1);
            }
            final MemorySegment fetch = arena.allocate(4 * 64, 64);
            final long seen = ring.peek();
            assertEquals(2, ring.claimRun(seen, 2, 0, fetch, 0), "another consumer takes 0 and 1");
            assertEquals(0, ring.claimRun(seen, 4, 0, fetch, 0), "position 0 was taken: the CAS of head fails");
            assertEquals(2, ring.headPosition(), "head did not move");
            assertEquals(2, ring.claimRun(ring.peek(), 4, 0, fetch, 0));
            assertDescriptor(3, fetch, 0);
            assertDescriptor(4, fetch, 1);
        }
    }

    @Test
    void aRunKeepsToTheFirstDescriptorsBitsInSameBits() {
        try (Arena arena = Arena.ofConfined()) {
            final DescriptorRing ring = new DescriptorRing(8);
            ring.open();
            final int[] pasids = {5, 5, 9, 9, 9};
            for (int i = 0; i < pasids.length; i++) {
                final MemorySegment d = descriptor(arena, i + 1);
                d.set(ValueLayout.JAVA_INT_UNALIGNED, 0, pasids[i]); // bytes 0-3: the PASID field
                ring.offer(d, 0, 8, -1);
            }
            final MemorySegment fetch = arena.allocate(4 * 64, 64);
            final long pasidBits = 0xF_FFFFL;
            assertEquals(2, ring.claimRun(ring.peek(), 4, pasidBits, fetch, 0), "PASID 5's two, not PASID 9's");
            assertEquals(2, ring.headPosition());
            assertEquals(3, ring.claimRun(ring.peek(), 4, pasidBits, fetch, 0), "then PASID 9's three");
            for (int i = 0; i < 3; i++) {
                assertEquals(9, fetch.get(ValueLayout.JAVA_INT_UNALIGNED, 64L * i));
                assertEquals((long) (i + 3) << 8 | 1, fetch.get(WORD, 64L * i + 8), "descriptor " + (i + 3));
            }
        }
    }

    /**
     * The ring's memory is its own and read unchecked: it must outlive every collection while the ring is reachable
     * (a ring whose memory were freed would be read as garbage, or fault the process, not throw). Laps over every
     * slot, with collections between the offers and the claims and the WQ's own arena long gone.
     */
    @Test
    void theRingsMemoryLivesAsLongAsTheRingThroughCollections() {
        final DescriptorRing ring = new DescriptorRing(4);
        ring.open();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment fetch = arena.allocate(64, 64);
            for (int id = 1; id <= 3 * ring.capacity(); id++) {
                assertEquals(DescriptorRing.ACCEPTED, ring.offer(descriptor(arena, id), 0, 4, -1));
                if (id % ring.capacity() == 0) {
                    for (int gc = 0; gc < 3; gc++) {
                        System.gc();
                    }
                }
                final long position = ring.peek();
                assertEquals(id - 1, position);
                assertEquals(1, ring.claimRun(position, 1, 0, fetch, 0));
                assertDescriptor(id, fetch, 0);
            }
        }
        assertEquals(3L * ring.capacity(), ring.headPosition());
    }
}
