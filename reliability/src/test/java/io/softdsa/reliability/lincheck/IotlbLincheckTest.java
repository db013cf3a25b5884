package io.softdsa.reliability.lincheck;

import io.softdsa.iommu.Iotlb;
import io.softdsa.iommu.Translation;
import kotlin.reflect.KFunction;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IOTLB's two protocols under Lincheck's model checker, each against a planted-bug variant generated from the
 * same bytecode ({@link OffHeapTwin#planted}) that the checker must catch:
 * <ul>
 * <li><b>seqlock</b> (entries): a lookup never returns a (page, PASID, value) that no fill wrote together — a hit
 * always carries the host page filled for that very key. Variant: {@code READER_RECHECKS} off (lookup does not
 * re-read the version after the payload).
 * <li><b>epoch handshake</b> (invalidation wait): once an invalidation has returned, no engine that is still inside
 * the descriptor it was running uses a translation from before it. Its planted variants ({@code KEEPS_FIRST_EPOCH}
 * off, {@code SECOND_WAIT} off) were not found by the model checker within 60,000 interleavings per scenario (the
 * failing interleavings need five thread switches around the invalidator's spin-wait); they are caught by the
 * forced interleavings of {@link IotlbEpochInterleavingTest} instead, over the same generated twins.
 * </ul>
 * The model is sequentially consistent: it proves the order of the accesses. The fences that carry that order onto
 * the Java memory model (store-store after the odd CAS, load-load before the re-read, the Dekker re-read of the
 * epoch) are held by {@link IotlbFenceOrderTest}.
 */
class IotlbLincheckTest {
    private static final int CAPACITY = 16;
    private static final long VA = 0x7000;
    private static final int PASID = 3;

    // ---------------------------------------------------------------- seqlock

    /** Two keys (PASID, 4 KiB page) that share one IOTLB entry, and the host page each is always filled with. */
    static final int[] KEY_PASID = new int[2];
    static final long[] KEY_VA = new long[2];
    static final long[] KEY_HOST = {0x0001_0000L, 0x0002_0000L};

    static {
        // find a second key that lands on the first one's entry: fill A, fill B, A is gone (no concurrency here)
        KEY_PASID[0] = 1;
        KEY_VA[0] = 0x1000;
        search:
        for (int pasid = 1; pasid < 64; pasid++) {
            for (long page = 0; page < 4096; page++) {
                if (pasid == 1 && page == 1) {
                    continue;
                }
                final IotlbAccess probe = twin(null);
                probe.insert(1, 0x1000, 12, KEY_HOST[0], true, true, true);
                probe.insert(pasid, page << 12, 12, KEY_HOST[1], true, true, true);
                if (!probe.lookup(1, 0x1000, new Translation(), false)) {
                    KEY_PASID[1] = pasid;
                    KEY_VA[1] = page << 12;
                    break search;
                }
            }
        }
        if (KEY_VA[1] == 0 && KEY_PASID[1] == 0) {
            throw new IllegalStateException("no colliding key found");
        }
    }

    private static IotlbAccess twin(String plantedFlag) {
        try {
            final Class<?> c = plantedFlag == null ? OffHeapTwin.define(Iotlb.class, IotlbAccess.class)
                : OffHeapTwin.planted(Iotlb.class, plantedFlag, IotlbAccess.class);
            return (IotlbAccess) c.getConstructor(int.class).newInstance(CAPACITY);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fills (walks that found a page), lookups (engines) and invalidations on two keys sharing an entry. */
    @Param(name = "key", gen = IntGen.class, conf = "0:1")
    public abstract static class SeqlockScenario {
        private final IotlbAccess iotlb;

        SeqlockScenario(String plantedFlag) {
            iotlb = twin(plantedFlag);
            LincheckRuns.INSTANCES.incrementAndGet();
        }

        @Operation
        public void fill(@Param(name = "key") int key) {
            iotlb.insert(KEY_PASID[key], KEY_VA[key], 12, KEY_HOST[key], true, true, true);
        }

        /** 1 if the lookup missed or hit this key's own page (offset kept), 0 for anything else (torn). */
        @Operation
        public int lookup(@Param(name = "key") int key) {
            final Translation t = new Translation();
            if (!iotlb.lookup(KEY_PASID[key], KEY_VA[key] + 0x123, t, false)) {
                return 1;
            }
            return t.hostAddress == KEY_HOST[key] + 0x123 && t.pageShift == 12 ? 1 : 0;
        }

        @Operation
        public void invalidate(@Param(name = "key") int key) {
            iotlb.invalidatePasid(KEY_PASID[key]);
        }
    }

    public static final class SeqlockTwin extends SeqlockScenario {
        public SeqlockTwin() {
            super(null);
        }
    }

    public static final class SeqlockWithoutReaderRecheck extends SeqlockScenario {
        public SeqlockWithoutReaderRecheck() {
            super("READER_RECHECKS");
        }
    }

    /** Every lookup is a miss or the right page: the sequential meaning of a cache that may always miss. */
    public static final class SeqlockSpec {
        public void fill(int key) {
        }

        public int lookup(int key) {
            return 1;
        }

        public void invalidate(int key) {
        }
    }

    /** Key 0 filled; then key 1's fill over the same entry races a lookup of key 1 (the torn-read shape). */
    private static ModelCheckingOptions seqlockOptions(int random, int invocations) {
        final KFunction<?> fill = Scenarios.operation(SeqlockScenario.class, "fill", int.class);
        final KFunction<?> lookup = Scenarios.operation(SeqlockScenario.class, "lookup", int.class);
        final KFunction<?> invalidate = Scenarios.operation(SeqlockScenario.class, "invalidate", int.class);
        return new ModelCheckingOptions().iterations(random).invocationsPerIteration(invocations)
            .threads(2).actorsPerThread(2).actorsBefore(1).actorsAfter(1)
            .addCustomScenario(Scenarios.scenario(List.of(Scenarios.call(fill, 0)),
                List.of(List.of(Scenarios.call(fill, 1)), List.of(Scenarios.call(lookup, 1)))))
            .addCustomScenario(Scenarios.scenario(List.of(Scenarios.call(fill, 0)),
                List.of(List.of(Scenarios.call(invalidate, 0), Scenarios.call(fill, 1)),
                    List.of(Scenarios.call(lookup, 0), Scenarios.call(lookup, 1)))))
            .sequentialSpecification(SeqlockSpec.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void modelCheckingFindsNoTornIotlbLookup() {
        seqlockOptions(LincheckRuns.ITERATIONS, LincheckRuns.INVOCATIONS).check(SeqlockTwin.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void modelCheckingCatchesALookupThatDoesNotRecheckTheVersion() {
        final AssertionError failure = assertThrows(AssertionError.class,
            () -> seqlockOptions(0, 1_000).check(SeqlockWithoutReaderRecheck.class));
        LincheckReport.print("IOTLB seqlock without the reader's version re-check", failure);
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
        assertTrue(failure.getMessage().contains("lookup(1): 0"), failure.getMessage()); // key 0's page for key 1
    }

    // ---------------------------------------------------------------- epoch handshake

    /** Host page of the mapping's generation g (generation 0 is the first mapping; each remap makes the next). */
    private static long hostOf(int generation) {
        return 0x10_0000L + ((long) generation << 12);
    }

    /**
     * The page the epoch scenarios translate and remap: its leaf (the generation of the frame behind it), and the
     * newest generation whose invalidation has returned.
     */
    private static final class RemappedPage {
        private final IotlbAccess iotlb;
        private volatile int mapped;
        private final AtomicInteger returned = new AtomicInteger();

        RemappedPage(IotlbAccess iotlb) {
            this.iotlb = iotlb;
        }

        /** {@code ScalableModeIommu.translatePage}'s shape: enter, an IOTLB hit, or a walk and a fill. */
        long translate(int slot, Translation t) {
            iotlb.enter(slot);
            if (iotlb.lookup(PASID, VA, t, false)) {
                return t.hostAddress;
            }
            final long host = hostOf(mapped); // the walk
            iotlb.insert(PASID, VA, 12, host, true, true, true);
            return host;
        }

        /** 1 if using {@code host} now is not stale (no invalidation of a newer mapping has returned), else 0. */
        int use(long host) {
            final int generation = (int) ((host - hostOf(0)) >>> 12);
            return generation < returned.get() ? 0 : 1;
        }

        /** Unmap + map to the next frame, then the IOTLB invalidation (one invalidator at a time, as the VMM). */
        void remap() {
            final int next = mapped + 1;
            mapped = next;
            iotlb.invalidateRange(PASID, VA, 4096);
            returned.set(next);
        }
    }

    /**
     * An engine runs a descriptor that translates the same page three times (source, destination, completion
     * record: each {@code Iommu.translate} enters its slot, looks up, and on a miss walks the "page table" and fills),
     * then uses its first translation; the invalidator remaps the page to a new frame and invalidates it, as
     * {@code AddressSpace.unmap/map} do. An engine's use is stale if, at the time of use, an invalidation of a newer
     * mapping has already returned.
     */
    public abstract static class EpochScenario {
        private final IotlbAccess iotlb;
        private final RemappedPage page;
        private final int[] slots = new int[2];

        EpochScenario(String plantedFlag) {
            iotlb = twin(plantedFlag);
            page = new RemappedPage(iotlb);
            slots[0] = iotlb.register();
            final int freed = iotlb.register();
            slots[1] = iotlb.register();
            iotlb.unregister(freed); // a hole in the table: scans pass a freed slot, engineLifetime reuses it
            LincheckRuns.INSTANCES.incrementAndGet();
        }

        /**
         * A descriptor on engine {@code engine} (its slot registered up front): 1 if it used only translations no
         * returned invalidation had voided, else 0.
         */
        @Operation
        public int descriptor(int engine) {
            return run(slots[engine]);
        }

        /** A whole engine lifetime: register (reusing a freed slot), one descriptor, retire (unregister). */
        @Operation
        public int engineLifetime() {
            final int slot = iotlb.register();
            try {
                return run(slot);
            } finally {
                iotlb.unregister(slot);
            }
        }

        private int run(int slot) {
            final Translation t = new Translation();
            final long first = page.translate(slot, t);
            page.translate(slot, t);
            page.translate(slot, t);
            final int used = page.use(first); // the source window, after the destination and record
            iotlb.leave(slot);
            return used;
        }

        @Operation(nonParallelGroup = "invalidator")
        public void remap() {
            page.remap();
        }
    }

    public static final class EpochTwin extends EpochScenario {
        public EpochTwin() {
            super(null);
        }
    }

    /** No descriptor ever uses a voided translation. */
    public static final class EpochSpec {
        public int descriptor(int engine) {
            return 1;
        }

        public int engineLifetime() {
            return 1;
        }

        public void remap() {
        }
    }

    /** Hand-written scenarios only: an engine's slot must not be shared by two threads, as on the device. */
    private static ModelCheckingOptions epochOptions(int invocations) {
        final KFunction<?> descriptor = Scenarios.operation(EpochScenario.class, "descriptor", int.class);
        final KFunction<?> lifetime = Scenarios.operation(EpochScenario.class, "engineLifetime");
        final KFunction<?> remap = Scenarios.operation(EpochScenario.class, "remap");
        final ModelCheckingOptions o = new ModelCheckingOptions().iterations(0).invocationsPerIteration(invocations)
            // one engine against one remap
            .addCustomScenario(Scenarios.scenario(List.of(),
                List.of(List.of(Scenarios.call(descriptor, 0)), List.of(Scenarios.call(remap)))))
            // a walker that read the old leaf, a second engine that may hit what it fills, one remap
            .addCustomScenario(Scenarios.scenario(List.of(),
                List.of(List.of(Scenarios.call(descriptor, 0)), List.of(Scenarios.call(descriptor, 1)),
                    List.of(Scenarios.call(remap)))));
        // engine lifetimes reusing a freed slot while a scan passes over it, twice
        o.addCustomScenario(Scenarios.scenario(List.of(Scenarios.call(descriptor, 0)),
            List.of(List.of(Scenarios.call(lifetime), Scenarios.call(lifetime)),
                List.of(Scenarios.call(descriptor, 1)), List.of(Scenarios.call(remap), Scenarios.call(remap)))));
        return o.sequentialSpecification(EpochSpec.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void modelCheckingFindsNoStaleTranslationAfterAnInvalidationReturns() {
        epochOptions(LincheckRuns.INVOCATIONS * 5).check(EpochTwin.class);
    }

    // ---------------------------------------------------------------- windows kept across descriptors

    /**
     * {@code Dma}'s windows outlive the descriptor that made them: an engine that translated the page in one
     * descriptor uses that translation in its next one if {@code resume} says no invalidation came in between
     * ({@code ScalableModeIommu.resume} and {@code Dma.translate}'s shape), else it translates afresh. Each
     * descriptor uses the page once; the use is stale if an invalidation of a newer mapping has returned by then.
     */
    public abstract static class KeptWindowScenario {
        private final IotlbAccess iotlb;
        private final RemappedPage page;
        private final int slot;
        /** The engine's window (host page, 0: none) and the epoch it held when it last resumed (0: never). */
        private long window;
        private long heldEpoch;

        KeptWindowScenario(String plantedFlag) {
            iotlb = twin(plantedFlag);
            page = new RemappedPage(iotlb);
            slot = iotlb.register();
            LincheckRuns.INSTANCES.incrementAndGet();
        }

        /** One descriptor on the engine: 1 if the translation it used was not voided by a returned invalidation. */
        @Operation(nonParallelGroup = "engine")
        public int descriptor() {
            final boolean unchanged = iotlb.resume(slot, heldEpoch);
            heldEpoch = iotlb.held(slot);
            if (!unchanged || window == 0) {
                window = page.translate(slot, new Translation());
            }
            final int used = page.use(window);
            iotlb.leave(slot); // the descriptor ends; the window stays
            return used;
        }

        @Operation(nonParallelGroup = "invalidator")
        public void remap() {
            page.remap();
        }
    }

    public static final class KeptWindowTwin extends KeptWindowScenario {
        public KeptWindowTwin() {
            super(null);
        }
    }

    public static final class KeptWindowWithoutEpochCheck extends KeptWindowScenario {
        public KeptWindowWithoutEpochCheck() {
            super("RESUME_CHECKS_EPOCH");
        }
    }

    /** No descriptor ever uses a voided translation. */
    public static final class KeptWindowSpec {
        public int descriptor() {
            return 1;
        }

        public void remap() {
        }
    }

    /** One engine running three descriptors against two remaps, and the same after a first descriptor. */
    private static ModelCheckingOptions keptWindowOptions(int invocations) {
        final KFunction<?> descriptor = Scenarios.operation(KeptWindowScenario.class, "descriptor");
        final KFunction<?> remap = Scenarios.operation(KeptWindowScenario.class, "remap");
        return new ModelCheckingOptions().iterations(0).invocationsPerIteration(invocations)
            .addCustomScenario(Scenarios.scenario(List.of(),
                List.of(List.of(Scenarios.call(descriptor), Scenarios.call(descriptor), Scenarios.call(descriptor)),
                    List.of(Scenarios.call(remap), Scenarios.call(remap)))))
            .addCustomScenario(Scenarios.scenario(List.of(Scenarios.call(descriptor)),
                List.of(List.of(Scenarios.call(descriptor), Scenarios.call(descriptor)),
                    List.of(Scenarios.call(remap)))))
            .sequentialSpecification(KeptWindowSpec.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void modelCheckingFindsNoKeptWindowUsedAfterAnInvalidationReturns() {
        keptWindowOptions(LincheckRuns.INVOCATIONS * 5).check(KeptWindowTwin.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void modelCheckingCatchesAnEngineThatKeepsItsWindowsWithoutCheckingTheEpoch() {
        final AssertionError failure = assertThrows(AssertionError.class,
            () -> keptWindowOptions(1_000).check(KeptWindowWithoutEpochCheck.class));
        LincheckReport.print("kept DMA windows without resume's epoch check", failure);
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
        assertTrue(failure.getMessage().contains("descriptor(): 0"), failure.getMessage());
    }
}
