package io.softdsa.device;

import io.softdsa.completion.Status;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorLayout;
import io.softdsa.descriptor.Pasid;
import io.softdsa.device.config.WqConfig;
import io.softdsa.engine.CompletionWaits;
import io.softdsa.engine.DescriptorRing;
import io.softdsa.engine.PositionTag;
import io.softdsa.engine.WorkSource;
import io.softdsa.portal.Portal;
import io.softdsa.telemetry.WqAbortEvent;
import io.softdsa.telemetry.WqCounters;
import io.softdsa.telemetry.WqDisableEvent;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One work queue: its configuration, its descriptor ring, its portals and its state. Enable/disable, drain and abort
 * are control-path commands (fact sheet section 11); the fields engines read per descriptor are final.
 */
public final class WorkQueue implements WorkSource {
    private final Device device;
    /** Where Drain, disable and Abort wait for descriptors still executing (the engine side; not the device). */
    private final CompletionWaits waits;
    private final DescriptorRing ring;
    private final int index;
    private volatile WqConfig config;
    private volatile Portal unlimitedPortal;
    private volatile Portal limitedPortal;
    private volatile WqState state = WqState.DISABLED;
    /**
     * Abort PASID in progress: the {@link PositionTag} (PASID, end position), or {@link PositionTag#NONE}. Engines discard descriptors of that PASID below
     * the end position instead of running them. Written with a volatile store before the abort waits; read by engines
     * once per descriptor.
     */
    private volatile long pasidAbortFilter = PositionTag.NONE;
    /**
     * Abort WQ in progress: the end position, or -1. Engines discard descriptors below it that they took in a run
     * ahead of the abort but have not started. Volatile, as {@link #pasidAbortFilter}.
     */
    private volatile long abortEnd = -1;
    /** Who owns this WQ for interrupt-handle checks (a guest or process tag; 0 = the host). */
    private volatile int interruptOwner = io.softdsa.completion.InterruptTable.ANY_OWNER;
    /** What engines discarded for the abort in progress (Abort WQ or Abort PASID), in the order they reached them. */
    private final List<byte[]> engineAborted = new ArrayList<>();

    // Read by engines for every descriptor. Written only while the WQ is disabled (its ring closed and empty); the
    // ring's open() (a CAS) then orders these writes before any descriptor an engine can take from it.
    private boolean dedicated;
    private boolean pasidEnabled;
    private int pasid;
    private boolean priv;
    private boolean blockOnFault;
    private long maxTransferSize;
    private int maxBatchSize;
    /** This WQ's counters (allocated when it is first configured with a size); written like the fields above. */
    private WqCounters counters = WqCounters.DISABLED;
    /** accel-config's name of this WQ as the device was created ({@code wq0.3}), for JFR events: no string built. */
    private final String eventName;

    /** @param ringSize the largest size this WQ may be configured with (the device's total WQ size) */
    WorkQueue(Device device, CompletionWaits waits, WqConfig config, int ringSize) {
        this.device = device;
        this.waits = waits;
        this.index = config.index();
        this.eventName = "wq" + device.index() + "." + index;
        this.ring = new DescriptorRing(Math.max(1, ringSize));
        apply(config);
    }

    /** Takes a new configuration; only while disabled (the device checks). */
    void apply(WqConfig newConfig) {
        if (state != WqState.DISABLED) {
            throw new IllegalStateException(devName() + ": WQ enabled: configuration is read-only");
        }
        this.dedicated = newConfig.isDedicated();
        this.pasidEnabled = newConfig.pasidEnabled();
        this.pasid = newConfig.pasid();
        this.priv = newConfig.priv();
        this.blockOnFault = newConfig.blockOnFault();
        this.maxTransferSize = newConfig.maxTransferSize();
        this.maxBatchSize = newConfig.maxBatchSize();
        if (newConfig.size() > 0) { // a WQ configured at least once keeps its counters from then on
            this.counters = device.telemetry().wq(index, newConfig.name());
        }
        final Portal.DropListener drops = this::dropped;
        final int size = Math.max(1, newConfig.size());
        final Portal unlimited = new Portal(ring, size, dedicated, -1, drops, counters);
        this.unlimitedPortal = unlimited;
        this.limitedPortal = dedicated ? unlimited
            : new Portal(ring, Math.max(1, newConfig.threshold()), false, -1, drops, counters);
        this.config = newConfig;
    }

    public int index() {
        return index;
    }

    public boolean isDedicated() {
        return dedicated;
    }

    public boolean pasidEnabled() {
        return pasidEnabled;
    }

    /** The PASID of a dedicated WQ's descriptors. */
    public int pasid() {
        return pasid;
    }

    /** Dedicated WQ: its requests' Priv. Shared WQ: whether Priv = 1 descriptors are allowed. */
    public boolean priv() {
        return priv;
    }

