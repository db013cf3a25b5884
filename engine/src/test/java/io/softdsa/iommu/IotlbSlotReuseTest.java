package io.softdsa.iommu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IOTLB quiescence slots over engine lifetimes (issue 11 item 10): a retired engine's slot is freed by
 * {@link Iommu#release}, reused by the next engine, and never waited for by an invalidation.
 */
class IotlbSlotReuseTest {
    /** Direct register/unregister cycles: lowest free slot first, released slots idle, double free refused. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void registerReusesTheLowestFreedSlot() {
        final Iotlb iotlb = new Iotlb(16);
        final int a = iotlb.register();
        final int b = iotlb.register();
        final int c = iotlb.register();
        assertEquals(0, a);
        assertEquals(1, b);
        assertEquals(2, c);
        iotlb.enter(b); // b holds an epoch, as an engine retired mid-descriptor would
        iotlb.unregister(b);
        iotlb.invalidateAll(); // must not wait for b
        assertEquals(1, iotlb.register(), "the freed slot is handed out again");
        assertEquals(3, iotlb.scanBound());
        assertThrows(IllegalStateException.class, () -> iotlb.unregister(7));
        iotlb.unregister(c);
        assertThrows(IllegalStateException.class, () -> iotlb.unregister(c));
        for (int i = 0; i < 10_000; i++) {
            final int s = iotlb.register();
            assertTrue(s == 2, "slot " + s + " at cycle " + i);
            iotlb.enter(s);
            iotlb.unregister(s);
        }
        iotlb.invalidateAll();
        assertEquals(3, iotlb.scanBound(), "the quiescence table grew");
    }

    /** 256 engines at once is the limit; the 257th gets a clear exception, and a release makes room again. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void moreThan256LiveEnginesAreRefusedClearly() {
        final Iotlb iotlb = new Iotlb(16);
        for (int i = 0; i < 256; i++) {
            assertEquals(i, iotlb.register());
        }
        final IllegalStateException e = assertThrows(IllegalStateException.class, iotlb::register);
        assertTrue(e.getMessage().contains("256"), e.getMessage());
        iotlb.unregister(17);
        assertEquals(17, iotlb.register());
    }
}
