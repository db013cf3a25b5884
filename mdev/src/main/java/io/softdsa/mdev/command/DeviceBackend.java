package io.softdsa.mdev.command;

import io.softdsa.mdev.pci.PciConfigSpace;
import io.softdsa.mdev.regs.Bar0Registers;

/**
 * What the command processor acts on: the register file and config space (touched only under {@link #lock()}), the
 * host slice's limits, the guest's PASID translation, and the host operations behind each command (called without
 * the lock, since they wait for engines that may themselves report errors into the register file).
 */
public interface DeviceBackend {
    Object lock();

    Bar0Registers registers();

    PciConfigSpace config();

    /** The largest size guest WQ {@code wq} may have (its host WQ's reservation). */
    int wqSizeLimit(int wq);

    /** Host group behind virtual engine {@code engine}. */
    int hostGroupOfEngine(int engine);

    /** Host group WQ {@code wq} must stay in (single-WQ types), or -1 if the guest's grouping decides. */
    int fixedHostGroup(int wq);

    /** The PASID translation: host PASID behind guest PASID {@code gpasid}, or -1. */
    int hostPasid(int gpasid);

    /** The host PASID of the guest's stage-2-only domain (for WQs with PASID disabled). */
    int defaultHostPasid();

    /** Configures and enables the host WQ behind guest WQ {@code wq}; a CMDSTS code (0 or hardware error). */
    int enableHostWq(int wq, HostWqSettings settings);

    /** Disables (draining) the host WQ behind {@code wq}. */
    void disableHostWq(int wq);

    /** Disables the host WQ behind {@code wq} after aborting what has not started. */
    void disableHostWqAborting(int wq);

    void drainHostWq(int wq);

    void abortHostWq(int wq);

    /** Abort PASID on the host WQ behind {@code wq}: only {@code hostPasid}'s queued descriptors are discarded. */
    void abortHostWqPasid(int wq, int hostPasid);

    /** A host interrupt handle delivering to guest vector {@code vector}, or -1 if none is left. */
    int requestInterruptHandle(int vector);

    /** Releases {@code handle} if it is this device's; false otherwise. */
    boolean releaseInterruptHandle(int handle);

    void releaseAllInterruptHandles();

    /** Raises MSI-X vector 0 (after INTCAUSE says why). */
    void raiseMiscInterrupt();
}
