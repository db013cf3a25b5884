package io.softdsa.iommu;

import io.softdsa.telemetry.EngineCounters;

/**
 * One engine's translation request and result, reused for every access so the data path allocates nothing.
 * The request context (PASID enable, PASID, Priv) is set once per descriptor; each {@link Iommu#translate} call
 * fills the result fields.
 */
public final class Translation {
    /** Access kinds. */
    public static final int READ = 0;
    public static final int WRITE = 1;

    // request context, set per descriptor
    public boolean pasidEnabled;
    public int pasid;
    public boolean priv;

    // result of the last translate call
    /** Host-physical address of the first byte. */
    public long hostAddress;
    /** Bytes from {@link #hostAddress} that are host-physically contiguous and have the same translation status. */
    public long length;

    // scratch of the page-table walker (one walk at a time per engine)
    /** Span of the last walk's leaf or IOTLB entry, as a shift: 12, 21 or 30, or 16 for a coalesced group. */
    public int pageShift;
    /** Host addresses of the entries the last walk used, leaf last. */
    final long[] walkEntries = new long[5];
    int walkDepth;
    /** Whether every leaf of the group {@link PageTableWalker#coalescible} last accepted is dirty. */
    boolean groupDirty;
    /** Stage-2 walk scratch (nested translation). */
    final long[] stage2Entries = new long[4];
    long stage2Host;
    int stage2Shift;
    long stage2FaultAddress;
    boolean stage2FaultWrite;
    /**
     * Set when this engine stopped holding translations in the middle of a descriptor (it waited for a page response
     * or a stage-2 fault resolution): translations it kept from before may be stale.
     */
    public boolean translationsDropped;
    /** Effective writable and user of the last walk or IOTLB hit. */
    public boolean leafWritable;
    public boolean leafUser;
    /** This engine's slot in the IOTLB's quiescence table, or -1 before its first translation. */
    int iotlbSlot = -1;
    /** The IOTLB epoch this engine held when it last resumed (0: never). */
    long heldEpoch;
    /** Stage-2 faults the host resolved for this engine: each one let go of everything it held. */
    long stage2Resolutions;
    /** Statistics of this engine's translations (single writer). */
    public long iotlbHits;
    public long walks;
    /** The engine's counters, where an IOTLB invalidation that waits for this engine counts the wait. */
    EngineCounters counters = EngineCounters.DISABLED;

    /** Sets the counters of the engine this translation belongs to (before it translates). */
    public void counters(EngineCounters engineCounters) {
        this.counters = engineCounters == null ? EngineCounters.DISABLED : engineCounters;
    }

    public Translation context(boolean pasidEnabled, int pasid, boolean priv) {
        this.pasidEnabled = pasidEnabled;
        this.pasid = pasid;
        this.priv = priv;
        return this;
    }
}
