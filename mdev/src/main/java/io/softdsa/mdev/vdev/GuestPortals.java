package io.softdsa.mdev.vdev;

import io.softdsa.completion.Status;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorLayout;
import io.softdsa.device.WorkQueue;
import io.softdsa.mdev.command.HostWqSettings;
import io.softdsa.mdev.host.SubmissionGate;
import io.softdsa.mdev.translation.VirtualIommu;
import io.softdsa.portal.Portal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * BAR2 of one virtual device: the guest's 64-byte portal stores (fact sheet section 11: WQ i at i x 0x4000,
 * unlimited portal +0, limited +0x1000), playing the guest CPU's part before the store reaches the host WQ —
 * ENQCMD / ENQCMDS PASIDs translated by the guest's PASID table, completion-interrupt handles filtered
 * ({@link GuestInterruptHandles#filter}), MOVDIR64B to a disabled dedicated WQ dropped into SWERR.
 * <p>
 * Check-then-submit is one step with respect to reset, unplug and WQ reconfiguration: whoever changes a WQ first
 * {@link #stop}s its portal, which waits out every store that saw the old settings.
 */
final class GuestPortals {
    private final VdevState state;
    private final int wqs;
    private final HostSlice slice;
    private final VirtualIommu iommu;
    private final GuestInterruptHandles handles;
    private final GuestSwerr swerr;
    private final GuestErrors errors;
    private final VdevMigration migration;
    private final ThreadLocal<MemorySegment> scratch = ThreadLocal.withInitial(
        () -> Arena.ofAuto().allocate(DescriptorLayout.LENGTH, DescriptorLayout.LENGTH));
    /**
     * What the portal path submits with, per guest WQ: the settings of an enabled host WQ, or null. Cleared (then
     * {@link #gate} awaited) before the host WQ is disabled, reprogrammed or given back, so that a store that saw
     * the old settings has reached the WQ before its drain / abort, and none lands under the next configuration.
     */
    private final AtomicReferenceArray<HostWqSettings> settings;
    private final SubmissionGate gate = new SubmissionGate();

    GuestPortals(VdevState state, HostSlice slice, VirtualIommu iommu, GuestInterruptHandles handles,
                 GuestSwerr swerr, GuestErrors errors, VdevMigration migration) {
        this.state = state;
        this.wqs = slice.wqs();
        this.slice = slice;
        this.iommu = iommu;
        this.handles = handles;
        this.swerr = swerr;
        this.errors = errors;
        this.migration = migration;
        this.settings = new AtomicReferenceArray<>(wqs);
    }

    /** A 64-byte store to BAR2 at {@code offset}; see {@link VirtualDsa#portalWrite}. */
    PortalResult write(long offset, MemorySegment src, long srcOffset, PortalInstruction insn, int guestPasidMsr) {
        if (offset < 0 || offset / PortalLayout.WQ_STRIDE >= wqs) {
            errors.report(insn + " to BAR2 offset 0x" + Long.toHexString(offset) + ", beyond the last WQ's portals");
            return PortalResult.UNCLAIMED;
        }
        final int q = (int) (offset / PortalLayout.WQ_STRIDE);
        final int page = (int) ((offset % PortalLayout.WQ_STRIDE) / PortalLayout.PAGE);
        // the store is 64-byte atomic: the device sees this copy, never the guest's buffer while it changes
        final MemorySegment d = scratch.get();
        MemorySegment.copy(src, srcOffset, d, 0, DescriptorLayout.LENGTH);
        final Descriptor desc = new Descriptor(d, 0);
        // check-then-submit as one step with respect to reset, close and WQ reconfiguration (and, for ENQCMD, to the
        // guest freeing the PASID): whoever changes those waits this store out before draining or aborting
        final int token = gate.enter();
        final PortalResult result;
        try {
            if (state.closed || !state.memoryDecode) {
                if (!state.closed) {
                    errors.report(insn + " to WQ " + q + "'s portal with memory decoding off");
                }
                return PortalResult.UNCLAIMED;
            }
            final HostWqSettings s = settings.get(q);
            final PortalResult captured = migration.capture(q, s, desc, insn, guestPasidMsr);
            if (captured != null) {
                return captured; // stopped for migration: held for resubmission (here or on the destination)
            }
            if (insn == PortalInstruction.MOVDIR64B) {
                if (s == null) {
                    result = null; // dropped into SWERR below, outside the gate
                } else {
                    if (s.dedicated()) {
                        handles.filter(desc, s.dedicatedGuestPasid());
                        slice.wq(q).portal().movdir64b(d, 0);
                    } else {
                        errors.report("MOVDIR64B to shared WQ " + q + "'s portal (ignored)"); // softdsa rule
                    }
                    return PortalResult.POSTED;
                }
            } else {
                result = enqueue(q, page, s, d, desc, insn, guestPasidMsr);
            }
        } catch (IllegalStateException raced) {
            return insn == PortalInstruction.MOVDIR64B ? PortalResult.POSTED : PortalResult.RETRY;
        } finally {
            gate.exit(token);
        }
        if (result == null) {
            // a dedicated WQ that is not enabled drops the descriptor into SWERR (0x31)
            errors.report("MOVDIR64B to WQ " + q + ", which is not enabled (SWERR 0x31)");
            swerr.record(new SwerrEntry(Status.SWERR_WQ_DISABLED, q, true, desc.opcode(), desc.pasid(), desc.priv(),
                false, 0, false, 0, 0, d.toArray(ValueLayout.JAVA_BYTE)));
            return PortalResult.POSTED;
        }
        return result;
    }

    /** ENQCMD / ENQCMDS: the guest PASID translated and the descriptor enqueued, atomic with the guest's freePasid. */
    private PortalResult enqueue(int q, int page, HostWqSettings s, MemorySegment d, Descriptor desc,
                                 PortalInstruction insn, int guestPasidMsr) {
        final int gpasid = insn == PortalInstruction.ENQCMD ? guestPasidMsr : desc.pasid();
        final int token = iommu.beginSubmission();
        try {
            final int hpasid = gpasid < 0 ? -1 : iommu.hostPasid(gpasid);
            if (hpasid < 0) {
                return PortalResult.GP_FAULT;
            }
            if (s == null || s.dedicated()) {
                return PortalResult.RETRY;
            }
            handles.filter(desc, gpasid);
            final WorkQueue wq = slice.wq(q);
            final Portal portal = page == PortalLayout.LIMITED || page == PortalLayout.LIMITED_IMS
                ? wq.limitedPortal() : wq.unlimitedPortal();
            final boolean accepted;
            if (insn == PortalInstruction.ENQCMD) {
                accepted = portal.enqcmd(d, 0, hpasid);
            } else {
                desc.pasid(hpasid); // ENQCMDS: the descriptor's PASID, translated; Priv and the rest kept
                accepted = portal.enqcmd(d, 0);
            }
            return accepted ? PortalResult.ACCEPTED : PortalResult.RETRY;
        } finally {
            iommu.endSubmission(token);
        }
    }

    /** The settings guest WQ {@code q}'s stores submit with (its enabled host WQ's), or null. */
    HostWqSettings settings(int q) {
        return settings.get(q);
    }

    /** Opens the portal path of {@code q} onto its (just enabled) host WQ. */
    void open(int q, HostWqSettings s) {
        settings.set(q, s); // volatile: stores that see it submit into the enabled WQ
    }

    /** Stops the portal path of guest WQ {@code q}: once this returns no store can reach its host WQ any more. */
    void stop(int q) {
        settings.set(q, null); // volatile: a store entering from now on sees the WQ disabled
        gate.awaitSubmitters(); // and one that saw the old settings has finished its enqueue
    }

    /** Every portal store that passed its checks before this call has reached its WQ (or was captured). */
    void awaitStores() {
        gate.awaitSubmitters();
    }
}