    public boolean blockOnFault() {
        return blockOnFault;
    }

    public long maxTransferSize() {
        return maxTransferSize;
    }

    public int maxBatchSize() {
        return maxBatchSize;
    }

    /** The owner tag completion interrupt handles must carry (see {@code InterruptTable.owner}). */
    public int interruptOwner() {
        return interruptOwner;
    }

    /** Hands the WQ to an owner (a guest's virtual device, a user process): only its handles are valid here. */
    public void interruptOwner(int owner) {
        this.interruptOwner = owner;
    }

    public boolean opcodeAllowed(int opcode) {
        return config.opcodeAllowed(opcode);
    }

    public WqConfig config() {
        return config;
    }

    /** This WQ's counters in the device's counters file ({@link WqCounters#DISABLED} without one). */
    public WqCounters counters() {
        return counters;
    }

    /** This WQ's name as JFR events carry it ({@code wq0.3}; the device's index when it was created). */
    public String eventName() {
        return eventName;
    }

    /** accel-config's device name of this WQ, e.g. {@code wq0.3}. */
    public String devName() {
        final var cfg = device.config();
        return "wq" + (cfg == null ? 0 : cfg.deviceIndex()) + "." + index;
    }

    public WqState state() {
        return state;
    }

    public boolean isEnabled() {
        return state == WqState.ENABLED;
    }

    /** The portal for a submitter: the limited portal of a shared WQ (honours the threshold), or the DWQ portal. */
    public Portal portal() {
        return limitedPortal;
    }

    /** The unlimited portal (offset 0 of the WQ's BAR2 pages): ignores the threshold; for privileged software. */
    public Portal unlimitedPortal() {
        return unlimitedPortal;
    }

    /** The limited portal (offset 0x1000): says retry at the threshold. */
    public Portal limitedPortal() {
        return limitedPortal;
    }

    public DescriptorRing ring() {
        return ring;
    }

    /** Descriptors queued and not yet dispatched to an engine. */
    public int occupancy() {
        return ring.occupancy();
    }

    /** Enable WQ: the device must be enabled and the WQ configured (size > 0, in a group). */
    public synchronized void enable() {
        if (device.state() != DeviceState.ENABLED) {
            throw new IllegalStateException(devName() + ": device not enabled");
        }
        if (config.size() == 0 || config.groupId() < 0) {
            throw new IllegalStateException(devName() + ": not configured (size " + config.size() + ", group "
                + config.groupId() + ")");
        }
        if (state == WqState.ENABLED) {
            throw new IllegalStateException(devName() + ": already enabled");
        }
        ring.open();
        state = WqState.ENABLED;
    }

    /** Disable WQ: stops accepting, waits for every accepted descriptor to complete (Disable implies drain). */
    public synchronized void disable() {
        if (state != WqState.ENABLED) {
            return;
        }
        final WqDisableEvent event = WqDisableEvent.started();
        final long end = ring.close();
        final int queued = event == null ? 0 : occupancy();
        waits.awaitCompleted(this, end, -1);
        state = WqState.DISABLED;
        if (event != null) {
            event.finished(device.name(), eventName, queued);
        }
    }

    /** Disable after discarding what has not started; returns what was discarded. */
    public synchronized AbortReport disableAborting() {
        if (state != WqState.ENABLED) {
            return new AbortReport(index, List.of());
        }
        final WqAbortEvent event = WqAbortEvent.started();
        ring.close();
        final AbortReport report = abortQueued();
        state = WqState.DISABLED;
        if (event != null) {
            event.finished(device.name(), eventName, "disable-aborting", -1, report.count());
        }
        return report;
    }

    /** Drain WQ: returns once every descriptor accepted before the call has completed; submissions continue. */
    public void drain() {
        waits.awaitCompleted(this, ring.tailPosition(), -1);
    }

    /**
     * Abort WQ: discards every descriptor queued before the call that no engine has started (each reported and
     * recorded in SWERR as 0xFF) — those still in the WQ and those an engine took in a run and has not reached —
     * and waits for the ones in progress; the WQ stays enabled.
     */
    public synchronized AbortReport abort() {
        final WqAbortEvent event = WqAbortEvent.started();
        final AbortReport report = abortQueued();
        if (event != null) {
            event.finished(device.name(), eventName, "abort", -1, report.count());
        }
        return report;
    }

    /**
     * Takes and reports what the WQ holds below its tail, and has engines discard what they took below it in runs and
     * have not started (reported first: those positions come before the WQ's).
     */
    private AbortReport abortQueued() {
        final long end = ring.tailPosition();
        synchronized (engineAborted) {
            engineAborted.clear();
        }
        abortEnd = end;
        final List<byte[]> taken;
        try {
            taken = takeQueued(true, false);
            waits.awaitCompleted(this, end, -1);
        } finally {
            abortEnd = -1;
        }
        final List<byte[]> all;
        synchronized (engineAborted) {
            all = new ArrayList<>(engineAborted);
        }
        all.addAll(taken);
        return new AbortReport(index, all);
    }

