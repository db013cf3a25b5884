package io.softdsa.mdev.vdev;

import io.softdsa.completion.PostedInterruptReceiver;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.mdev.command.CmdStatus;
import io.softdsa.mdev.command.CommandProcessor;
import io.softdsa.mdev.command.HostWqSettings;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.host.WqOwner;
import io.softdsa.mdev.pci.PciConfigSpace;
import io.softdsa.mdev.regs.Bar0Layout;
import io.softdsa.mdev.regs.Bar0Registers;
import io.softdsa.mdev.regs.CmdLayout;
import io.softdsa.mdev.regs.DeviceProfile;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.translation.VirtualIommu;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A virtual DSA (the mdev a VFIO user hands to a guest), QEMU-style, over a slice of the host device. This class is
 * the front that wires the parts, each with one job:
 * <ul>
 * <li>{@link MmioDecoder}: configuration space ({@link PciConfigSpace}) and BAR0 ({@link Bar0Registers}) accesses
 * and their decode rules;</li>
 * <li>{@link CommandProcessor} (over {@link CommandBackend}): the commands a CMD write issues;</li>
 * <li>{@link GuestPortals}: BAR2's portal stores, with PASID translation, and {@link GuestInterruptHandles}: the
 * guest's completion-interrupt handles and the filter that keeps a descriptor from naming another's;</li>
 * <li>{@link MsixDelivery}: posted interrupts and MSI-X to the guest's {@link MsiSink};</li>
 * <li>{@link GuestSwerr}: host software errors in guest terms, and the portal path's own;</li>
 * <li>{@link DeviceReset}: FLR and unplug; {@link HostSlice}: the host WQs behind the guest's and their
 * provisioning; {@link VdevMigration}: VFIO migration;</li>
 * <li>{@link GuestErrors}: what the guest did that the device ignores or rejects, counted and logged.</li>
 * </ul>
 * Guest WQ {@code i} is host WQ {@code hostWq(i)}, exclusively this device's; the guest configures it through
 * WQCFG and Enable WQ, and the host WQ is reconfigured within its reservation (never beyond: an out-of-range request
 * is a CMDSTS error). No guest code, and no lock of this device, is ever taken on a host engine thread.
 */
public final class VirtualDsa implements VfioDevice, WqOwner, AutoCloseable {
    /** MSI-X vectors of every virtual device: misc + 8 (softdsa rule). */
    public static final int VECTORS = 9;
    /** The notification vector programmed in this device's posted-interrupt descriptor (Linux POSTED_INTR_VECTOR). */
    public static final int POSTED_NOTIFICATION_VECTOR = MsixDelivery.POSTED_NOTIFICATION_VECTOR;

    private final String name;
    private final VdevType type;
    private final GuestDomain guest;
    /**
     * The guest's IOMMU on this device's host, fixed at creation: after a migration the guest's domain answers with
     * the destination's, and this (source) device must keep acting on its own host's PASIDs.
     */
    private final VirtualIommu iommu;
    private final DeviceProfile profile;
    private final VdevState state;
    private final PciConfigSpace config;
    private final Bar0Registers bar0;
    private final GuestErrors errors;
    private final HostSlice slice;
    private final MsixDelivery msix;
    private final GuestInterruptHandles handles;
    private final GuestSwerr swerr;
    private final GuestPortals portals;
    private final CommandProcessor commands;
    private final DeviceReset reset;
    private final MmioDecoder mmio;
    private final VdevMigration migration;

