package io.softdsa.iommu;

/**
 * The one door between the device's DMA and host memory: every address a descriptor carries passes through
 * {@link #translate}. Operations never see any other address.
 * <p>
 * Implementations must be safe for concurrent use by all engines and must not allocate.
 */
public interface Iommu {
    /** Translation succeeded; {@link Translation#hostAddress} and {@link Translation#length} are valid. */
    int OK = 0;

    /**
     * Translates the start of {@code [address, address + length)} for one kind of access.
     *
     * @param t       the request context (PASID, Priv) and, on return, the host address and run length
     *                ({@code 1 <= t.length <= length}) that share this translation
     * @param address the device-visible (I/O virtual or, with PASID disabled, physical) address
     * @param length  bytes wanted, at least 1
     * @param access  {@link Translation#READ} or {@link Translation#WRITE}
     * @return {@link #OK}, or the {@link TranslationFault} of the failure: page fault
     * ({@link TranslationFault#PAGE_NOT_PRESENT}) or translation error
     * ({@link TranslationFault#TRANSLATION_ERROR})
     */
    int translate(Translation t, long address, long length, int access);

    /**
     * For requests without PASID: the bound with which {@link #translate} answers every PASID-disabled request as
     * {@link PassThroughIommu#translatePhysical} does (each address below it is itself, to the bound at most; any
     * other is a translation error; nothing waits or is let go), fixed for the IOMMU's life; or -1 if it does not
     * promise that. So an engine may take that answer itself, without a call through this interface per operand
     * (the default, -1, keeps every request a call).
     */
    default long identityLimit() {
        return -1;
    }

    /**
     * The engine behind {@code t} holds no translation any more (its descriptor ended, or it waits on a page
     * request): an IOTLB invalidation need not wait for it.
     */
    default void quiesce(Translation t) {
    }

    /**
     * The engine behind {@code t} is about to translate again after {@link #quiesce}: it holds translations from
     * now on, as {@link #translate} would make it. Returns true if no invalidation has begun to wait for engines
     * since it last held translations, so what it translated then is still as valid as the IOTLB's own entries and
     * may be used again; false if it must translate everything afresh (the default: nothing is kept).
     */
    default boolean resume(Translation t) {
        return false;
    }

    /**
     * Whether a translation for {@code pasid} can wait on the host (a stage-2 fault resolved by its
     * {@link SecondLevelFaultHandler} on the engine thread): then an engine writes each completion as soon as its
     * descriptor ends rather than holding it back for a run. The default: never.
     */
    default boolean mayWaitOnHost(boolean pasidEnabled, int pasid) {
        return false;
    }

    /**
     * The engine behind {@code t} is retired (its device was reconfigured or closed): whatever the IOMMU keeps for it
     * (its IOTLB quiescence slot) is freed. {@code t} is not used again.
     */
    default void release(Translation t) {
    }
}
