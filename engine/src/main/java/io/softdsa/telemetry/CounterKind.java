package io.softdsa.telemetry;

/**
 * Every counter a device keeps in its counters file: the Agrona type id it is allocated with, what it belongs to (a
 * WQ, an engine or the whole device) and the words its label ends with. The key of each counter holds the device
 * index and the WQ or engine index ({@link #KEY_DEVICE_OFFSET}, {@link #KEY_UNIT_OFFSET}), so a reader can group
 * them; the label alone says everything a person needs ("dsa0 wq0.1 completed: page fault").
 */
public enum CounterKind {
    WQ_SUBMITTED(Scope.WQ, "submitted"),
    WQ_ACCEPTED(Scope.WQ, "accepted"),
    WQ_RETRIED(Scope.WQ, "retried (ENQCMD refused)"),
    WQ_COMPLETED_SUCCESS(Scope.WQ, "completed: success"),
    WQ_COMPLETED_PAGE_FAULT(Scope.WQ, "completed: page fault"),
    WQ_COMPLETED_ERROR(Scope.WQ, "completed: other error"),
    WQ_SWERR(Scope.WQ, "SWERR entries"),
    WQ_OCCUPANCY_HIGH_WATER(Scope.WQ, "occupancy high-water mark"),

    ENGINE_EXECUTED(Scope.ENGINE, "descriptors executed"),
    ENGINE_BUSY_NANOS(Scope.ENGINE, "busy ns"),
    ENGINE_PAGE_REQUESTS(Scope.ENGINE, "page requests raised"),
    ENGINE_INVALIDATION_WAITS(Scope.ENGINE, "IOTLB invalidation waits"),
    ENGINE_TRANSLATIONS_LET_GO(Scope.ENGINE, "translations let go"),
    ENGINE_IOTLB_HITS(Scope.ENGINE, "IOTLB hits"),
    ENGINE_IOTLB_MISSES(Scope.ENGINE, "IOTLB misses (page walks)"),

    DEVICE_PAGE_REQUESTS(Scope.DEVICE, "page requests"),
    DEVICE_INTERNAL_ERRORS(Scope.DEVICE, "internal errors (descriptor)"),
    DEVICE_ENGINE_THREAD_ERRORS(Scope.DEVICE, "engine thread errors");

    /** What a counter counts for. */
    public enum Scope {
        WQ, ENGINE, DEVICE
    }

    /** Type ids start here (Aeron's own start at 0; these never share a file with them, but stay apart anyway). */
    public static final int TYPE_ID_BASE = 0x5D5A_0000;
    /** Key bytes: the device index (int) ... */
    public static final int KEY_DEVICE_OFFSET = 0;
    /** ... then the WQ or engine index (int; -1 for a device counter). */
    public static final int KEY_UNIT_OFFSET = 4;
    public static final int KEY_LENGTH = 8;

    private static final CounterKind[] KINDS = values();

    private final Scope scope;
    private final String label;

    CounterKind(Scope scope, String label) {
        this.scope = scope;
        this.label = label;
    }

    public Scope scope() {
        return scope;
    }

    /** The words a counter's label ends with. */
    public String label() {
        return label;
    }

    public int typeId() {
        return TYPE_ID_BASE + ordinal();
    }

    /** The kind of a counter of type {@code typeId}, or null if it is not one of softdsa's. */
    public static CounterKind ofTypeId(int typeId) {
        final int i = typeId - TYPE_ID_BASE;
        return i >= 0 && i < KINDS.length ? KINDS[i] : null;
    }

    /** How many kinds have {@code scope}: the counters one WQ, engine or device holds. */
    public static int count(Scope scope) {
        int n = 0;
        for (CounterKind k : KINDS) {
            if (k.scope == scope) {
                n++;
            }
        }
        return n;
    }
}
