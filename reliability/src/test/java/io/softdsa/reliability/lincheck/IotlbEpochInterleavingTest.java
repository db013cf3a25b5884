package io.softdsa.reliability.lincheck;

import io.softdsa.iommu.Iotlb;
import io.softdsa.iommu.Translation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.reflect.Field;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The epoch handshake's two SC-visible orderings, each forced through the exact interleaving that breaks its
 * planted-bug variant (JCStress-style: the test thread plays the engines step by step and waits for the invalidator
 * thread to reach each epoch, read from the twin). The same script runs over the production bytecode's twin, where
 * the invalidation must still be waiting when the engine uses its translation, and over the variant generated from
 * it with one ordering flag off ({@link OffHeapTwin#planted}), where the invalidation returns first — a stale use.
 * <p>
 * "Still waiting" is observed as "not returned within {@link #GRACE_MS}": on the production twin the invalidation
 * cannot return before the engine leaves, whatever the timing, so a slow machine can only make the planted variant's
 * run slower, never the production run fail.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IotlbEpochInterleavingTest {
    private static final int PASID = 3;
    private static final long VA = 0x7000;
    private static final long OLD_FRAME = 0x10_0000L;
    private static final long NEW_FRAME = 0x20_0000L;
    private static final long GRACE_MS = 1_500;
    private static final long DEADLINE_MS = 20_000;

    private final class Run {
        final IotlbAccess iotlb;
        final Field epoch;
        volatile long frame = OLD_FRAME; // the page table's leaf for VA
        final AtomicBoolean returned = new AtomicBoolean();
        Thread invalidator;

        Run(String plantedFlag) throws ReflectiveOperationException {
            final Class<?> c = plantedFlag == null ? OffHeapTwin.define(Iotlb.class, IotlbAccess.class)
                : OffHeapTwin.planted(Iotlb.class, plantedFlag, IotlbAccess.class);
            iotlb = (IotlbAccess) c.getConstructor(int.class).newInstance(16);
            epoch = c.getDeclaredField("epoch");
            epoch.setAccessible(true);
        }

        /** The VMM remaps VA to a new frame and invalidates it, on its own thread. */
        void remap() {
            invalidator = new Thread(() -> {
                frame = NEW_FRAME;
                iotlb.invalidateRange(PASID, VA, 4096);
                returned.set(true);
            }, "invalidator");
            invalidator.setDaemon(true); // on the planted variant's failure paths it may spin forever
            invalidator.start();
        }

        long epoch() {
            try {
                return epoch.getLong(iotlb);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Waits until the epoch reaches {@code e} (true) or {@code ms} pass (false). */
        boolean awaitEpoch(long e, long ms) throws InterruptedException {
            final long end = System.nanoTime() + ms * 1_000_000;
            while (epoch() < e) {
                if (System.nanoTime() > end) {
                    return false;
                }
                Thread.sleep(1);
            }
            return true;
        }

        /** Whether the invalidation returns within {@code ms}. */
        boolean awaitReturned(long ms) throws InterruptedException {
            invalidator.join(ms);
            return returned.get();
        }

        /** ScalableModeIommu.translatePage's shape: hit, or walk (read the leaf) and fill. */
        long translate(int slot) {
            iotlb.enter(slot);
            final Translation t = new Translation();
            if (iotlb.lookup(PASID, VA, t, false)) {
                return t.hostAddress;
            }
            final long host = frame;
            iotlb.insert(PASID, VA, 12, host, true, true, true);
            return host;
        }
    }

    /**
     * One engine, one descriptor translating three times (source, destination, completion record), using the first:
     * an engine that republishes a newer epoch at each translation lets the invalidation pass both its waits.
     * Returns whether the source translation was used after the invalidation returned.
     */
    private boolean republishScript(String plantedFlag) throws Exception {
        final Run r = new Run(plantedFlag);
        final int slot = r.iotlb.register();
        final long source = r.translate(slot); // epoch 1, walks the old leaf
        assertEquals(OLD_FRAME, source);
        r.remap(); // clear, epoch 2, waits for this engine
        assertTrue(r.awaitEpoch(2, DEADLINE_MS));
        r.translate(slot); // destination
        r.awaitEpoch(3, GRACE_MS); // only the planted variant gets past its first wait
        r.translate(slot); // completion record
        final boolean stale = r.awaitReturned(GRACE_MS); // ... the engine copies from `source` now
        r.iotlb.leave(slot);
        assertTrue(r.awaitReturned(DEADLINE_MS), "the invalidation returns once the engine is idle");
        return stale;
    }

    /**
     * Two engines: W walks the old leaf before the remap and fills after the first clear; R enters during the first
     * wait, hits W's stale entry and keeps using it. Without the second wait the invalidation returns under R.
     */
    private boolean staleFillScript(String plantedFlag) throws Exception {
        final Run r = new Run(plantedFlag);
        final int w = r.iotlb.register();
        final int reader = r.iotlb.register();
        r.iotlb.enter(w);
        final Translation t = new Translation();
        assertFalse(r.iotlb.lookup(PASID, VA, t, false));
        final long walked = r.frame; // W's walk reads the leaf ...
        r.remap(); // ... the VMM remaps, clears (nothing yet), epoch 2, waits for W
        assertTrue(r.awaitEpoch(2, DEADLINE_MS));
        r.iotlb.insert(PASID, VA, 12, walked, true, true, true); // ... and W fills what it walked: stale
        final long used = r.translate(reader); // R enters at epoch 2 and hits W's fill
        assertEquals(OLD_FRAME, used, "the script's precondition: R hit the stale fill");
        r.iotlb.leave(w); // W's descriptor ends (it used its translation before anything returned)
        final boolean stale = r.awaitReturned(GRACE_MS); // R copies through `used` now
        r.iotlb.leave(reader);
        assertTrue(r.awaitReturned(DEADLINE_MS), "the invalidation returns once R is idle");
        return stale;
    }

    @Test
    void productionEngineKeepsItsFirstEpochAcrossTheDescriptor() throws Exception {
        assertFalse(republishScript(null), "the invalidation returned while the source translation was in use");
    }

    @Test
    void plantedEpochRepublishedAtEachTranslationIsCaught() throws Exception {
        assertTrue(republishScript("KEEPS_FIRST_EPOCH"), "the planted variant was not caught");
    }

    @Test
    void productionInvalidationWaitsForAnEngineThatHitAStaleFill() throws Exception {
        assertFalse(staleFillScript(null), "the invalidation returned while R used W's stale fill");
    }

    @Test
    void plantedInvalidationWithoutItsSecondWaitIsCaught() throws Exception {
        assertTrue(staleFillScript("SECOND_WAIT"), "the planted variant was not caught");
    }
}
