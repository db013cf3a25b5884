package io.softdsa.mdev.vdev;

import io.softdsa.completion.PostedInterruptDescriptor;
import io.softdsa.completion.PostedInterruptReceiver;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.completion.SwerrLayout;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.DescriptorLayout;
import io.softdsa.device.WorkQueue;
import io.softdsa.device.config.WqConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.mdev.command.CmdStatus;
import io.softdsa.mdev.command.CommandProcessor;
import io.softdsa.mdev.command.DeviceBackend;
import io.softdsa.mdev.command.HostWqSettings;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.host.InterruptHandles;
import io.softdsa.mdev.host.WqOwner;
import io.softdsa.mdev.pci.PciConfigSpace;
import io.softdsa.mdev.regs.Bar0Layout;
import io.softdsa.mdev.regs.Bar0Registers;
import io.softdsa.mdev.regs.DeviceProfile;
import io.softdsa.mdev.regs.MsixLayout;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.portal.Portal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A virtual DSA (the mdev a VFIO user hands to a guest), QEMU-style: the PCI configuration space
 * ({@link PciConfigSpace}), the BAR0 register file ({@link Bar0Registers}), the command processor
 * ({@link CommandProcessor}) and BAR2 portals, over a slice of the host device.
 * <p>
 * Guest WQ {@code i} is host WQ {@code hostWq(i)}, exclusively this device's; the guest configures it through
 * WQCFG and Enable WQ, and the host WQ is reconfigured within its reservation (never beyond: an out-of-range request
 * is a CMDSTS error). Descriptors reach the host WQ through the portal path, which plays the guest CPU's part:
 * ENQCMD/ENQCMDS PASIDs are translated by the guest's PASID table, a completion-interrupt handle that is not this
 * device's is made invalid (so the device answers 0x19). Host SWERR entries of its WQs come back as this device's
 * SWERR (guest WQ index, guest PASID) with INTCAUSE and the misc interrupt; completion interrupts come back on the
 * MSI-X vector the guest asked a handle for.
 * <p>
 * Interrupts are posted (VT-d posted-interrupt format, the seed's "irqbypass"): the device's handles for this guest
 * are remapped to one posted-interrupt descriptor in host memory; an engine raising one only sets the vector's PIR
 * bit (and ON, and wakes this device's interrupt-delivery thread), and so does every misc interrupt. That thread
 * applies MSI-X (enable, function mask, vector mask and pending bit, permission table) and calls the guest's
 * {@link MsiSink}: no guest code, and no lock of this device, is ever taken on a host engine thread.
 */
public final class VirtualDsa implements VfioDevice, WqOwner, DeviceBackend, AutoCloseable {
    /** MSI-X vectors of every virtual device: misc + 8 (softdsa rule). */
    public static final int VECTORS = 9;
    /** The notification vector programmed in this device's posted-interrupt descriptor (Linux POSTED_INTR_VECTOR). */
    public static final int POSTED_NOTIFICATION_VECTOR = 0xF2;
    private static final java.util.concurrent.atomic.AtomicInteger DESTINATIONS =
        new java.util.concurrent.atomic.AtomicInteger();

    private final String name;
    private final VdevType type;
    private final HostDsa host;
    private final GuestDomain guest;
    /**
     * The guest's IOMMU on this device's host, fixed at creation: after a migration the guest's domain answers with
     * the destination's, and this (source) device must keep acting on its own host's PASIDs.
     */
    private final io.softdsa.mdev.translation.VirtualIommu iommu;
    private final int[] hostWq;
    private final int[] sizeLimit;
    private final int[] fixedHostGroup;
    private final int[] engineHostGroup;
    private final WqConfig[] originalHostConfig;
    private final ConcurrentHashMap<Integer, Integer> guestWqOfHost = new ConcurrentHashMap<>();
    private final DeviceProfile profile;
    private final PciConfigSpace config;
    private final Bar0Registers bar0;
    private final CommandProcessor commands;
    private final Object lock = new Object();
    private final int[] vectorHandle = new int[VECTORS];
    private final ConcurrentHashMap<Integer, Integer> vectorOfHandle = new ConcurrentHashMap<>();
    private final List<SwerrEntry> swerrLog = new ArrayList<>();
    private final AtomicLong droppedInterrupts = new AtomicLong();
    private final AtomicLong ignoredInterrupts = new AtomicLong();
    private final AtomicLong deliveredInterrupts = new AtomicLong();
    private final ThreadLocal<MemorySegment> scratch = ThreadLocal.withInitial(
        () -> Arena.ofAuto().allocate(DescriptorLayout.LENGTH, DescriptorLayout.LENGTH));
    private final Runnable onClose;
    /**
     * What the portal path submits with, per guest WQ: the settings of an enabled host WQ, or null. Cleared (then
     * {@link #portals} awaited) before the host WQ is disabled, reprogrammed or given back, so that a store that saw
     * the old settings has reached the WQ before its drain / abort, and none lands under the next configuration.
     */
    private final java.util.concurrent.atomic.AtomicReferenceArray<HostWqSettings> portalSettings;
    private final io.softdsa.mdev.host.SubmissionGate portals = new io.softdsa.mdev.host.SubmissionGate();
    /** Host PASID each guest WQ's dedicated host WQ is programmed with (pinned at the host), or -1. */
    private final int[] pinnedPasid;
    private volatile MsiSink sink = (v, a, d) -> { };
    private volatile boolean memoryDecode;
    private volatile boolean closed;
    private boolean flrRequested;
    private volatile RuntimeException lastHostError;
    private final long pidFrame;
    private final PostedInterruptReceiver posted;
    private final VdevMigration migration;

    VirtualDsa(String name, VdevType type, HostDsa host, GuestDomain guest, int[] hostWqs, int[] fixedHostGroup,
               int[] engineHostGroup, DeviceProfile profile, Runnable onClose) {
        this.name = name;
        this.type = type;
        this.host = host;
        this.guest = guest;
        this.iommu = guest.iommu();
        this.hostWq = hostWqs.clone();
        this.fixedHostGroup = fixedHostGroup.clone();
        this.engineHostGroup = engineHostGroup.clone();
        this.profile = profile;
        this.onClose = onClose;
        this.sizeLimit = new int[hostWqs.length];
        this.portalSettings = new java.util.concurrent.atomic.AtomicReferenceArray<>(hostWqs.length);
        this.pinnedPasid = new int[hostWqs.length];
        java.util.Arrays.fill(pinnedPasid, -1);
        this.originalHostConfig = new WqConfig[hostWqs.length];
        for (int q = 0; q < hostWqs.length; q++) {
            originalHostConfig[q] = host.device().wq(hostWqs[q]).config();
            sizeLimit[q] = originalHostConfig[q].size();
            guestWqOfHost.put(hostWqs[q], q);
        }
        this.config = new PciConfigSpace(Bar0Layout.SIZE, PortalLayout.barSize(profile.wqs()), VECTORS,
            Bar0Layout.MSIX_TABLE, Bar0Layout.MSIX_PBA);
        this.bar0 = new Bar0Registers(profile, new Hooks());
        this.commands = new CommandProcessor(this, profile, name);
        // the posted-interrupt descriptor lives in host memory at a host address: the device's posting is a DMA
        // write like any other, visible to a dirty logger
        this.pidFrame = host.memory().frames().allocateFrame();
        final PostedInterruptDescriptor pid = new PostedInterruptDescriptor(host.memory().segment(), pidFrame)
            .init(POSTED_NOTIFICATION_VECTOR, DESTINATIONS.incrementAndGet());
        this.posted = new PostedInterruptReceiver(name + "-posted-irq", pid, Thread::new, this::postedVector);
        this.migration = new VdevMigration(this);
        config.effects(new PciConfigSpace.Effects() {
            @Override
            public void functionLevelReset() {
                flrRequested = true;
            }

            @Override
            public void msixControlChanged() {
                // delivered by flushPending after the write
            }

            @Override
            public void priReset() {
                config.setPriStatus(0);
            }
        });
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

    /** The guest's IOMMU on this device's host (the one it was created with). */
    io.softdsa.mdev.translation.VirtualIommu iommu() {
        return iommu;
    }

    /** Host WQ index behind guest WQ {@code wq}. */
    public int hostWq(int wq) {
        return hostWq[wq];
    }

    /** The guest's interrupt controller for this device's MSI-X messages. */
    @Override
    public void msiSink(MsiSink s) {
        this.sink = s == null ? (v, a, d) -> { } : s;
    }

    // ---- the guest's accesses: configuration space

    @Override
    public int configRead(int offset, int width) {
        synchronized (lock) {
            return config.read(offset, width);
        }
    }

    @Override
    public void configWrite(int offset, int width, int value) {
        final boolean flr;
        synchronized (lock) {
            if (closed || migration.stopped()) {
                return; // a stopped device's state does not change (VFIO migration STOP)
            }
            flrRequested = false;
            config.write(offset, width, value);
            flr = flrRequested;
            memoryDecode = config.memorySpaceEnabled();
        }
        if (flr) {
            functionLevelReset();
        }
        flushPending();
    }

    // ---- the guest's accesses: BAR0 and BAR2

    /** An MMIO read of 1, 2, 4 or 8 bytes from BAR {@code bar}: BAR0 registers; portals and the rest read all ones. */
    @Override
    public long mmioRead(int bar, long offset, int width) {
        final long ones = width == 8 ? -1L : (1L << (8 * width)) - 1;
        if (bar != 0) {
            return ones;
        }
        synchronized (lock) {
            if (!config.memorySpaceEnabled()) {
                return ones; // memory decoding off: master abort
            }
            if (offset < 0 || offset >= Bar0Layout.SIZE) {
                return 0;
            }
            return bar0.read((int) offset, width);
        }
    }

    /** An MMIO write of 1, 2, 4 or 8 bytes to BAR {@code bar} (portal stores go through {@link #portalWrite}). */
    @Override
    public void mmioWrite(int bar, long offset, int width, long value) {
        if (bar != 0) {
            return; // a narrow store to a portal submits nothing
        }
        synchronized (lock) {
            if (closed || migration.stopped() || !config.memorySpaceEnabled() || offset < 0
                || offset >= Bar0Layout.SIZE) {
                return;
            }
            bar0.write((int) offset, width, value);
        }
        flushPending();
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
        if (offset < 0) {
            return PortalResult.UNCLAIMED;
        }
        final long q64 = offset / PortalLayout.WQ_STRIDE;
        if (q64 >= profile.wqs()) {
            return PortalResult.UNCLAIMED;
        }
        final int q = (int) q64;
        final int page = (int) ((offset % PortalLayout.WQ_STRIDE) / PortalLayout.PAGE);
        // the store is 64-byte atomic: the device sees this copy, never the guest's buffer while it changes
        final MemorySegment d = scratch.get();
        MemorySegment.copy(src, srcOffset, d, 0, DescriptorLayout.LENGTH);
        final Descriptor desc = new Descriptor(d, 0);
        // check-then-submit as one step with respect to reset, close and WQ reconfiguration (and, for ENQCMD, to the
        // guest freeing the PASID): whoever changes those waits this store out before draining or aborting
        final int token = portals.enter();
        final PortalResult result;
        try {
            if (closed || !memoryDecode) {
                return PortalResult.UNCLAIMED;
            }
            final HostWqSettings s = portalSettings.get(q);
            final PortalResult captured = migration.capture(q, s, desc, insn, guestPasidMsr);
            if (captured != null) {
                return captured; // stopped for migration: held for resubmission (here or on the destination)
            }
            if (insn == PortalInstruction.MOVDIR64B) {
                if (s == null) {
                    result = null; // dropped into SWERR below, outside the gate
                } else {
                    if (s.dedicated()) {
                        checkInterruptHandle(desc, s.dedicatedGuestPasid());
                        host.device().wq(hostWq[q]).portal().movdir64b(d, 0);
                    }
                    // MOVDIR64B to a shared WQ's portal: ignored (softdsa rule)
                    return PortalResult.POSTED;
                }
            } else {
                result = enqueue(q, page, s, d, desc, insn, guestPasidMsr);
            }
        } catch (IllegalStateException raced) {
            return insn == PortalInstruction.MOVDIR64B ? PortalResult.POSTED : PortalResult.RETRY;
        } finally {
            portals.exit(token);
        }
        if (result == null) {
            // a dedicated WQ that is not enabled drops the descriptor into SWERR (0x31)
            recordSwerr(new SwerrEntry(io.softdsa.completion.Status.SWERR_WQ_DISABLED, q, true, desc.opcode(),
                desc.pasid(), desc.priv(), false, 0, false, 0, 0, d.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
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
            checkInterruptHandle(desc, gpasid);
            final WorkQueue wq = host.device().wq(hostWq[q]);
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

    /** Stops the portal path of guest WQ {@code q}: once this returns no store can reach its host WQ any more. */
    private void stopPortal(int q) {
        portalSettings.set(q, null); // volatile: a store entering from now on sees the WQ disabled
        portals.awaitSubmitters(); // and one that saw the old settings has finished its enqueue
    }

    /** The dedicated host WQ behind {@code q} no longer runs with its PASID: the host may release it. */
    private void unpin(int q) {
        final int p;
        synchronized (pinnedPasid) {
            p = pinnedPasid[q];
            pinnedPasid[q] = -1;
        }
        if (p >= 0) {
            host.unpinPasid(p);
        }
    }

    /**
     * A descriptor may only name a completion-interrupt handle this device was given, on a vector whose MSI-X
     * permission entry admits its PASID; otherwise the handle is replaced by one that no table entry has, and the
     * device answers 0x19 as for any invalid handle.
     */
    void checkInterruptHandle(Descriptor desc, int guestPasid) {
        if ((desc.flags() & DescriptorFlags.REQUEST_COMPLETION_INTERRUPT) == 0) {
            return;
        }
        final int handle = desc.interruptHandle();
        final Integer vector = vectorOfHandle.get(handle);
        boolean valid = vector != null && host.interruptHandles().ownedBy(handle, this);
        if (valid) {
            final long perm;
            synchronized (lock) {
                perm = bar0.msixPermission(vector);
            }
            if ((perm & MsixLayout.PERM_PASID_ENABLE) != 0 && MsixLayout.permPasid(perm) != guestPasid) {
                valid = false;
            }
        }
        if (!valid) {
            desc.interruptHandle(InterruptHandles.INVALID_HANDLE);
        }
    }

    // ---- interrupts

    /**
     * Sends MSI-X vector {@code vector} as the device does: posts it to this device's posted-interrupt descriptor.
     * Any thread (an engine routing SWERR, the command processor); allocation-free; runs no guest code.
     */
    void raise(int vector) {
        if (closed) {
            droppedInterrupts.incrementAndGet();
            return;
        }
        posted.post(vector);
    }

    /** The interrupt-delivery thread: one posted vector, through MSI-X to the guest's sink. */
    private void postedVector(int vector) {
        if (vector != 0) { // a completion vector: the MSI-X permission table may say ignore
            final long perm;
            synchronized (lock) {
                perm = bar0.msixPermission(vector);
            }
            if ((perm & MsixLayout.PERM_IGNORE) != 0) {
                ignoredInterrupts.incrementAndGet();
                return;
            }
        }
        deliver(vector);
    }

    /** Sends MSI-X vector {@code vector}: delivered, left pending (masked), or dropped (MSI-X disabled). */
    private void deliver(int vector) {
        final long address;
        final int data;
        synchronized (lock) {
            if (closed || !config.msixEnabled()) {
                droppedInterrupts.incrementAndGet();
                return;
            }
            if (migration.stopped() || config.msixFunctionMasked() || bar0.msixMasked(vector)) {
                // stopped for migration: the message waits in the PBA (it travels in the stream)
                bar0.pending(vector, true);
                return;
            }
            address = bar0.msixAddress(vector);
            data = bar0.msixData(vector);
        }
        deliveredInterrupts.incrementAndGet();
        sink.deliver(vector, address, data);
    }

    /** This device's posted-interrupt descriptor (in host memory) and delivery thread. */
    public PostedInterruptReceiver postedInterrupts() {
        return posted;
    }

    /** Delivers pending vectors that became deliverable (unmasked, MSI-X enabled). */
    void flushPending() {
        final List<long[]> out = new ArrayList<>();
        synchronized (lock) {
            if (migration.stopped() || !config.msixEnabled() || config.msixFunctionMasked()) {
                return;
            }
            for (int v = 0; v < VECTORS; v++) {
                if (bar0.pending(v) && !bar0.msixMasked(v)) {
                    bar0.pending(v, false);
                    out.add(new long[] {v, bar0.msixAddress(v), bar0.msixData(v)});
                }
            }
        }
        for (long[] m : out) {
            deliveredInterrupts.incrementAndGet();
            sink.deliver((int) m[0], m[1], (int) m[2]);
        }
    }

    public long droppedInterrupts() {
        return droppedInterrupts.get();
    }

    public long ignoredInterrupts() {
        return ignoredInterrupts.get();
    }

    public long deliveredInterrupts() {
        return deliveredInterrupts.get();
    }

    /**
     * The host takes every interrupt handle back (e.g. to rebalance its pool): INTCAUSE bit 31 tells the guest, which
     * must request new ones; descriptors naming the old ones complete with 0x19.
     */
    public void revokeInterruptHandles() {
        releaseAllInterruptHandles();
        synchronized (lock) {
            bar0.raiseIntcause(Bar0Layout.INTCAUSE_HANDLE_REVOKED);
        }
        raise(0);
    }

    // ---- SWERR

    @Override
    public String ownerName() {
        return name;
    }

    /** A host SWERR entry of one of this device's WQs, in guest terms. */
    @Override
    public void softwareError(SwerrEntry e) {
        final Integer q = guestWqOfHost.get(e.wqIndex());
        if (q == null) {
            return;
        }
        final HostWqSettings s = commands.latched(q);
        final boolean rawBytes = e.errorCode() == io.softdsa.completion.Status.SWERR_DWQ_FULL
            || e.errorCode() == io.softdsa.completion.Status.SWERR_WQ_DISABLED
            || e.errorCode() == io.softdsa.completion.Status.DESC_ABORT;
        final int gpasid;
        if (!e.descriptorValid()) {
            gpasid = 0;
        } else if (rawBytes && (s == null || s.dedicated())) {
            gpasid = e.pasid(); // a MOVDIR64B descriptor's own PASID field, as the guest wrote it: never translated
        } else {
            gpasid = Math.max(0, iommu.guestPasid(e.pasid())); // the host PASID the request ran with
        }
        recordSwerr(new SwerrEntry(e.errorCode(), q, e.descriptorValid(), e.opcode(), gpasid, e.priv(), e.batch(),
            e.batchIndex(), e.faultWrite(), e.invalidFlags(), e.faultAddress(), e.descriptor()));
    }

    void recordSwerr(SwerrEntry e) {
        final boolean interrupt;
        synchronized (lock) {
            if ((bar0.swerrWord(0) & SwerrLayout.VALID) != 0) {
                bar0.block().setBits(Bar0Layout.SWERR, 8, SwerrLayout.OVERFLOW);
            } else {
                bar0.swerrWords(e.toWords());
            }
            bar0.raiseIntcause(Bar0Layout.INTCAUSE_SOFTWARE_ERROR);
            interrupt = (bar0.genctrl() & Bar0Layout.GENCTRL_SOFTWARE_ERROR_INTERRUPT) != 0;
            swerrLog.add(e);
        }
        if (interrupt) {
            raise(0);
        }
    }

    /** Every SWERR entry this device reported (guest terms), oldest first. */
    public List<SwerrEntry> swerrHistory() {
        synchronized (lock) {
            return List.copyOf(swerrLog);
        }
    }

    /** Commands run so far with their CMDSTS codes. */
    public List<String> commandLog() {
        return commands.log();
    }

    // ---- FLR and teardown

    void functionLevelReset() {
        commands.functionLevelReset();
        synchronized (lock) {
            bar0.resetAll();
            config.reset();
            memoryDecode = false;
        }
    }

    // ---- what the migration driver reaches (package-private)

    HostDsa host() {
        return host;
    }

    CommandProcessor commands() {
        return commands;
    }

    HostWqSettings portalSettings(int q) {
        return portalSettings.get(q);
    }

    /** Every portal store that passed its checks before this call has reached its WQ (or was captured). */
    void awaitPortalStores() {
        portals.awaitSubmitters();
    }

    int wqs() {
        return hostWq.length;
    }

    /** The interrupt handle the guest holds for {@code vector}, or 0. */
    int handleOfVector(int vector) {
        synchronized (lock) {
            return vectorHandle[vector];
        }
    }

    /**
     * Takes every vector posted so far out of the posted-interrupt descriptor on the caller's thread, through the
     * same MSI-X path as the delivery thread (so, stopped, into the PBA): a quiesce leaves none in flight.
     */
    void awaitPostedDelivery() {
        posted.descriptor().drain(this::postedVector);
    }

    /** After a restore of config space: memory decoding as the restored COMMAND register says. */
    void configRestored() {
        synchronized (lock) {
            memoryDecode = config.memorySpaceEnabled();
        }
    }

    /** Unplugs the device: its WQs are aborted and disabled and given back to the host as they were. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true; // no MMIO, portal store or interrupt from here on
        }
        portals.awaitSubmitters(); // a store that passed the closed check before has reached its WQ
        commands.functionLevelReset();
        commands.close();
        for (int q = 0; q < hostWq.length; q++) {
            final WorkQueue wq = host.device().wq(hostWq[q]);
            stopPortal(q);
            try {
                if (wq.isEnabled()) {
                    wq.disableAborting();
                }
                unpin(q);
                host.device().configureWq(originalHostConfig[q]);
                wq.interruptOwner(io.softdsa.completion.InterruptTable.ANY_OWNER);
            } catch (RuntimeException e) {
                lastHostError = e;
            }
            host.releaseWq(hostWq[q], this);
        }
        // every handle is released (FLR) and the WQs are disabled: no engine can post any more
        posted.close();
        host.memory().frames().free(pidFrame, io.softdsa.memory.FrameAllocator.FRAME_SIZE);
        onClose.run();
    }

    // ---- DeviceBackend: what commands act on

    @Override
    public Object lock() {
        return lock;
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
        return sizeLimit[wq];
    }

    @Override
    public int hostGroupOfEngine(int engine) {
        return engineHostGroup[engine];
    }

    @Override
    public int fixedHostGroup(int wq) {
        return fixedHostGroup[wq];
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
        final WorkQueue hw = host.device().wq(hostWq[wq]);
        final WqConfig cfg = WqConfig.builder(hostWq[wq])
            .name(name + ".wq" + wq)
            .type(HostDsa.TYPE_MDEV)
            .driverName("vfio-mdev")
            .mode(s.dedicated() ? WqMode.DEDICATED : WqMode.SHARED)
            .size(s.size())
            .threshold(s.threshold())
            .priority(s.priority())
            .blockOnFault(s.blockOnFault())
            .pasid(true, s.dedicated() ? s.hostPasid() : 0)
            .priv(s.priv())
            .maxTransferSize(1L << s.maxTransferShift())
            .maxBatchSize(1 << s.maxBatchShift())
            .group(s.hostGroup())
            .atsDisable(s.atsDisable())
            .prsDisable(s.prsDisable())
            .opConfig(s.opConfig())
            .build();
        stopPortal(wq);
        try {
            if (hw.isEnabled()) {
                hw.disable();
            }
            unpin(wq);
            if (s.dedicated()) {
                // pinned before the WQ runs with it: a PASID the guest freed meanwhile is refused, and one freed
                // later stays in quarantine until this WQ is disabled
                if (!host.pinPasid(s.hostPasid())) {
                    return CmdStatus.INVALID_PASID;
                }
                synchronized (pinnedPasid) {
                    pinnedPasid[wq] = s.hostPasid();
                }
            }
            host.device().configureWq(cfg);
            hw.interruptOwner(host.interruptHandles().tag(this));
            hw.enable();
            portalSettings.set(wq, s); // volatile: stores that see it submit into the enabled WQ
            return CmdStatus.SUCCESS;
        } catch (RuntimeException e) {
            unpin(wq);
            lastHostError = e;
            return CmdStatus.HARDWARE_ERROR;
        }
    }

    /** The last host-side failure behind a hardware-error CMDSTS (diagnostics). */
    public RuntimeException lastHostError() {
        return lastHostError;
    }

    @Override
    public void disableHostWq(int wq) {
        stopPortal(wq);
        host.device().wq(hostWq[wq]).disable();
        unpin(wq);
    }

    @Override
    public void disableHostWqAborting(int wq) {
        stopPortal(wq);
        host.device().wq(hostWq[wq]).disableAborting();
        unpin(wq);
    }

    @Override
    public void drainHostWq(int wq) {
        final WorkQueue hw = host.device().wq(hostWq[wq]);
        if (hw.isEnabled()) {
            hw.drain();
        }
    }

    @Override
    public void abortHostWq(int wq) {
        final WorkQueue hw = host.device().wq(hostWq[wq]);
        if (hw.isEnabled()) {
            hw.abort();
        }
    }

    @Override
    public void abortHostWqPasid(int wq, int hostPasid) {
        final WorkQueue hw = host.device().wq(hostWq[wq]);
        if (hw.isEnabled()) {
            hw.abortPasid(hostPasid);
        }
    }

    @Override
    public int requestInterruptHandle(int vector) {
        synchronized (lock) {
            if (vectorHandle[vector] != 0) {
                return vectorHandle[vector];
            }
        }
        // posted format: the engine only sets the vector's PIR bit; MSI-X is applied on the delivery thread
        final int h = host.interruptHandles().allocatePosted(this, posted, vector);
        if (h < 0) {
            return -1;
        }
        synchronized (lock) {
            vectorHandle[vector] = h;
            vectorOfHandle.put(h, vector);
        }
        return h;
    }

    @Override
    public boolean releaseInterruptHandle(int handle) {
        synchronized (lock) {
            final Integer v = vectorOfHandle.get(handle);
            if (v == null || !host.interruptHandles().release(handle, this)) {
                return false;
            }
            vectorOfHandle.remove(handle);
            vectorHandle[v] = 0;
            return true;
        }
    }

    @Override
    public void releaseAllInterruptHandles() {
        synchronized (lock) {
            for (int v = 0; v < VECTORS; v++) {
                if (vectorHandle[v] != 0) {
                    host.interruptHandles().release(vectorHandle[v], this);
                    vectorOfHandle.remove(vectorHandle[v]);
                    vectorHandle[v] = 0;
                }
            }
        }
    }

    @Override
    public void raiseMiscInterrupt() {
        raise(0);
    }

    @Override
    public String toString() {
        return name + " (" + type.mdevTypeName() + ", host WQs " + java.util.Arrays.toString(hostWq) + ", " + guest
            + ")";
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
            commands.issue(value);
        }

        @Override
        public void vectorControlChanged(int vector) {
            // unmasking delivers pending messages in flushPending, after the write
        }

        @Override
        public int occupancy(int wq) {
            return commands.latched(wq) == null ? 0 : host.device().wq(hostWq[wq]).occupancy();
        }
    }
}
