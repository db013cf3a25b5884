package io.softdsa.mdev.vmm;

import io.softdsa.mdev.vdev.MsiSink;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VfioDevice;

import java.lang.foreign.MemorySegment;

/**
 * The device as the VMM presents it to the guest: every configuration, MMIO and portal access goes to the host
 * device behind it now, which {@link #retarget} changes at a migration's switchover — the guest's BARs and config
 * space stay where the guest put them, as QEMU keeps a migrated guest's device model in place while the VFIO device
 * behind it is another host's. The guest's MSI sink is kept here and handed to each new target, so interrupts of the
 * destination device reach the same guest interrupt controller.
 * <p>
 * The target is a volatile field (store in {@link #retarget}, load per access). The VMM retargets only with the vCPUs
 * paused and the guest's interrupt threads drained, so no guest access is in flight across the change; one that
 * raced anyway would go whole to the old or to the new device, never half to each.
 */
public final class ForwardingVfioDevice implements VfioDevice {
    private volatile VfioDevice target;
    /** The guest's interrupt controller; volatile store in {@link #msiSink}, load in {@link #retarget}. */
    private volatile MsiSink sink;

    public ForwardingVfioDevice(VfioDevice first) {
        this.target = first;
    }

    /** The host device accesses go to now. */
    public VfioDevice target() {
        return target;
    }

    /**
     * Switchover: from the return on, guest accesses go to {@code next}, which gets the guest's MSI sink; the old
     * target gets none (an interrupt it still delivers goes nowhere — it was stopped before this).
     */
    public synchronized void retarget(VfioDevice next) {
        final VfioDevice old = target;
        if (next == old) {
            return;
        }
        next.msiSink(sink);
        target = next; // volatile store: the guest's next access reaches the destination
        old.msiSink(null);
    }

    @Override
    public int configRead(int offset, int width) {
        return target.configRead(offset, width);
    }

    @Override
    public void configWrite(int offset, int width, int value) {
        target.configWrite(offset, width, value);
    }

    @Override
    public long mmioRead(int bar, long offset, int width) {
        return target.mmioRead(bar, offset, width);
    }

    @Override
    public void mmioWrite(int bar, long offset, int width, long value) {
        target.mmioWrite(bar, offset, width, value);
    }

    @Override
    public PortalResult portalWrite(long offset, MemorySegment src, long srcOffset, PortalInstruction insn,
                                    int guestPasid) {
        return target.portalWrite(offset, src, srcOffset, insn, guestPasid);
    }

    @Override
    public synchronized void msiSink(MsiSink s) {
        sink = s;
        target.msiSink(s);
    }
}
