package io.softdsa.mdev.vdev;

import io.softdsa.completion.DeliveryThread;
import io.softdsa.completion.Status;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.mdev.command.HostWqSettings;
import io.softdsa.mdev.regs.Bar0Layout;
import io.softdsa.mdev.regs.Bar0Registers;
import io.softdsa.mdev.translation.VirtualIommu;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * One virtual device's software-error register as the guest sees it: host SWERR entries of its WQs translated into
 * guest terms (guest WQ index, guest PASID), and errors the device itself finds on the portal path, latched into
 * SWERR (or its overflow bit) with INTCAUSE and, if GENCTRL asks, the misc interrupt.
 * <p>
 * A host entry arrives on whatever thread the host device reported it on — often a host engine thread, which must
 * never wait for the device lock (a guest's MMIO, command or migration holds it). Such an entry is translated
 * lock-free and offered to a bounded queue; this device's SWERR thread latches it. A full queue loses nothing the
 * guest could tell apart: the register sets its overflow bit, as for an error while SWERR is valid.
 */
final class GuestSwerr implements AutoCloseable {
    /** Host reports that may wait for the SWERR thread: far more than a guest can consume between two misc interrupts. */
    static final int QUEUE_CAPACITY = 256;

    private final VdevState state;
    private final Bar0Registers bar0;
    private final HostSlice slice;
    private final VirtualIommu iommu;
    private final IntFunction<HostWqSettings> latched;
    private final MsixDelivery msix;
    private final List<SwerrEntry> history = new ArrayList<>();
    private final ManyToOneConcurrentArrayQueue<SwerrEntry> reports =
        new ManyToOneConcurrentArrayQueue<>(QUEUE_CAPACITY);
    private final AtomicLong overflowedReports = new AtomicLong();
    private final DeliveryThread thread;

    /** @param latched the settings Enable WQ latched per guest WQ (null while disabled); read lock-free */
    GuestSwerr(String name, VdevState state, Bar0Registers bar0, HostSlice slice, VirtualIommu iommu,
               IntFunction<HostWqSettings> latched, MsixDelivery msix) {
        this.state = state;
        this.bar0 = bar0;
        this.slice = slice;
        this.iommu = iommu;
        this.latched = latched;
        this.msix = msix;
        this.thread = new DeliveryThread(name + "-swerr", Thread::new, this::latchReports);
    }

    /**
     * A host SWERR entry of one of this device's WQs (any thread, including a host engine's): translated into guest
     * terms and queued for the SWERR thread. Takes no lock and never waits.
     */
    void hostReport(SwerrEntry e) {
        final int q = slice.guestWq(e.wqIndex());
        if (q < 0) {
            return;
        }
        final HostWqSettings s = latched.apply(q);
        final boolean rawBytes = e.errorCode() == Status.SWERR_DWQ_FULL
            || e.errorCode() == Status.SWERR_WQ_DISABLED
            || e.errorCode() == Status.DESC_ABORT;
        final int gpasid;
        if (!e.descriptorValid()) {
            gpasid = 0;
        } else if (rawBytes && (s == null || s.dedicated())) {
            gpasid = e.pasid(); // a MOVDIR64B descriptor's own PASID field, as the guest wrote it: never translated
        } else {
            gpasid = Math.max(0, iommu.guestPasid(e.pasid())); // the host PASID the request ran with
        }
        final SwerrEntry guest = new SwerrEntry(e.errorCode(), q, e.descriptorValid(), e.opcode(), gpasid, e.priv(),
            e.batch(), e.batchIndex(), e.faultWrite(), e.invalidFlags(), e.faultAddress(), e.descriptor());
        if (!reports.offer(guest)) {
            overflowedReports.incrementAndGet();
        }
        thread.signal();
    }

    /**
     * Latches {@code e} (guest terms) on the caller's thread: the portal path (a guest's store) and the device's
     * own threads, which may wait for the device lock.
     */
    void record(SwerrEntry e) {
        final boolean interrupt;
        synchronized (state.lock) {
            interrupt = latch(e);
        }
        if (interrupt) {
            msix.raise(0);
        }
    }

    /** Under the device lock: into SWERR (or overflow), INTCAUSE, history; whether the misc interrupt is due. */
    private boolean latch(SwerrEntry e) {
        bar0.latchSwerr(e.toWords());
        bar0.raiseIntcause(Bar0Layout.INTCAUSE_SOFTWARE_ERROR);
        history.add(e);
        return (bar0.genctrl() & Bar0Layout.GENCTRL_SOFTWARE_ERROR_INTERRUPT) != 0;
    }

    /** The SWERR thread's duty (and a quiesce's, on its own thread): every queued host report latched. */
    int latchReports() {
        int n = 0;
        boolean interrupt = false;
        synchronized (state.lock) {
            SwerrEntry e;
            while ((e = reports.poll()) != null) {
                interrupt |= latch(e);
                n++;
            }
            final long lost = overflowedReports.getAndSet(0);
            if (lost > 0) {
                // errors the register could not take: overflow says that more came
                bar0.swerrOverflow();
                n++;
            }
        }
        if (interrupt) {
            msix.raise(0);
        }
        return n;
    }

    /** Every SWERR entry this device reported (guest terms), oldest first. */
    List<SwerrEntry> history() {
        synchronized (state.lock) {
            return List.copyOf(history);
        }
    }

    @Override
    public void close() {
        thread.close();
    }
}