    /**
     * Migration capture: takes every descriptor queued before the call that no engine has started out of the ring, in
     * order, without running or reporting it (no record, no SWERR). Returns their bytes as the WQ holds them (an
     * ENQCMD's PASID field as the portal wrote it), for resubmission elsewhere; the WQ stays enabled. Descriptors
     * already running go on: {@link #drain} waits for them.
     */
    public synchronized List<byte[]> captureQueued() {
        return takeQueued(false, false);
    }

    /** Claims every position below the tail in order (each reported as aborted if {@code report}), then waits. */
    private List<byte[]> takeQueued(boolean report, boolean await) {
        final long end = ring.tailPosition();
        final List<byte[]> taken = new ArrayList<>();
        try (Arena scratch = Arena.ofConfined()) {
            final MemorySegment buffer = scratch.allocate(DescriptorLayout.LENGTH, DescriptorLayout.LENGTH);
            final Descriptor d = new Descriptor(buffer, 0);
            long head;
            while ((head = ring.headPosition()) < end) {
                final long pos = ring.peek();
                if (pos >= 0 && pos < end && ring.claim(pos, buffer, 0)) {
                    taken.add(report ? recordDescriptorError(Status.DESC_ABORT, d, d.pasid())
                        : buffer.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                } else if (pos < 0 && ring.headPosition() == head) {
                    Thread.onSpinWait(); // a producer claimed this position and is still writing it
                }
            }
        }
        if (await) {
            waits.awaitCompleted(this, end, -1);
        }
        return taken;
    }

    /**
     * Abort PASID: discards every descriptor of {@code abortPasid} queued before the call that no engine has started
     * (each recorded in SWERR as 0xFF and returned), waits for those in progress; other PASIDs' descriptors run.
     */
    public synchronized AbortReport abortPasid(int abortPasid) {
        final WqAbortEvent event = WqAbortEvent.started();
        final long end = ring.tailPosition();
        synchronized (engineAborted) {
            engineAborted.clear();
        }
        pasidAbortFilter = PositionTag.of(abortPasid, end);
        try {
            // every position below `end` dispatched (the filter discards this PASID's), and none of this PASID still
            // running: another tenant's long descriptor (or one waiting on its page request) does not hold it up
            waits.awaitCompleted(this, end, abortPasid & Pasid.MASK);
        } finally {
            pasidAbortFilter = PositionTag.NONE;
        }
        final AbortReport report;
        synchronized (engineAborted) {
            report = new AbortReport(index, engineAborted);
        }
        if (event != null) {
            event.finished(device.name(), eventName, "abort-pasid", abortPasid, report.count());
        }
        return report;
    }

    /**
     * Called by an engine for each descriptor it takes, before starting it: true if an Abort WQ in progress covers
     * its position, or an Abort PASID its position and PASID, in which case it is reported as aborted and must not
     * run.
     */
    public boolean discardForAbort(long position, Descriptor d) {
        if (!abortCovers(position, d)) {
            return false;
        }
        final int descriptorPasid = pasidOf(d);
        final byte[] bytes = recordDescriptorError(Status.DESC_ABORT, d, descriptorPasid);
        synchronized (engineAborted) {
            engineAborted.add(bytes);
        }
        return true;
    }

    @Override
    public boolean abortCovers(long position, Descriptor d) {
        final long end = abortEnd;
        if (end >= 0 && position < end) {
            return true;
        }
        final long filter = pasidAbortFilter;
        return filter != PositionTag.NONE && position < PositionTag.position(filter)
            && pasidOf(d) == PositionTag.key(filter);
    }

    private void dropped(int errorCode, MemorySegment src, long offset) {
        final Descriptor d = new Descriptor(src, offset);
        recordDescriptorError(errorCode, d, d.pasid());
    }

    /** Records a SWERR entry about descriptor {@code d} of this WQ (no fault); returns the descriptor's bytes. */
    private byte[] recordDescriptorError(int code, Descriptor d, int descriptorPasid) {
        final byte[] bytes = d.segment().asSlice(d.offset(), DescriptorLayout.LENGTH)
            .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        device.swerr().record(new SwerrEntry(code, index, true, d.opcode(), descriptorPasid, d.priv(), false, 0,
            false, 0, 0, bytes));
        counters.swerr();
        return bytes;
    }

    @Override
    public String toString() {
        return devName() + "{" + config.mode().accelConfigName() + ", " + state + ", occupancy " + occupancy() + "}";
    }
}
