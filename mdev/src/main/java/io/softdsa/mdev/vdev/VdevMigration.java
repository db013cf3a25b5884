package io.softdsa.mdev.vdev;

import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.DescriptorLayout;
import io.softdsa.device.WorkQueue;
import io.softdsa.device.registers.Engcap;
import io.softdsa.device.registers.Grpcap;
import io.softdsa.device.registers.Wqcap;
import io.softdsa.mdev.command.CmdStatus;
import io.softdsa.mdev.command.Commands;
import io.softdsa.mdev.command.HostWqSettings;
import io.softdsa.mdev.host.InterruptHandles;
import io.softdsa.mdev.migration.DirtyTracker;
import io.softdsa.mdev.migration.DmaLogging;
import io.softdsa.mdev.migration.DsaStateSchema;
import io.softdsa.mdev.migration.MigrationArcException;
import io.softdsa.mdev.migration.MigrationArcs;
import io.softdsa.mdev.migration.MigrationState;
import io.softdsa.mdev.migration.MigrationStateMachine;
import io.softdsa.mdev.migration.MigrationStreamException;
import io.softdsa.mdev.migration.PrecopyInfo;
import io.softdsa.mdev.migration.ResumingChannel;
import io.softdsa.mdev.migration.SavingChannel;
import io.softdsa.mdev.migration.StateWriter;
import io.softdsa.mdev.regs.Bar0Layout;
import io.softdsa.mdev.regs.Bar0Registers;
import io.softdsa.mdev.regs.CmdLayout;
import io.softdsa.mdev.regs.GrpcfgLayout;
import io.softdsa.mdev.regs.MsixLayout;
import io.softdsa.mdev.regs.MsixTable;
import io.softdsa.mdev.regs.RegisterBlock;
import io.softdsa.mdev.regs.WqcfgLayout;
import io.softdsa.mdev.translation.VirtualIommu;
import io.softdsa.portal.Portal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * The migration driver of one {@link VirtualDsa} (the part a VFIO variant driver adds to a device), over the VFIO
 * v2 state machine. The model, in the README's words:
 * <ul>
 * <li><b>RUNNING_P2P</b> is RUNNING: a DSA initiates no peer-to-peer DMA.</li>
 * <li><b>Quiesce</b> (arcs into STOP and STOP_COPY): from the first step, portal stores are <em>captured</em> (an
 * ENQCMD is accepted while its WQ has room in the capture, as the WQ would; a MOVDIR64B is posted), MMIO and
 * config-space writes are ignored and MSI-X messages wait in the PBA. Descriptors queued in the host WQs and not
 * started are taken out in order, unreported, and captured ahead of the portal's; the guest's page requests are
 * refused, so one that waits on a page request completes now as a page fault (0x04, resumable like any fault, with
 * its bytes completed) instead of waiting for a guest that is not running; every running descriptor then completes,
 * its records and interrupts (left pending) are part of the state. In STOP nothing changes any more.</li>
 * <li><b>Saving</b>: PRE_COPY streams the header and the compatibility section early (the destination can refuse an
 * incompatible source before the guest stops); STOP_COPY streams registers, MSI-X, PASID bindings, interrupt
 * handles and the captured descriptors. Host identities never travel.</li>
 * <li><b>Resuming</b> onto any host's device of the same profile: guest PASIDs get host PASIDs there and their
 * stage-1 roots are bound again, Enable Device / Enable WQ are replayed from the restored WQCFG, interrupt handles
 * are requested again — captured descriptors naming an old handle get the new one, and if any handle value changed
 * the guest is told (INTCAUSE bit 31, handles revoked, as vdcm did). A stream that fails to decode, validate or load
 * fails the arc (ERROR) and leaves the device reset, never partly restored.</li>
 * <li><b>Leaving STOP</b> to run (here after a cancelled migration, or on the destination): page requests flow again,
 * captured descriptors are resubmitted in order before any new store, pending messages are delivered.</li>
 * </ul>
 * Arcs run one at a time (the state machine's monitor); the portal path reads {@link #capture} (volatile) only.
 */
final class VdevMigration implements DeviceMigration {
    static final int FEATURES = MigrationStateMachine.STOP_COPY | MigrationStateMachine.P2P
        | MigrationStateMachine.PRE_COPY;
    /** Bound of one saving or resuming stream. */
    static final long MAX_STREAM_BYTES = 16L << 20;

    private final VirtualDsa dev;
    private final MigrationStateMachine machine;
    private final DmaLogging logging;
    /**
     * Non-null from the first step of a quiesce until the device runs again (and through RESUMING): portal stores go
     * here. Written by arcs, read by every portal store (volatile store / volatile load).
     */
    private volatile Capture capture;
    private SavingChannel saving;
    private StateWriter writer;
    private ResumingChannel resuming;
    /** A restore changed an interrupt handle value: tell the guest when the device runs. */
    private boolean handlesRevoked;
    /** Guest PASIDs the last load gave host PASIDs (freed again if the load fails). */
    private final List<Integer> restoredPasids = new ArrayList<>();

    VdevMigration(VirtualDsa dev) {
        this.dev = dev;
        this.machine = new MigrationStateMachine(FEATURES, new Arcs());
        this.logging = new DmaLogging(DirtyTracker.of(dev.guest().memory().stage2()));
    }

    @Override
    public int features() {
        return machine.features();
    }

    @Override
    public MigrationState state() {
        return machine.state();
    }

    @Override
    public void transition(MigrationState to) throws MigrationArcException {
        machine.transition(to);
    }

    @Override
    public void resetDevice() throws MigrationArcException {
        machine.reset();
    }

    @Override
    public synchronized int read(ByteBuffer dst) {
        if (saving == null) {
            throw new IllegalStateException("the migration data fd reads only in a saving state, not " + state());
        }
        return saving.read(dst);
    }

    @Override
    public synchronized int write(ByteBuffer src) throws MigrationStreamException {
        if (resuming == null) {
            throw new IllegalStateException("the migration data fd takes writes only in RESUMING, not " + state());
        }
        return resuming.write(src);
    }

    @Override
    public synchronized PrecopyInfo precopyInfo() {
        final MigrationState s = state();
        if (saving == null || (s != MigrationState.PRE_COPY && s != MigrationState.PRE_COPY_P2P)) {
            throw new IllegalStateException("VFIO_MIG_GET_PRECOPY_INFO outside PRE_COPY (EINVAL): " + s);
        }
        return saving.precopyInfo();
    }

    @Override
    public DmaLogging dmaLogging() {
        return logging;
    }

    /** Whether the device is stopped (or resuming): no DMA, no interrupts, no state change. */
    boolean stopped() {
        return capture != null; // volatile load: pairs with the arcs' volatile stores
    }

    /** Descriptors captured now (tests, statistics). */
    int capturedCount() {
        final Capture c = capture;
        return c == null ? 0 : c.size();
    }

    // ---- the portal path while stopped

    /**
     * A portal store while stopped: captured (ACCEPTED / POSTED), refused (RETRY: no room), or null when the device
     * is not stopped (the store goes on to the WQ). Called inside the portal gate, on the guest's thread.
     */
    PortalResult capture(int q, HostWqSettings s, Descriptor desc, PortalInstruction insn, int guestPasidMsr) {
        final Capture c = capture;
        if (c == null) {
            return null;
        }
        if (insn == PortalInstruction.MOVDIR64B) {
            if (s == null || !s.dedicated()) {
                return PortalResult.POSTED; // to a disabled or shared WQ: dropped / ignored, as running (no SWERR now)
            }
            c.add(q, s, desc, s.dedicatedGuestPasid(), desc.priv(), true); // no room: SWERR later
            return PortalResult.POSTED;
        }
        final int gpasid = insn == PortalInstruction.ENQCMD ? guestPasidMsr : desc.pasid();
        if (gpasid < 0 || dev.iommu().hostPasid(gpasid) < 0) {
            return PortalResult.GP_FAULT;
        }
        if (s == null || s.dedicated()) {
            return PortalResult.RETRY;
        }
        final boolean priv = insn == PortalInstruction.ENQCMD ? false : desc.priv();
        return c.add(q, s, desc, gpasid, priv, false) ? PortalResult.ACCEPTED : PortalResult.RETRY;
    }

    /** What a stopped device holds for later: descriptors in submission order, per WQ bounded by the WQ size. */
    private static final class Capture {
        private final ArrayDeque<DsaStateSchema.Captured> queue = new ArrayDeque<>();
        private final int[] perWq;
        /** MOVDIR64B stores that found no room: SWERR "DWQ full" once the device runs, as the WQ would say. */
        private final List<byte[]> overflow = new ArrayList<>();
        private boolean closed;

        Capture(int wqs) {
            perWq = new int[wqs];
        }

        synchronized boolean add(int q, HostWqSettings s, Descriptor desc, int gpasid, boolean priv, boolean posted) {
            if (closed) {
                return false;
            }
            final byte[] bytes = desc.segment().asSlice(desc.offset(), DescriptorLayout.LENGTH)
                .toArray(ValueLayout.JAVA_BYTE);
            if (perWq[q] >= s.size()) {
                if (posted) {
                    overflow.add(withWq(bytes, q));
                }
                return false;
            }
            add(q, gpasid, priv, bytes);
            return true;
        }

        synchronized void add(int q, int gpasid, boolean priv, byte[] bytes) {
            final DsaStateSchema.Captured c = new DsaStateSchema.Captured();
            c.wq = q;
            c.guestPasid = gpasid;
            c.priv = priv ? 1 : 0;
            c.descriptor = bytes;
            queue.add(c);
            perWq[q]++;
        }

        synchronized DsaStateSchema.Captured poll() {
            final DsaStateSchema.Captured c = queue.poll();
            if (c != null) {
                perWq[c.wq]--;
            }
            return c;
        }

        /** Closes the capture if it is empty: later stores go to the WQs. */
        synchronized boolean closeIfEmpty() {
            if (queue.isEmpty()) {
                closed = true;
            }
            return closed;
        }

        synchronized List<DsaStateSchema.Captured> snapshot() {
            return new ArrayList<>(queue);
        }

        synchronized List<byte[]> takeOverflow() {
            final List<byte[]> o = new ArrayList<>(overflow);
            overflow.clear();
            return o;
        }

        synchronized int size() {
            return queue.size();
        }

        private static byte[] withWq(byte[] bytes, int q) {
            final byte[] out = java.util.Arrays.copyOf(bytes, bytes.length + 1);
            out[bytes.length] = (byte) q;
            return out;
        }
    }

    // ---- quiesce and resume

    /** Stops the device (see the class comment); returns once nothing runs and nothing will change. */
    private void quiesce() {
        if (capture != null) {
            return;
        }
        final Capture c = new Capture(dev.slice().wqs());
        capture = c; // volatile: every store from now on is captured, every MSI-X message waits in the PBA
        dev.portals().awaitStores(); // a store that passed its checks before the line above has reached its WQ
        dev.commands().runExclusive(() -> { }); // a guest command in progress has finished (none starts: MMIO off)
        final VirtualIommu iommu = dev.iommu();
        for (int q = 0; q < dev.slice().wqs(); q++) {
            final HostWqSettings s = dev.portals().settings(q);
            final WorkQueue hw = dev.slice().wq(q);
            if (s == null || !hw.isEnabled()) {
                continue;
            }
            for (byte[] bytes : hw.captureQueued()) { // those not started; running ones are waited for below
                final Descriptor d = new Descriptor(MemorySegment.ofArray(bytes), 0);
                if (s.dedicated()) {
                    c.add(q, s.dedicatedGuestPasid(), d.priv(), bytes);
                } else {
                    // the WQ holds the host PASID the portal wrote: the stream carries the guest's
                    final int g = Math.max(0, iommu.guestPasid(d.pasid()));
                    d.pasid(g);
                    c.add(q, g, d.priv(), bytes);
                }
            }
        }
        // A descriptor that waits on a page request would wait for a guest that runs no more: its requests fail now,
        // so it completes as a page fault; then every running descriptor completes (Drain WQ finds the queue empty)
        iommu.suspendPageRequests();
        for (int q = 0; q < dev.slice().wqs(); q++) {
            dev.slice().drain(q);
        }
        dev.swerr().latchReports(); // the errors those descriptors reported are in SWERR (the state that travels)
        dev.msix().awaitPosted(); // the messages they posted are in the PBA (stopped) or delivered
    }

    /** Runs again: page requests flow, captured descriptors are resubmitted in order, pending messages delivered. */
    private void resume() {
        final Capture c = capture;
        if (c == null) {
            return;
        }
        dev.iommu().resumePageRequests();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment buffer = arena.allocate(DescriptorLayout.LENGTH, DescriptorLayout.LENGTH);
            for (byte[] o : c.takeOverflow()) {
                final Descriptor d = new Descriptor(MemorySegment.ofArray(o), 0);
                dev.swerr().record(new SwerrEntry(io.softdsa.completion.Status.SWERR_DWQ_FULL, o[o.length - 1], true,
                    d.opcode(), d.pasid(), d.priv(), false, 0, false, 0, 0, java.util.Arrays.copyOf(o, 64)));
            }
            while (true) {
                final DsaStateSchema.Captured e = c.poll();
                if (e == null) {
                    if (c.closeIfEmpty()) {
                        break;
                    }
                    continue;
                }
                MemorySegment.copy(MemorySegment.ofArray(e.descriptor), 0, buffer, 0, DescriptorLayout.LENGTH);
                resubmit(e, new Descriptor(buffer, 0));
            }
        }
        capture = null; // volatile: stores go to the WQs again (after every captured one, which closeIfEmpty ordered)
        if (handlesRevoked) {
            handlesRevoked = false;
            synchronized (dev.lock()) {
                dev.registers().raiseIntcause(Bar0Layout.INTCAUSE_HANDLE_REVOKED);
            }
            dev.msix().raise(0);
        }
        dev.msix().flushPending();
    }

    /** One captured descriptor into its WQ, waiting for room (the capture never holds more than the WQ size). */
    private void resubmit(DsaStateSchema.Captured e, Descriptor d) {
        final HostWqSettings s = dev.portals().settings(e.wq);
        if (s == null) {
            dev.swerr().record(new SwerrEntry(io.softdsa.completion.Status.SWERR_WQ_DISABLED, e.wq, true, d.opcode(),
                e.guestPasid, e.priv != 0, false, 0, false, 0, 0, e.descriptor.clone()));
            return;
        }
        final WorkQueue hw = dev.slice().wq(e.wq);
        dev.handles().filter(d, s.dedicated() ? s.dedicatedGuestPasid() : e.guestPasid);
        if (s.dedicated()) {
            while (hw.occupancy() >= s.size()) {
                LockSupport.parkNanos(20_000); // posted: only into room, or the WQ would drop it (DWQ full)
            }
            hw.portal().movdir64b(d.segment(), d.offset());
            return;
        }
        final int h = dev.iommu().hostPasid(e.guestPasid);
        if (h < 0) {
            return; // the guest freed the PASID while stopped: as an ENQCMD after the free, it goes nowhere
        }
        d.pasid(h);
        d.priv(e.priv != 0);
        final Portal portal = hw.limitedPortal();
        while (!portal.enqcmd(d.segment(), d.offset())) {
            LockSupport.parkNanos(20_000); // accepted before the stop: it must be accepted again
        }
    }

    // ---- the stream

    private DsaStateSchema.Compatibility compatibility() {
        final DsaStateSchema.Compatibility c = new DsaStateSchema.Compatibility();
        final Bar0Registers r = dev.registers();
        c.deviceId = (int) dev.config().registers().get(2, 2);
        c.version = (int) r.capability(Bar0Layout.VERSION, 4);
        c.gencap = r.capability(Bar0Layout.GENCAP, 8);
        c.wqcap = r.capability(Bar0Layout.WQCAP, 8);
        c.grpcap = r.capability(Bar0Layout.GRPCAP, 8);
        c.engcap = r.capability(Bar0Layout.ENGCAP, 8);
        for (int i = 0; i < 4; i++) {
            c.opcap[i] = r.capability(Bar0Layout.OPCAP + 8 * i, 8);
        }
        c.mdevType = dev.type().mdevTypeName();
        c.wqs = Wqcap.WQS.getInt(c.wqcap);
        c.groups = Grpcap.GROUPS.getInt(c.grpcap);
        c.engines = Engcap.ENGINES.getInt(c.engcap);
        return c;
    }

    /** The complete state of a quiesced device. */
    private DsaStateSchema.DeviceState save() {
        final DsaStateSchema.DeviceState s = new DsaStateSchema.DeviceState();
        s.compat = compatibility();
        synchronized (dev.lock()) {
            final RegisterBlock cfg = dev.config().registers();
            final byte[] all = new byte[DsaStateSchema.PCI_CONFIG_BYTES + DsaStateSchema.PCIE_EXTENDED_BYTES];
            for (int i = 0; i < all.length; i += 4) {
                final long v = cfg.get(i, 4);
                for (int b = 0; b < 4; b++) {
                    all[i + b] = (byte) (v >>> (8 * b));
                }
            }
            s.registers.pciConfig = java.util.Arrays.copyOf(all, DsaStateSchema.PCI_CONFIG_BYTES);
            s.registers.pcie.extended = java.util.Arrays.copyOfRange(all, DsaStateSchema.PCI_CONFIG_BYTES, all.length);
            final Bar0Registers r = dev.registers();
            s.registers.gencfg = r.gencfg();
            s.registers.genctrl = r.genctrl();
            s.registers.gensts = r.gensts();
            s.registers.intcause = r.intcause();
            for (int i = 0; i < 4; i++) {
                s.registers.swerr[i] = r.swerrWord(i);
            }
            for (int q = 0; q < s.compat.wqs; q++) {
                final DsaStateSchema.Wqcfg w = new DsaStateSchema.Wqcfg();
                w.words = new int[WqcfgLayout.STRIDE / 4];
                for (int i = 0; i < w.words.length; i++) {
                    w.words[i] = r.wqcfgWord(q, 4 * i);
                }
                s.registers.wqcfg.add(w);
            }
            for (int g = 0; g < s.compat.groups; g++) {
                final DsaStateSchema.Grpcfg e = new DsaStateSchema.Grpcfg();
                for (int i = 0; i < 4; i++) {
                    e.wqs[i] = r.groupWqBitmapWord(g, i);
                }
                e.engines = r.groupEngines(g);
                e.flags = r.groupFlags(g);
                s.registers.grpcfg.add(e);
            }
            final MsixTable m = r.msix();
            final int vectors = VirtualDsa.VECTORS;
            for (int v = 0; v < vectors; v++) {
                final DsaStateSchema.MsixEntry e = new DsaStateSchema.MsixEntry();
                e.address = m.address(v);
                e.data = m.data(v);
                e.control = m.vectorControl(v);
                e.permission = (int) m.permission(v);
                s.msix.entries.add(e);
            }
            s.msix.pending = new long[(vectors + 63) / 64];
            for (int v = 0; v < vectors; v++) {
                if (m.pending(v)) {
                    s.msix.pending[v >>> 6] |= 1L << v;
                }
            }
        }
        for (VirtualIommu.Binding b : dev.iommu().bindings()) {
            final DsaStateSchema.PasidBinding p = new DsaStateSchema.PasidBinding();
            p.guestPasid = b.guestPasid();
            p.stage1Root = b.stage1Root();
            p.levels = b.levels();
            p.flags = b.supervisorRequests() ? 1 : 0;
            s.pasids.bindings.add(p);
        }
        for (int v = 1; v < VirtualDsa.VECTORS; v++) {
            final int h = dev.handles().handleOfVector(v);
            if (h != 0) {
                final DsaStateSchema.Handle e = new DsaStateSchema.Handle();
                e.index = v;
                e.handle = h;
                s.handles.handles.add(e);
            }
        }
        final Capture c = capture;
        if (c != null) {
            s.queues.captured = c.snapshot();
            s.queues.capturedSequence = s.queues.captured.size();
        }
        return s;
    }

    /** Loads a decoded, validated state into this (reset) device; throws on anything it cannot take. */
    private void load(DsaStateSchema.DeviceState s) throws MigrationStreamException {
        final DsaStateSchema.Compatibility local = compatibility();
        local.checkSourceCompatible(s.compat);
        // 1. the guest's PASIDs, with host PASIDs of this host (the WQCFG and MSI-X permissions name guest PASIDs)
        restoredPasids.clear();
        for (DsaStateSchema.PasidBinding p : s.pasids.bindings) {
            final boolean fresh = dev.iommu().hostPasid(p.guestPasid) < 0;
            dev.iommu().restore(new VirtualIommu.Binding(p.guestPasid, p.stage1Root, p.levels,
                (p.flags & 1) != 0));
            if (fresh) {
                restoredPasids.add(p.guestPasid);
            }
        }
        final boolean[] wqEnabled = new boolean[s.compat.wqs];
        final boolean deviceEnabled;
        synchronized (dev.lock()) {
            final RegisterBlock cfg = dev.config().registers();
            final byte[] ext = s.registers.pcie.extended;
            final int end = DsaStateSchema.PCI_CONFIG_BYTES + ext.length;
            for (int i = 0; i < end; i += 4) {
                long v = 0;
                for (int b = 3; b >= 0; b--) {
                    final int at = i + b;
                    v = v << 8 | ((at < DsaStateSchema.PCI_CONFIG_BYTES ? s.registers.pciConfig[at]
                        : ext[at - DsaStateSchema.PCI_CONFIG_BYTES]) & 0xFF);
                }
                if (cfg.rwMask(i, 4) != 0 || cfg.w1cMask(i, 4) != 0) {
                    cfg.set(i, 4, (cfg.get(i, 4) & ~(cfg.rwMask(i, 4) | cfg.w1cMask(i, 4)))
                        | (v & (cfg.rwMask(i, 4) | cfg.w1cMask(i, 4)))); // read-only bits stay this device's
                }
            }
            final Bar0Registers regs = dev.registers();
            regs.gencfg(s.registers.gencfg);
            regs.genctrl(s.registers.genctrl);
            for (int g = 0; g < s.compat.groups; g++) {
                final DsaStateSchema.Grpcfg e = s.registers.grpcfg.get(g);
                for (int i = 0; i < 4; i++) {
                    regs.groupWqBitmapWord(g, i, e.wqs[i]);
                }
                regs.groupEngines(g, e.engines);
                regs.groupFlags(g, e.flags);
            }
            for (int q = 0; q < s.compat.wqs; q++) {
                final int[] words = s.registers.wqcfg.get(q).words;
                for (int i = 0; i < words.length; i++) {
                    regs.wqcfgWord(q, 4 * i, words[i]);
                }
                wqEnabled[q] = regs.wqEnabled(q);
                regs.wqState(q, false); // enabled again by the replayed Enable WQ below
            }
            for (int v = 0; v < Math.min(VirtualDsa.VECTORS, s.msix.entries.size()); v++) {
                final DsaStateSchema.MsixEntry e = s.msix.entries.get(v);
                regs.msix().restore(v, e.address, e.data, e.control, e.permission,
                    (s.msix.pending[v >>> 6] >>> v & 1) != 0);
            }
            deviceEnabled = (s.registers.gensts & Bar0Layout.GENSTS_STATE_MASK) == Bar0Layout.GENSTS_ENABLED;
        }
        dev.mmio().configRestored();
        // 2. the commands that brought the source there, replayed in order (they program and enable the host WQs)
        if (deviceEnabled) {
            replay(CmdLayout.cmd(Commands.ENABLE_DEVICE, 0, false), "Enable Device");
            for (int q = 0; q < wqEnabled.length; q++) {
                if (wqEnabled[q]) {
                    replay(CmdLayout.cmd(Commands.ENABLE_WQ, q, false), "Enable WQ " + q);
                }
            }
        }
        // 3. interrupt handles: the same vectors get handles of this host; changed values are revoked
        final Map<Integer, Integer> handleMap = new HashMap<>();
        for (DsaStateSchema.Handle h : s.handles.handles) {
            if (h.ims != 0 || h.index <= 0 || h.index >= VirtualDsa.VECTORS) {
                throw new MigrationStreamException("handles", 0, "interrupt handle index " + h.index
                    + " is not a vector of this device");
            }
            final int now = dev.handles().request(h.index);
            if (now < 0) {
                throw new MigrationStreamException("handles", 0, "no interrupt handle left on this host for vector "
                    + h.index);
            }
            handleMap.put(h.handle, now);
            handlesRevoked |= now != h.handle;
        }
        // 4. the registers the replay reset, as the source had them; then the captured descriptors
        synchronized (dev.lock()) {
            dev.registers().intcause(s.registers.intcause);
            dev.registers().swerrWords(s.registers.swerr);
        }
        final Capture c = capture;
        for (DsaStateSchema.Captured e : s.queues.captured) {
            final byte[] bytes = e.descriptor.clone();
            final Descriptor d = new Descriptor(MemorySegment.ofArray(bytes), 0);
            if ((d.flags() & DescriptorFlags.REQUEST_COMPLETION_INTERRUPT) != 0) {
                d.interruptHandle(handleMap.getOrDefault(d.interruptHandle(), InterruptHandles.INVALID_HANDLE));
            }
            c.add(e.wq, e.guestPasid, e.priv != 0, bytes);
        }
    }

    private void replay(int cmd, String what) throws MigrationStreamException {
        final int status = dev.commands().replay(cmd);
        if (CmdLayout.error(status) != CmdStatus.SUCCESS) {
            throw new MigrationStreamException("registers", 0, what + " of the restored configuration failed on this"
                + " host: CMDSTS 0x" + Integer.toHexString(status));
        }
    }

    // ---- the arcs

    /** Each direct arc of the uAPI; the state machine runs one at a time and moves to ERROR if one throws. */
    private final class Arcs implements MigrationArcs {
        @Override
        public void runningToP2p() {
            // a DSA initiates no peer-to-peer DMA: RUNNING_P2P runs like RUNNING
        }

        @Override
        public void p2pToRunning() {
        }

        @Override
        public void p2pToStop() {
            quiesce();
        }

        @Override
        public void stopToP2p() {
            resume();
        }

        @Override
        public void runningToStop() {
            quiesce();
        }

        @Override
        public void stopToRunning() {
            resume();
        }

        @Override
        public void startCopy() throws MigrationStreamException {
            synchronized (VdevMigration.this) {
                // one snapshot for both parts: the device is stopped, and the state is read once
                final DsaStateSchema.DeviceState state = save();
                writer = new StateWriter();
                saving = new SavingChannel(DsaStateSchema.initialPart(writer, state), MAX_STREAM_BYTES);
                saving.complete(DsaStateSchema.finalPart(writer, state));
            }
        }

        @Override
        public void endCopy() {
            closeSaving();
        }

        @Override
        public void startResume() {
            // a destination starts from reset: nothing enabled, no handle, no PASID of this guest's stream yet
            dev.reset().functionLevelReset();
            synchronized (VdevMigration.this) {
                resuming = new ResumingChannel(DsaStateSchema.reader(compatibility()));
            }
        }

        @Override
        public void endResume() throws MigrationStreamException {
            final ResumingChannel r;
            synchronized (VdevMigration.this) {
                r = resuming;
                resuming = null;
            }
            try {
                load(DsaStateSchema.from(r.finish()));
            } catch (MigrationStreamException | RuntimeException e) {
                undoLoad();
                throw e;
            }
        }

        @Override
        public void startPreCopy() throws MigrationStreamException {
            synchronized (VdevMigration.this) {
                writer = new StateWriter();
                saving = new SavingChannel(DsaStateSchema.initialPart(writer, preCopyState()), MAX_STREAM_BYTES);
            }
        }

        @Override
        public void endPreCopy() {
            closeSaving();
        }

        @Override
        public void preCopyToP2p() {
        }

        @Override
        public void preCopyP2pToPreCopy() {
        }

        @Override
        public void startPreCopyP2p() throws MigrationStreamException {
            startPreCopy();
        }

        @Override
        public void endPreCopyP2p() {
            closeSaving();
        }

        @Override
        public void preCopyP2pToStopCopy() throws MigrationStreamException {
            quiesce();
            synchronized (VdevMigration.this) {
                saving.complete(DsaStateSchema.finalPart(writer, save()));
            }
        }

        @Override
        public void preCopyToStopCopy() throws MigrationStreamException {
            preCopyP2pToStopCopy();
        }

        @Override
        public void reset() {
            closeSaving();
            synchronized (VdevMigration.this) {
                resuming = null;
            }
            handlesRevoked = false;
            final Capture c = capture;
            if (c != null) {
                c.closeIfEmpty();
                capture = null; // the reset discards what was captured, as it discards what the WQs held
                dev.iommu().resumePageRequests();
            }
            dev.reset().functionLevelReset();
        }
    }

    /** PRE_COPY's initial part needs the compatibility section only. */
    private DsaStateSchema.DeviceState preCopyState() {
        final DsaStateSchema.DeviceState s = new DsaStateSchema.DeviceState();
        s.compat = compatibility();
        return s;
    }

    private synchronized void closeSaving() {
        if (saving != null) {
            saving.close();
        }
        saving = null;
        writer = null;
    }

    /** A failed load leaves the device as a reset left it (no WQ enabled, no handle), never partly restored. */
    private void undoLoad() {
        handlesRevoked = false;
        final Capture c = capture;
        if (c != null) {
            while (c.poll() != null) {
                // dropped with the failed state
            }
        }
        dev.reset().functionLevelReset(); // WQs disabled (their PASIDs unpinned), handles released
        for (int g : restoredPasids) {
            try {
                dev.iommu().freePasid(g);
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
        restoredPasids.clear();
    }
}
