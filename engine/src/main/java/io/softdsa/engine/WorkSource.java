package io.softdsa.engine;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.telemetry.WqCounters;

/**
 * What an engine sees of a work queue: where its descriptors wait (the ring), and the WQCFG settings that decide how
 * each one runs. The device model's {@code WorkQueue} is one; the engine needs nothing else of it.
 */
public interface WorkSource {
    /** The WQ's index (SWERR, drain tags). */
    int index();

    /** The descriptors waiting in this WQ. */
    DescriptorRing ring();

    boolean isDedicated();

    boolean pasidEnabled();

    /** A dedicated WQ's PASID (WQCFG); a shared WQ takes each descriptor's. */
    int pasid();

    /** A dedicated WQ's Priv (WQCFG). */
    boolean priv();

    /** The PASID descriptor {@code d} of this WQ runs for: the WQ's if dedicated, else the descriptor's own. */
    default int pasidOf(Descriptor d) {
        return isDedicated() ? pasid() : d.pasid();
    }

    /**
     * The Priv descriptor {@code d} of this WQ asks for, which SWERR reports: the WQ's if dedicated, else the
     * descriptor's own. Its DMA runs with Priv only if WQCFG Priv allows it too (the executor's context).
     */
    default boolean privOf(Descriptor d) {
        return isDedicated() ? priv() : d.priv();
    }

    boolean blockOnFault();

    long maxTransferSize();

    int maxBatchSize();

    /** WQCFG's operation configuration: whether {@code opcode} may run on this WQ. */
    boolean opcodeAllowed(int opcode);

    /** Whose interrupt handles descriptors of this WQ may raise. */
    int interruptOwner();

    /**
     * Called by an engine for each descriptor it takes, before it starts it: true if an Abort WQ or Abort PASID in
     * progress covers it (one it took in a run ahead of the abort, not yet started), in which case the WQ has
     * reported it as aborted and it must not run.
     */
    boolean discardForAbort(long position, Descriptor d);

    /** Whether {@link #discardForAbort} would discard it now (nothing recorded). */
    boolean abortCovers(long position, Descriptor d);

    /** This WQ's counters in the device's counters file ({@link WqCounters#DISABLED} without one). */
    WqCounters counters();

    /** The WQ's name as JFR events carry it ({@code wq0.3}), made once: an event never builds a string. */
    String eventName();
}