    VirtualDsa(String name, VdevType type, HostDsa host, GuestDomain guest, int[] hostWqs, int[] fixedHostGroup,
               int[] engineHostGroup, DeviceProfile profile, Runnable onClose) {
        this.name = name;
        this.type = type;
        this.guest = guest;
        this.iommu = guest.iommu();
        this.profile = profile;
        this.migration = new VdevMigration(this);
        this.state = new VdevState(migration);
        this.errors = new GuestErrors(name);
        this.slice = new HostSlice(name, host, this, hostWqs, fixedHostGroup, engineHostGroup);
        this.config = new PciConfigSpace(Bar0Layout.SIZE, PortalLayout.barSize(profile.wqs()), VECTORS,
            Bar0Layout.MSIX_TABLE, Bar0Layout.MSIX_PBA);
        this.bar0 = new Bar0Registers(profile, new Hooks());
        this.msix = new MsixDelivery(name, state, config, bar0.msix(), host);
        this.handles = new GuestInterruptHandles(this, state, host.interruptHandles(), bar0.msix(), msix.receiver());
        this.swerr = new GuestSwerr(name, state, bar0, slice, iommu, this::latched, msix);
        this.portals = new GuestPortals(state, slice, iommu, handles, swerr, errors, migration);
        this.commands = new CommandProcessor(new CommandBackend(state, bar0, config, slice, iommu, portals, handles,
            msix), profile, name);
        this.reset = new DeviceReset(state, commands, bar0, config, portals, slice, msix, swerr, onClose);
        this.mmio = new MmioDecoder(state, config, bar0, errors, msix, reset::functionLevelReset);
    }

    public String name() {
        return name;
    }

    public VdevType type() {
        return type;
    }

    public GuestDomain guest() {
        return guest;
    }

    public DeviceProfile profile() {
        return profile;
    }

    /** This device's migration interface (VFIO migration v2 and DMA logging). */
    public DeviceMigration migration() {
        return migration;
    }

    /** Host WQ index behind guest WQ {@code wq}. */
    public int hostWq(int wq) {
        return slice.hostWq(wq);
    }

    /** The guest's interrupt controller for this device's MSI-X messages. */
    @Override
    public void msiSink(MsiSink s) {
        msix.sink(s);
    }

    // ---- the guest's accesses

    @Override
    public int configRead(int offset, int width) {
        return mmio.configRead(offset, width);
    }

    @Override
    public void configWrite(int offset, int width, int value) {
        mmio.configWrite(offset, width, value);
    }

    /** An MMIO read of 1, 2, 4 or 8 bytes from BAR {@code bar}: BAR0 registers; portals and the rest read all ones. */
    @Override
    public long mmioRead(int bar, long offset, int width) {
        return mmio.mmioRead(bar, offset, width);
    }

    /** An MMIO write of 1, 2, 4 or 8 bytes to BAR {@code bar} (portal stores go through {@link #portalWrite}). */
    @Override
    public void mmioWrite(int bar, long offset, int width, long value) {
        mmio.mmioWrite(bar, offset, width, value);
    }

    /**
     * A 64-byte store to BAR2 at {@code offset} (fact sheet section 11: WQ i at i x 0x4000, unlimited portal +0,
     * limited +0x1000).
     *
     * @param guestPasidMsr for ENQCMD, the guest's IA32_PASID (its PASID; -1 = not valid); ignored otherwise
     */
    @Override
    public PortalResult portalWrite(long offset, MemorySegment src, long srcOffset, PortalInstruction insn,
                                    int guestPasidMsr) {
        return portals.write(offset, src, srcOffset, insn, guestPasidMsr);
    }

    // ---- interrupts

    /** This device's posted-interrupt descriptor (in host memory) and delivery thread. */
    public PostedInterruptReceiver postedInterrupts() {
        return msix.receiver();
    }

    public long droppedInterrupts() {
        return msix.dropped();
    }

    public long ignoredInterrupts() {
        return msix.ignored();
    }

    public long deliveredInterrupts() {
        return msix.delivered();
    }

    /**
     * The host takes every interrupt handle back (e.g. to rebalance its pool): INTCAUSE bit 31 tells the guest, which
     * must request new ones; descriptors naming the old ones complete with 0x19.
     */
    public void revokeInterruptHandles() {
        handles.releaseAll();
        synchronized (state.lock) {
            bar0.raiseIntcause(Bar0Layout.INTCAUSE_HANDLE_REVOKED);
        }
        msix.raise(0);
    }

