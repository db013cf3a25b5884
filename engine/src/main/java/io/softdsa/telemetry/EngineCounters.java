package io.softdsa.telemetry;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * One engine's counters in the device's counters file. Every method is a no-op on {@link #DISABLED}.
 * <p>
 * Writers: all but one of these are written only by whoever drives the engine — its runner thread, or one invoker at
 * a time, each handing over to the next through the engine's driver CAS and volatile release, so each invoker's plain
 * read of a value sees the previous one's store. Single-writer counters need no atomic read-modify-write: they are
 * updated with Agrona's ordered (release) adds, a plain load and a release store ({@code incrementRelease},
 * {@code getAndAddRelease}: Agrona 1.x called them {@code incrementOrdered} / {@code getAndAddOrdered}), and a
 * reader's volatile load of the value (in any process) pairs with that release store. The exception is
 * {@link #invalidationWaited()}, which the invalidating thread calls while it waits for this engine: an atomic add.
 * <p>
 * Engines of one device that come and go with reconfiguration keep the counters of their index: the counts go on.
 */
public final class EngineCounters {
    /** No counters file. */
    public static final EngineCounters DISABLED = new EngineCounters();

    private final boolean on;
    private final DeviceCounters device;
    private final AtomicCounter executed;
    private final AtomicCounter busyNanos;
    private final AtomicCounter pageRequests;
    private final AtomicCounter invalidationWaits;
    private final AtomicCounter translationsLetGo;
    private final AtomicCounter iotlbHits;
    private final AtomicCounter iotlbMisses;

    private EngineCounters() {
        on = false;
        device = DeviceCounters.DISABLED;
        executed = busyNanos = pageRequests = invalidationWaits = translationsLetGo = iotlbHits = iotlbMisses = null;
    }

    /** @param allocate makes the counter of one engine kind */
    EngineCounters(java.util.function.Function<CounterKind, AtomicCounter> allocate, DeviceCounters device) {
        on = true;
        this.device = device;
        executed = allocate.apply(CounterKind.ENGINE_EXECUTED);
        busyNanos = allocate.apply(CounterKind.ENGINE_BUSY_NANOS);
        pageRequests = allocate.apply(CounterKind.ENGINE_PAGE_REQUESTS);
        invalidationWaits = allocate.apply(CounterKind.ENGINE_INVALIDATION_WAITS);
        translationsLetGo = allocate.apply(CounterKind.ENGINE_TRANSLATIONS_LET_GO);
        iotlbHits = allocate.apply(CounterKind.ENGINE_IOTLB_HITS);
        iotlbMisses = allocate.apply(CounterKind.ENGINE_IOTLB_MISSES);
    }

    public boolean enabled() {
        return on;
    }

    /** The engine ran a descriptor taken from a WQ (single writer: a release add). */
    public void executed() {
        if (on) {
            executed.incrementRelease();
        }
    }

    /** The engine was busy for {@code nanos} more (single writer: a release add). */
    public void busy(long nanos) {
        if (on) {
            busyNanos.getAndAddRelease(nanos);
        }
    }

    /** The engine raised a page request (single writer); the device-wide count goes up too (atomic). */
    public void pageRequestRaised() {
        if (on) {
            pageRequests.incrementRelease();
            device.pageRequestRaised();
        }
    }

    /** The engine let go of its translations in the middle of a descriptor (single writer). */
    public void translationsLetGo() {
        if (on) {
            translationsLetGo.incrementRelease();
        }
    }

    /** Translations since the last call: IOTLB hits and misses (page walks) (single writer; deltas may be 0). */
    public void iotlb(long hits, long misses) {
        if (on) {
            if (hits != 0) {
                iotlbHits.getAndAddRelease(hits);
            }
            if (misses != 0) {
                iotlbMisses.getAndAddRelease(misses);
            }
        }
    }

    /**
     * An IOTLB invalidation had to wait for this engine to let go of translations from before it. Called on the
     * invalidating thread, of which there may be several at once: an atomic add.
     */
    public void invalidationWaited() {
        if (on) {
            invalidationWaits.increment();
        }
    }
}
