package io.softdsa.reliability.lincheck;

import io.softdsa.iommu.Iommu;
import io.softdsa.iommu.PageTableWalker;
import io.softdsa.iommu.Translation;
import io.softdsa.memory.Le;
import kotlin.reflect.KFunction;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stage-2 walk's dirty bit against the host's departure of a leaf, under Lincheck's model checker: the device's
 * walk translates a write to a guest page while the host unmaps it (exchanging the leaf out, as {@code AddressSpace}
 * does). Sequentially, either the write came first (translated, and the departing leaf carries D) or the unmap did
 * (the walk faults, nothing departs dirty): a translated write whose departing leaf is clean is a write missing from
 * the dirty log. The walker is the engine's own bytecode ({@link OffHeapTwin}); its planted variant
 * ({@code LEAF_RECHECKED} off: a leaf gone between the walk's read and its update counts as marked, the code before
 * the ninth session) must be caught.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class StageTwoLeafLincheckTest {
    // second-level entry bits (fact sheet section 11): R 0, W 1, A 8, D 9
    private static final long RW = 0b11;
    private static final long DIRTY = 1L << 9;
    private static final long ROOT = 0x1000;
    private static final long LEAF = 0x4000; // the level-1 table; GPA 0 is its entry 0
    private static final long FRAME = 0x8000;

    /**
     * Stage-2 tables for GPA 0 -> FRAME, four levels at 0x1000..0x4000, in a fresh 64 KiB of "host memory". The
     * walker's twin comes with a twin of {@code Translation}, whose fields it reads (package-private in the engine),
     * so it is called reflectively.
     */
    public abstract static class LeafScenario {
        final MemorySegment memory = Arena.ofAuto().allocate(64 << 10, 4096);
        private final Object walker;
        private final Object translation;
        private final Method stage2;

        LeafScenario(Class<?> walkerTwin) {
            for (long level = 0; level < 3; level++) {
                Le.setLongRelease(memory, ROOT + level * 0x1000, (ROOT + (level + 1) * 0x1000) | RW);
            }
            Le.setLongRelease(memory, LEAF, FRAME | RW);
            try {
                final Class<?> translationTwin = translationTwin();
                walker = walkerTwin.getConstructor(MemorySegment.class).newInstance(memory);
                translation = translationTwin.getConstructor().newInstance();
                stage2 = walkerTwin.getMethod("stage2", translationTwin, long.class, long.class, int.class);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            LincheckRuns.INSTANCES.incrementAndGet();
        }

        /** The device: translate a write to GPA 0 (true: it would write FRAME). */
        @Operation
        public boolean write() throws ReflectiveOperationException {
            return (int) stage2.invoke(walker, translation, ROOT, 0L, Translation.WRITE) == Iommu.OK;
        }

        /** The host: unmap GPA 0; whether the departing leaf was dirty (what it reports to the dirty log). */
        @Operation
        public boolean unmap() {
            return (SwitchPoints.getAndSetLong(memory, LEAF, 0) & DIRTY) != 0;
        }
    }

    private static Class<?> translationTwin() {
        return OffHeapTwin.define(Translation.class);
    }

    public static final class Shipped extends LeafScenario {
        public Shipped() {
            super(shippedWalker());
        }

        private static Class<?> shippedWalker() {
            final Map<Class<?>, Class<?>[]> twins = new LinkedHashMap<>();
            twins.put(Translation.class, new Class<?>[0]);
            twins.put(PageTableWalker.class, new Class<?>[0]);
            return OffHeapTwin.define(twins).get(PageTableWalker.class);
        }
    }

    /** DELIBERATELY BROKEN: the walker with {@code LEAF_RECHECKED} off. */
    public static final class WithoutRecheck extends LeafScenario {
        public WithoutRecheck() {
            super(plantedWalker());
        }

        private static Class<?> plantedWalker() {
            translationTwin();
            return OffHeapTwin.plantedWith(PageTableWalker.class, "LEAF_RECHECKED", Translation.class);
        }
    }

    /** The sequential meaning: one page, mapped until unmapped; a write while mapped makes it dirty. */
    public static final class Spec {
        private boolean mapped = true;
        private boolean dirty;

        public boolean write() {
            dirty |= mapped;
            return mapped;
        }

        public boolean unmap() {
            final boolean was = mapped && dirty;
            mapped = false;
            dirty = false;
            return was;
        }
    }

    private static ModelCheckingOptions raceOfOneWriteAndOneUnmap() {
        final KFunction<?> write = Scenarios.operation(LeafScenario.class, "write");
        final KFunction<?> unmap = Scenarios.operation(LeafScenario.class, "unmap");
        return new ModelCheckingOptions().iterations(0).invocationsPerIteration(LincheckRuns.INVOCATIONS)
            .addCustomScenario(Scenarios.scenario(List.of(),
                List.of(List.of(Scenarios.call(write)), List.of(Scenarios.call(unmap)))))
            .sequentialSpecification(Spec.class);
    }

    @Test
    void modelCheckingFindsTheShippedWalkNeverLosesADirtyBit() {
        raceOfOneWriteAndOneUnmap().check(Shipped.class);
    }

    @Test
    void modelCheckingFindsTheWalkWithoutTheLeafRecheck() {
        final AssertionError failure = assertThrows(AssertionError.class,
            () -> raceOfOneWriteAndOneUnmap().check(WithoutRecheck.class));
        LincheckReport.print("stage-2 walk without the leaf recheck", failure);
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
        assertTrue(failure.getMessage().contains("write(): true"), failure.getMessage());
    }
}