    // ---- SWERR and diagnostics

    @Override
    public String ownerName() {
        return name;
    }

    /** A host SWERR entry of one of this device's WQs (any thread, a host engine's too): queued, never waited on. */
    @Override
    public void softwareError(SwerrEntry e) {
        swerr.hostReport(e);
    }

    /** Every SWERR entry this device reported (guest terms), oldest first. */
    public List<SwerrEntry> swerrHistory() {
        return swerr.history();
    }

    /** Commands run so far with their CMDSTS codes. */
    public List<String> commandLog() {
        return commands.log();
    }

    /** The last host-side failure behind a hardware-error CMDSTS (diagnostics). */
    public RuntimeException lastHostError() {
        return slice.lastHostError();
    }

    /** Guest errors so far: accesses and commands this device ignored or rejected (QEMU's LOG_GUEST_ERROR). */
    public long guestErrors() {
        return errors.count();
    }

    /** The latest guest error, or null if there was none. */
    public String lastGuestError() {
        return errors.last();
    }

    /** The device lock, which guards the register file and config space (tests hold it to contend the device). */
    public Object lock() {
        return state.lock;
    }

    /** Unplugs the device: its WQs are aborted and disabled and given back to the host as they were. */
    @Override
    public void close() {
        reset.unplug();
    }

    @Override
    public String toString() {
        return name + " (" + type.mdevTypeName() + ", " + slice + ", " + guest + ")";
    }

    // ---- the parts, for the migration driver and tests of this package

    Bar0Registers registers() {
        return bar0;
    }

    PciConfigSpace config() {
        return config;
    }

    VirtualIommu iommu() {
        return iommu;
    }

    VdevState state() {
        return state;
    }

    HostSlice slice() {
        return slice;
    }

    CommandProcessor commands() {
        return commands;
    }

    GuestPortals portals() {
        return portals;
    }

    GuestInterruptHandles handles() {
        return handles;
    }

    MsixDelivery msix() {
        return msix;
    }

    GuestSwerr swerr() {
        return swerr;
    }

    MmioDecoder mmio() {
        return mmio;
    }

    DeviceReset reset() {
        return reset;
    }

    private HostWqSettings latched(int q) {
        return commands.latched(q);
    }

    /** The register file's view of this device's state. */
    private final class Hooks implements Bar0Registers.Hooks {
        @Override
        public boolean wqcfgWritable(int wq) {
            return !bar0.wqEnabled(wq);
        }

        @Override
        public boolean groupConfigWritable() {
            return bar0.deviceState() == Bar0Layout.GENSTS_DISABLED;
        }

        @Override
        public void command(int value) {
            if (CmdLayout.active(bar0.cmdsts())) {
                errors.report("CMD write 0x" + Integer.toHexString(value) + " while a command is active (ignored)");
            }
            commands.issue(value);
        }

        @Override
        public void commandCompleted(int cmd, int cmdsts) {
            final int error = CmdLayout.error(cmdsts);
            // a host resource or failure is not the guest's doing
            if (error != CmdStatus.SUCCESS && error != CmdStatus.HARDWARE_ERROR
                && error != CmdStatus.NO_HANDLE_AVAILABLE) {
                errors.report("command 0x" + Integer.toHexString(cmd) + " rejected: CMDSTS error 0x"
                    + Integer.toHexString(error));
            }
        }

        @Override
        public void vectorControlChanged(int vector) {
            // unmasking delivers pending messages in flushPending, after the write
        }

        @Override
        public int occupancy(int wq) {
            return commands.latched(wq) == null ? 0 : slice.wq(wq).occupancy();
        }

        @Override
        public void guestError(String what) {
            errors.report(what);
        }
    }
}
