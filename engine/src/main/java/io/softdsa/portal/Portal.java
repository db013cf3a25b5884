package io.softdsa.portal;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Pasid;
import io.softdsa.engine.DescriptorRing;
import io.softdsa.telemetry.DescriptorCompletedEvent;
import io.softdsa.telemetry.WqCounters;

import java.lang.foreign.MemorySegment;

/**
 * A WQ portal: the 64-byte write window a submitter owns (fact sheet section 11). {@link #enqcmd} is ENQCMD on a
 * shared WQ: never blocks, answers accepted ({@code true}) or retry ({@code false}, ZF = 1). {@link #movdir64b} is
 * MOVDIR64B on a dedicated WQ: posted, and a descriptor that finds the WQ full or disabled is dropped into SWERR by
 * the device.
 * <p>
 * Both copy the 64 bytes atomically with respect to the engines (see {@link DescriptorRing}); the source may be
 * reused as soon as the call returns. A source that holds no 64 readable bytes (too short, of a closed arena) is
 * refused with an exception before anything is queued or dropped. Allocation-free.
 * <p>
 * Each call is counted in the WQ's {@link WqCounters} (a no-op without a counters file), after the ring answered;
 * while a JFR recording takes {@code io.softdsa.DescriptorCompleted}, the submission time goes into the ring with the
 * descriptor, for the event's queue time.
 */
public final class Portal {
    private final DescriptorRing ring;
    private final int limit;
    private final boolean dedicated;
    private final long pasidWord;
    private final DropListener drops;
    private final WqCounters counters;

    /** Where the device reports a posted descriptor it dropped (SWERR). */
    @FunctionalInterface
    public interface DropListener {
        /** @param errorCode {@link Status#SWERR_DWQ_FULL} or {@link Status#SWERR_WQ_DISABLED} */
        void dropped(int errorCode, MemorySegment descriptor, long offset);
    }

    /**
     * @param limit     admission limit: the WQ size (unlimited portal, dedicated WQ) or the threshold (limited portal)
     * @param pasidWord the submitter's PASID substituted into bytes 0-3 (ENQCMD from user mode), or -1 to take the
     *                  descriptor's own (ENQCMDS, MOVDIR64B)
     */
    public Portal(DescriptorRing ring, int limit, boolean dedicated, long pasidWord, DropListener drops) {
        this(ring, limit, dedicated, pasidWord, drops, WqCounters.DISABLED);
    }

    /** As above, counting every submission in {@code counters}. */
    public Portal(DescriptorRing ring, int limit, boolean dedicated, long pasidWord, DropListener drops,
                  WqCounters counters) {
        this.ring = ring;
        this.limit = limit;
        this.dedicated = dedicated;
        this.pasidWord = pasidWord;
        this.drops = drops;
        this.counters = counters;
    }

    /** The same portal as seen by a process whose IA32_PASID holds {@code pasid}: ENQCMD substitutes it, Priv 0. */
    public Portal boundTo(int pasid) {
        if (!Pasid.isValid(pasid)) {
            throw new IllegalArgumentException("PASID is 20 bits: " + pasid);
        }
        return new Portal(ring, limit, dedicated, pasid, drops, counters);
    }

    public boolean isDedicated() {
        return dedicated;
    }

    public int limit() {
        return limit;
    }

    /** ENQCMD: true = accepted, false = retry (WQ full, at its threshold, or not enabled). */
    public boolean enqcmd(Descriptor descriptor) {
        return enqcmd(descriptor.segment(), descriptor.offset());
    }

    public boolean enqcmd(MemorySegment src, long offset) {
        if (dedicated) {
            throw new IllegalStateException("ENQCMD needs a shared WQ portal; use movdir64b on a dedicated WQ");
        }
        return counted(ring.offer(src, offset, limit, pasidWord, stamp()));
    }

    /**
     * ENQCMD as a guest executes it: the CPU substitutes the PASID its translation table gives for the guest's
     * IA32_PASID (here {@code pasid}), with Priv 0. True = accepted, false = retry.
     */
    public boolean enqcmd(MemorySegment src, long offset, int pasid) {
        if (dedicated) {
            throw new IllegalStateException("ENQCMD needs a shared WQ portal; use movdir64b on a dedicated WQ");
        }
        return counted(ring.offer(src, offset, limit, pasid & Pasid.MASK, stamp()));
    }

    /** MOVDIR64B: posted; a full or disabled dedicated WQ drops the descriptor into SWERR. */
    public void movdir64b(Descriptor descriptor) {
        movdir64b(descriptor.segment(), descriptor.offset());
    }

    public void movdir64b(MemorySegment src, long offset) {
        if (!dedicated) {
            throw new IllegalStateException("MOVDIR64B needs a dedicated WQ portal; use enqcmd on a shared WQ");
        }
        final int r = ring.offer(src, offset, limit, pasidWord, stamp());
        if (r == DescriptorRing.ACCEPTED) {
            counters.accepted();
        } else {
            counters.dropped();
            if (r == DescriptorRing.FULL) {
                counters.occupancy(limit); // the ring just saw `limit` queued (it re-read head to say so)
            }
            drops.dropped(r == DescriptorRing.FULL ? Status.SWERR_DWQ_FULL : Status.SWERR_WQ_DISABLED, src, offset);
        }
    }

    private boolean counted(int offerResult) {
        if (offerResult == DescriptorRing.ACCEPTED) {
            counters.accepted();
            return true;
        }
        counters.retried();
        if (offerResult == DescriptorRing.FULL) {
            counters.occupancy(limit); // the ring just saw at least `limit` queued (it re-read head to say so)
        }
        return false;
    }

    /** The submission time for the JFR event's queue time, or 0 (no clock read) while no recording takes it. */
    private static long stamp() {
        return DescriptorCompletedEvent.enabled() ? System.nanoTime() : 0;
    }
}
