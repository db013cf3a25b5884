package io.softdsa.mdev.vdev;

import io.softdsa.mdev.command.CmdStatus;
import io.softdsa.mdev.command.DeviceBackend;
import io.softdsa.mdev.command.HostWqSettings;
import io.softdsa.mdev.pci.PciConfigSpace;
import io.softdsa.mdev.regs.Bar0Registers;
import io.softdsa.mdev.translation.VirtualIommu;

/**
 * What one virtual device's command processor acts on: its register file and config space, its host slice (with
 * the portal path stopped before a host WQ changes), the guest's PASID translation and its interrupt handles.
 */
final class CommandBackend implements DeviceBackend {
    private final VdevState state;
    private final Bar0Registers bar0;
    private final PciConfigSpace config;
    private final HostSlice slice;
    private final VirtualIommu iommu;
    private final GuestPortals portals;
    private final GuestInterruptHandles handles;
    private final MsixDelivery msix;

    CommandBackend(VdevState state, Bar0Registers bar0, PciConfigSpace config, HostSlice slice, VirtualIommu iommu,
                   GuestPortals portals, GuestInterruptHandles handles, MsixDelivery msix) {
        this.state = state;
        this.bar0 = bar0;
        this.config = config;
        this.slice = slice;
        this.iommu = iommu;
        this.portals = portals;
        this.handles = handles;
        this.msix = msix;
    }

    @Override
    public Object lock() {
        return state.lock;
    }

    @Override
    public Bar0Registers registers() {
        return bar0;
    }

    @Override
    public PciConfigSpace config() {
        return config;
    }

    @Override
    public int wqSizeLimit(int wq) {
        return slice.sizeLimit(wq);
    }

    @Override
    public int hostGroupOfEngine(int engine) {
        return slice.hostGroupOfEngine(engine);
    }

    @Override
    public int fixedHostGroup(int wq) {
        return slice.fixedHostGroup(wq);
    }

    @Override
    public int hostPasid(int gpasid) {
        return iommu.hostPasid(gpasid);
    }

    @Override
    public int defaultHostPasid() {
        return iommu.defaultHostPasid();
    }

    @Override
    public int enableHostWq(int wq, HostWqSettings s) {
        portals.stop(wq);
        final int status = slice.enable(wq, s);
        if (status == CmdStatus.SUCCESS) {
            portals.open(wq, s);
        }
        return status;
    }

    @Override
    public void disableHostWq(int wq) {
        portals.stop(wq);
        slice.disable(wq);
    }

    @Override
    public void disableHostWqAborting(int wq) {
        portals.stop(wq);
        slice.disableAborting(wq);
    }

    @Override
    public void drainHostWq(int wq) {
        slice.drain(wq);
    }

    @Override
    public void abortHostWq(int wq) {
        slice.abort(wq);
    }

    @Override
    public void abortHostWqPasid(int wq, int hostPasid) {
        slice.abortPasid(wq, hostPasid);
    }

    @Override
    public int requestInterruptHandle(int vector) {
        return handles.request(vector);
    }

    @Override
    public boolean releaseInterruptHandle(int handle) {
        return handles.release(handle);
    }

    @Override
    public void releaseAllInterruptHandles() {
        handles.releaseAll();
    }

    @Override
    public void raiseMiscInterrupt() {
        msix.raise(0);
    }
}
