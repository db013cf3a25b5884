package io.softdsa.iommu;

import io.softdsa.memory.HostMemory;
import io.softdsa.memory.Le;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stage-2 leaf the host unmaps or remaps between a walk's read of it and the walk's dirty-bit update: the write
 * the walk translated must still reach the dirty log (the departing leaf carries D, or the walk goes again on the
 * new entry). The bits are fact sheet section 11's second-level A (bit 8) and D (bit 9), written here as literals.
 */
@Timeout(120)
class Stage2LeafRaceTest {
    private static final long SL_A = 1L << 8;
    private static final long SL_D = 1L << 9;
    private static final long GPA = 0x20_0000L;
    private static final long FRAME = 16L << 20;

    private HostMemory memory;
    private SecondLevelTables s2;
    private PageTableWalker walker;

    @BeforeEach
    void setUp() {
        memory = HostMemory.allocate(64L << 20);
        s2 = new ScalableModeIommu(memory).newSecondLevel();
        walker = new PageTableWalker(memory.segment());
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private long leafAddress() {
        s2.map(GPA, FRAME, 4096, true);
        final Translation t = new Translation();
        assertEquals(Iommu.OK, walker.stage2(t, s2.root(), GPA, Translation.READ));
        assertEquals(FRAME, t.stage2Host);
        return t.stage2Entries[3];
    }

    private long entry(long address) {
        return Le.getLongVolatile(memory.segment(), address);
    }

    @Test
    void aLeafUnmappedAfterTheWalkReadItIsNotMarkedAndTheWalkGoesAgain() {
        final long leaf = leafAddress();
        final long read = entry(leaf);
        s2.unmap(GPA, 4096);
        assertFalse(walker.markLeaf(leaf, read, SL_A | SL_D), "the entry the walk read is gone");
        assertEquals(0, entry(leaf), "nothing set on the hole");
    }

    @Test
    void aLeafRemappedAfterTheWalkReadItIsNotMarkedAndTheWalkGoesAgain() {
        final long leaf = leafAddress();
        final long read = entry(leaf);
        s2.map(GPA, FRAME + 4096, 4096, true);
        assertFalse(walker.markLeaf(leaf, read, SL_A | SL_D), "another frame now");
        assertEquals(0, entry(leaf) & SL_D, "the new leaf was not written through the old walk");
    }

    @Test
    void anUnchangedLeafOrOneThatOnlyGainedAccessedIsMarked() {
        final long leaf = leafAddress();
        final long read = entry(leaf) & ~(SL_A | SL_D);
        assertTrue(walker.markLeaf(leaf, read, SL_A | SL_D));
        assertEquals(SL_A | SL_D, entry(leaf) & (SL_A | SL_D));
        assertTrue(walker.markLeaf(leaf, read, SL_A), "A/D set since the read do not count as a change");
    }

    /**
     * Two threads: the device's walk translates a write to the page while the host unmaps it. Whenever the walk
     * answered OK (the device would write the frame), the next dirty report covering the page must hold it.
     */
    @Test
    void aWriteTranslatedWhileTheHostUnmapsThePageIsAlwaysDirtyLogged() throws Exception {
        final int rounds = 5_000; // the unguarded walk lost a write within the first few rounds
        final AtomicInteger phase = new AtomicInteger(); // even: host's turn to map; odd: both race
        final boolean[] translated = new boolean[1];
        final Thread device = new Thread(() -> {
            final Translation t = new Translation();
            for (int r = 0; r < rounds; r++) {
                while (phase.get() != 2 * r + 1) {
                    Thread.onSpinWait();
                }
                translated[0] = walker.stage2(t, s2.root(), GPA, Translation.WRITE) == Iommu.OK;
                phase.incrementAndGet(); // releases translated[0] to the host's acquire below
            }
        }, "device-walk");
        device.setDaemon(true); // a failed round leaves it waiting for a phase that never comes: not the JVM's exit
        device.start();
        s2.startDirtyLogging();
        int raced = 0;
        for (int r = 0; r < rounds; r++) {
            s2.map(GPA, FRAME, 4096, true);
            s2.reportAndClearDirty(GPA, 4096, 12);
            phase.set(2 * r + 1);
            for (int spin = r % 64; spin > 0; spin--) {
                Thread.onSpinWait(); // vary where the unmap lands in the walk
            }
            s2.unmap(GPA, 4096);
            while (phase.get() != 2 * r + 2) {
                Thread.onSpinWait();
            }
            if (translated[0]) {
                raced++;
                assertEquals(1L, s2.reportAndClearDirty(GPA, 4096, 12)[0] & 1L,
                    "round " + r + ": a write the walk translated is missing from the dirty log");
            }
        }
        device.join();
        assertTrue(raced > 0, "the walk won some rounds");
    }
}
