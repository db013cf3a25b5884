package io.softdsa.mdev.guest;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.SwerrLayout;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.registers.Grpcap;
import io.softdsa.device.registers.Wqcap;
import io.softdsa.iommu.PageRequest;
import io.softdsa.mdev.command.Commands;
import io.softdsa.mdev.pci.PciConfigLayout;
import io.softdsa.mdev.regs.Bar0Layout;
import io.softdsa.mdev.regs.CmdLayout;
import io.softdsa.mdev.regs.GrpcfgLayout;
import io.softdsa.mdev.regs.MsixLayout;
import io.softdsa.mdev.regs.WqcfgLayout;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.PortalLayout;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.memory.FrameAllocator;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A model of the Linux idxd driver running in a guest, over a {@link io.softdsa.mdev.vdev.VfioDevice}: it knows the
 * device only through configuration space, BAR0 registers, portal stores and MSI-X messages.
 * <p>
 * {@link #probe} and {@link #configure} bring the device up in the driver's order (fact sheet section 14): enable
 * memory decoding and bus mastering, the ATS/PASID/PRI capabilities and MSI-X; Reset Device; read the capabilities
 * and TABLE_OFFSET (the tables are found through it); write the WQCFG entries; write the GRPCFG entries; Enable
 * Device; Enable WQ for each WQ, polling CMDSTS bit 31 after every command; request an interrupt handle per WQ
 * vector; check SWERR.
 * <p>
 * Interrupts run on the driver's own IRQ thread: completion vectors are counted (waiters wake), the misc vector reads
 * INTCAUSE, consumes SWERR (write-1-to-clear) and acknowledges INTCAUSE; after a handle revocation it requests new
 * handles. Page requests from the guest's IOMMU are served on the same thread by the owning {@link GuestProcess}.
 */
public final class GuestDriver implements AutoCloseable {
    /** x86 MSI address of the guest's local APIC 0; data = IDT vector 0x20 + MSI-X vector. */
    public static final long MSI_ADDRESS = 0xFEE0_0000L;
    public static final int MSI_DATA_BASE = 0x20;
    private static final long COMMAND_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final io.softdsa.mdev.vdev.VfioDevice dev;
    private final GuestDomain guest;
    private final List<RegisterAccess> trace = Collections.synchronizedList(new ArrayList<>());
    private final ExecutorService irq;
    private final AtomicLongArray interrupts = new AtomicLongArray(Bar0Layout.MAX_VECTORS);
    private final List<long[]> swerrReports = Collections.synchronizedList(new ArrayList<>());
    private final Map<Integer, GuestProcess> processes = new ConcurrentHashMap<>();
    private final List<PageRequest> pageRequests = Collections.synchronizedList(new ArrayList<>());
    private final Arena arena = Arena.ofShared();
    private volatile boolean tracing = true;
    private volatile int revocations;

    // what probe read
    private int version;
    private long gencap;
    private long wqcap;
    private long grpcap;
    private long engcap;
    private final long[] opcap = new long[4];
    private int grpcfgOffset;
    private int wqcfgOffset;
    private int msixPermOffset;
    private int wqcfgStride;
    private int vectors;
    private final int[] wqHandles = new int[256];
    private final boolean[] wqEnabled = new boolean[256];
    private DeviceSetup setup;

    public GuestDriver(io.softdsa.mdev.vdev.VfioDevice dev, GuestDomain guest) {
        this.dev = dev;
        this.guest = guest;
        this.irq = Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, guest.name() + "-irq");
            t.setDaemon(true);
            return t;
        });
        dev.msiSink((vector, address, data) -> irq.execute(() -> interrupt(vector, address, data)));
        guest.iommu().pageRequestHandler(r -> irq.execute(() -> pageRequest(r)));
    }

    public GuestDomain guest() {
        return guest;
    }

    // ---- register access (traced)

    public int cfgRead(int offset, int width) {
        final int v = dev.configRead(offset, width);
        record(RegisterAccess.Kind.CONFIG_READ, offset, width, v);
        return v;
    }

    public void cfgWrite(int offset, int width, int value) {
        record(RegisterAccess.Kind.CONFIG_WRITE, offset, width, value);
        dev.configWrite(offset, width, value);
    }

    public long read(int offset, int width) {
        final long v = dev.mmioRead(0, offset, width);
        record(RegisterAccess.Kind.MMIO_READ, offset, width, v);
        return v;
    }

    public void write(int offset, int width, long value) {
        record(RegisterAccess.Kind.MMIO_WRITE, offset, width, value);
        dev.mmioWrite(0, offset, width, value);
    }

    private void record(RegisterAccess.Kind kind, long offset, int width, long value) {
        if (tracing) {
            trace.add(new RegisterAccess(kind, offset, width, value));
        }
    }

    /** Every access so far, in order. */
    public List<RegisterAccess> trace() {
        synchronized (trace) {
            return List.copyOf(trace);
        }
    }

    // ---- commands

    /**
     * Issues a command and polls CMDSTS bit 31 until it clears; returns CMDSTS (error in 7:0, result in 23:8).
     */
    public synchronized int command(int command, int operand) {
        final long deadline = System.nanoTime() + COMMAND_TIMEOUT_NANOS;
        while (CmdLayout.active(read(Bar0Layout.CMDSTS, 4))) {
            pause(deadline, "a previous command");
        }
        write(Bar0Layout.CMD, 4, CmdLayout.cmd(command, operand, false) & 0xFFFF_FFFFL);
        long sts;
        tracing = false; // the poll loop would flood the trace
        try {
            while (CmdLayout.active(sts = dev.mmioRead(0, Bar0Layout.CMDSTS, 4))) {
                pause(deadline, Commands.name(command));
            }
        } finally {
            tracing = true;
        }
        record(RegisterAccess.Kind.MMIO_READ, Bar0Layout.CMDSTS, 4, sts);
        return (int) sts;
    }

    private static void pause(long deadline, String what) {
        if (System.nanoTime() - deadline > 0) {
            throw new IllegalStateException("timed out waiting for " + what);
        }
        LockSupport.parkNanos(20_000);
    }

    private void require(String what, int sts) {
        if (CmdLayout.error(sts) != 0) {
            throw new GuestDriverException(what, sts);
        }
    }

    // ---- bring-up

    /**
     * PCI enable, reset, capabilities, interrupts.
     *
     * @param sva enable the ATS, PASID (with privileged mode) and PRI capabilities
     */
    public void probe(boolean sva) {
        final int id = cfgRead(PciConfigLayout.VENDOR_ID, 4);
        if ((id & 0xFFFF) != PciConfigLayout.VENDOR_INTEL || (id >>> 16) != PciConfigLayout.DEVICE_DSA_SPR) {
            throw new IllegalStateException("not a DSA: 0x" + Integer.toHexString(id));
        }
        cfgWrite(PciConfigLayout.COMMAND, 2, PciConfigLayout.COMMAND_MEMORY_SPACE | PciConfigLayout.COMMAND_BUS_MASTER);
        if (sva) {
            cfgWrite(PciConfigLayout.ATS_CONTROL, 2, PciConfigLayout.ATS_CONTROL_ENABLE);
            cfgWrite(PciConfigLayout.PASID_CONTROL, 2,
                PciConfigLayout.PASID_CONTROL_ENABLE | PciConfigLayout.PASID_CONTROL_PRIVILEGED);
            cfgWrite(PciConfigLayout.PRI_ALLOCATION, 4, cfgRead(PciConfigLayout.PRI_CAPACITY, 4));
            cfgWrite(PciConfigLayout.PRI_CONTROL, 2, PciConfigLayout.PRI_CONTROL_ENABLE);
        }
        // 1. reset device
        require("reset device", command(Commands.RESET_DEVICE, 0));
        // 2. capabilities and TABLE_OFFSET
        version = (int) read(Bar0Layout.VERSION, 4);
        gencap = read(Bar0Layout.GENCAP, 8);
        wqcap = read(Bar0Layout.WQCAP, 8);
        grpcap = read(Bar0Layout.GRPCAP, 8);
        engcap = read(Bar0Layout.ENGCAP, 8);
        for (int i = 0; i < 4; i++) {
            opcap[i] = read(Bar0Layout.OPCAP + 8 * i, 8);
        }
        final long table = read(Bar0Layout.TABLE_OFFSET, 8);
        grpcfgOffset = (int) (table & 0xFFFF) * Bar0Layout.TABLE_UNIT;
        wqcfgOffset = (int) ((table >>> 16) & 0xFFFF) * Bar0Layout.TABLE_UNIT;
        msixPermOffset = (int) ((table >>> 32) & 0xFFFF) * Bar0Layout.TABLE_UNIT;
        wqcfgStride = Wqcap.wqcfgBytes(wqcap);
        // 3. MSI-X: program, unmask, enable (vector 0 misc, vector i + 1 for WQ i)
        final int msixControl = cfgRead(PciConfigLayout.MSIX_MESSAGE_CONTROL, 2);
        vectors = (msixControl & PciConfigLayout.MSIX_CONTROL_TABLE_SIZE_MASK) + 1;
        final int tableOffset = cfgRead(PciConfigLayout.MSIX_TABLE_OFFSET_BIR, 4) & ~7;
        for (int v = 0; v < vectors; v++) {
            final int e = tableOffset + v * MsixLayout.ENTRY_SIZE;
            write(e + MsixLayout.ADDRESS_LOW, 4, MSI_ADDRESS);
            write(e + MsixLayout.ADDRESS_HIGH, 4, 0);
            write(e + MsixLayout.DATA, 4, MSI_DATA_BASE + v);
            write(e + MsixLayout.VECTOR_CONTROL, 4, 0);
        }
        cfgWrite(PciConfigLayout.MSIX_MESSAGE_CONTROL, 2, PciConfigLayout.MSIX_CONTROL_ENABLE);
        write(Bar0Layout.GENCTRL, 4, Bar0Layout.GENCTRL_SOFTWARE_ERROR_INTERRUPT);
    }

    /** WQCFG, GRPCFG, Enable Device, Enable WQ for each, a handle per WQ vector, SWERR check. */
    public void configure(DeviceSetup s) {
        this.setup = s;
        for (WqSetup w : s.wqs()) {
            writeWqcfg(w);
        }
        final int groups = Grpcap.GROUPS.getInt(grpcap);
        for (int g = 0; g < groups; g++) {
            long wqBits = 0;
            for (WqSetup w : s.wqs()) {
                if (w.group() == g) {
                    wqBits |= 1L << w.wq();
                }
            }
            final int base = grpcfgOffset + g * GrpcfgLayout.STRIDE;
            write(base + GrpcfgLayout.WQ_BITMAP, 8, wqBits);
            write(base + GrpcfgLayout.ENGINE_BITMAP, 8, g < s.groupEngines().length ? s.groupEngines()[g] : 0);
            write(base + GrpcfgLayout.FLAGS, 8, GrpcfgLayout.flags(0, 0, false, 0, s.readBuffersAllowed()));
        }
        require("enable device", command(Commands.ENABLE_DEVICE, 0));
        for (WqSetup w : s.wqs()) {
            enableWq(w.wq());
        }
        checkSwerr();
    }

    /** {@link #probe} then {@link #configure}. */
    public void bringUp(boolean sva, DeviceSetup s) {
        probe(sva);
        configure(s);
    }

    /** Writes one WQCFG entry (the WQ must be disabled for it to take). */
    public void writeWqcfg(WqSetup w) {
        final int base = wqcfgOffset + w.wq() * wqcfgStride;
        write(base + WqcfgLayout.SIZE, 4, w.size());
        write(base + WqcfgLayout.THRESHOLD, 4, w.threshold());
        write(base + WqcfgLayout.MODE_WORD, 4, WqcfgLayout.modeWord(w.dedicated(), w.blockOnFault(), w.priority(),
            w.pasidEnabled(), w.pasid(), w.priv()) & 0xFFFF_FFFFL);
        write(base + WqcfgLayout.LIMITS_WORD, 4, WqcfgLayout.limitsWord(w.maxTransferShift(), w.maxBatchShift()));
    }

    /** Enable WQ and its completion-interrupt handle (vector wq + 1). */
    public void enableWq(int wq) {
        require("enable wq" + wq, command(Commands.ENABLE_WQ, wq));
        wqEnabled[wq] = true;
        requestHandle(wq);
    }

    private void requestHandle(int wq) {
        final int sts = command(Commands.REQUEST_INT_HANDLE, wq + 1);
        require("request interrupt handle", sts);
        wqHandles[wq] = CmdLayout.result(sts);
    }

    public void disableWq(int wq) {
        require("disable wq" + wq, command(Commands.DISABLE_WQ, CmdLayout.wqOperand(wq)));
        wqEnabled[wq] = false;
    }

    /** Gives dedicated WQ {@code wq} to {@code process}: disable, program its PASID, enable (as at open). */
    public void assignDedicatedWq(int wq, GuestProcess process) {
        final WqSetup w = setup.wqs().stream().filter(x -> x.wq() == wq).findFirst().orElseThrow();
        if (wqEnabled[wq]) {
            disableWq(wq);
        }
        writeWqcfg(w.withPasid(true, process.pasid()));
        enableWq(wq);
    }

    /** The completion-interrupt handle of WQ {@code wq} (what goes in descriptor bytes 36-37). */
    public int interruptHandle(int wq) {
        return wqHandles[wq];
    }

    /** Reads SWERR; if valid, records it and clears it (write 1 to bits 0-1). Returns word 0. */
    public long checkSwerr() {
        final long w0 = read(Bar0Layout.SWERR, 8);
        if ((w0 & SwerrLayout.VALID) != 0) {
            swerrReports.add(new long[] {w0, read(Bar0Layout.SWERR + 8, 8), read(Bar0Layout.SWERR + 16, 8),
                read(Bar0Layout.SWERR + 24, 8)});
            write(Bar0Layout.SWERR, 8, Bar0Layout.SWERR_W1C_MASK);
        }
        return w0;
    }

    /** SWERR contents the driver consumed (4 words each), oldest first. */
    public List<long[]> swerrReports() {
        synchronized (swerrReports) {
            return List.copyOf(swerrReports);
        }
    }

    // ---- capabilities as read

    public int version() {
        return version;
    }

    public long gencap() {
        return gencap;
    }

    public long wqcap() {
        return wqcap;
    }

    public long grpcap() {
        return grpcap;
    }

    public long engcap() {
        return engcap;
    }

    public long[] opcap() {
        return opcap.clone();
    }

    public int wqcfgOffset() {
        return wqcfgOffset;
    }

    public int grpcfgOffset() {
        return grpcfgOffset;
    }

    public int msixPermOffset() {
        return msixPermOffset;
    }

    public int wqcfgStride() {
        return wqcfgStride;
    }

    // ---- memory and submission

    /** Guest-kernel DMA memory: physically contiguous guest frames (guest-physical address). */
    public long allocateDma(long bytes) {
        return guest.memory().physical().allocateContiguous(bytes, FrameAllocator.FRAME_SIZE);
    }

    /** A completion record at guest-physical {@code gpa} as the guest kernel polls it. */
    public CompletionRecord completionRecord(long gpa) {
        return new CompletionRecord(guest.memory().hostSegment(), guest.memory().hostAddress(gpa));
    }

    /** A staging descriptor (the CPU's source operand of the portal store). */
    public Descriptor descriptor() {
        return Descriptor.allocate(arena);
    }

    /** A new guest process with its own PASID and page tables, bound to the guest IOMMU. */
    public GuestProcess newProcess(String name) {
        return newProcess(name, false);
    }

    public GuestProcess newProcess(String name, boolean supervisor) {
        final GuestProcess p = new GuestProcess(name, guest, supervisor);
        processes.put(p.pasid(), p);
        return p;
    }

    /** Kernel submission on WQ {@code wq}: MOVDIR64B on a dedicated WQ, ENQCMDS (unlimited portal) on a shared. */
    public PortalResult submitKernel(int wq, Descriptor d, boolean dedicated) {
        return dev.portalWrite(unlimitedPortal(wq), d.segment(), d.offset(),
            dedicated ? PortalInstruction.MOVDIR64B : PortalInstruction.ENQCMDS, -1);
    }

    /** User submission by {@code process}: ENQCMD on a shared WQ's limited portal, MOVDIR64B on a dedicated WQ. */
    public PortalResult submitUser(int wq, Descriptor d, GuestProcess process, boolean dedicated) {
        return dedicated
            ? dev.portalWrite(unlimitedPortal(wq), d.segment(), d.offset(), PortalInstruction.MOVDIR64B, -1)
            : dev.portalWrite(PortalLayout.limited(wq), d.segment(), d.offset(), PortalInstruction.ENQCMD,
                process.pasid());
    }

    /** Submits until accepted (ENQCMD retry loop). */
    public PortalResult submitUserRetrying(int wq, Descriptor d, GuestProcess process, long timeoutNanos) {
        final long deadline = System.nanoTime() + timeoutNanos;
        PortalResult r;
        while ((r = submitUser(wq, d, process, false)) == PortalResult.RETRY) {
            pause(deadline, "a WQ slot");
        }
        return r;
    }

    private static long unlimitedPortal(int wq) {
        return PortalLayout.unlimited(wq);
    }

    // ---- interrupts and page requests (IRQ thread)

    private void interrupt(int vector, long address, int data) {
        final int v = data - MSI_DATA_BASE;
        if (address != MSI_ADDRESS || v != vector || v < 0 || v >= interrupts.length()) {
            return; // not a message this driver programmed
        }
        if (v == 0) {
            miscInterrupt();
        }
        interrupts.incrementAndGet(v);
    }

    private void miscInterrupt() {
        final long cause = read(Bar0Layout.INTCAUSE, 4);
        if ((cause & Bar0Layout.INTCAUSE_SOFTWARE_ERROR) != 0) {
            checkSwerr();
        }
        write(Bar0Layout.INTCAUSE, 4, cause);
        if ((cause & Bar0Layout.INTCAUSE_HANDLE_REVOKED) != 0) {
            revocations++;
            for (int q = 0; q < wqEnabled.length; q++) {
                if (wqEnabled[q]) {
                    requestHandle(q);
                }
            }
        }
    }

    private void pageRequest(PageRequest r) {
        pageRequests.add(r);
        final GuestProcess p = processes.get(r.pasid());
        final int code = p == null ? PageRequest.RESPONSE_INVALID_REQUEST : p.resolve(r);
        guest.iommu().pageResponse(r.pasid(), r.groupIndex(), code);
    }

    /** Interrupts received on {@code vector}. */
    public long interrupts(int vector) {
        return interrupts.get(vector);
    }

    /** Waits until {@code vector} has fired at least {@code count} times. */
    public boolean awaitInterrupts(int vector, long count, long timeoutNanos) {
        final long deadline = System.nanoTime() + timeoutNanos;
        while (interrupts.get(vector) < count) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(20_000);
        }
        return true;
    }

    /** Page requests the guest's IOMMU delivered to this driver (guest PASIDs), oldest first. */
    public List<PageRequest> pageRequests() {
        synchronized (pageRequests) {
            return List.copyOf(pageRequests);
        }
    }

    public int handleRevocations() {
        return revocations;
    }

    /** Waits for the IRQ thread to finish what it has queued. */
    public void quiesce() {
        try {
            irq.submit(() -> { }).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        dev.msiSink(null);
        guest.iommu().pageRequestHandler(null);
        // as the guest's idxd driver unbinds: WQs disabled (drained) before the PASIDs they run with are freed (the
        // virtual IOMMU refuses to free a PASID an enabled dedicated WQ is programmed with)
        final boolean live = (cfgRead(PciConfigLayout.COMMAND, 2) & PciConfigLayout.COMMAND_MEMORY_SPACE) != 0
            && (read(Bar0Layout.GENSTS, 4) & Bar0Layout.GENSTS_STATE_MASK) == Bar0Layout.GENSTS_ENABLED
            && !CmdLayout.active(read(Bar0Layout.CMDSTS, 4)); // reset or unplugged: nothing runs
        for (int wq = 0; live && wq < wqEnabled.length; wq++) {
            if (wqEnabled[wq]) {
                try {
                    disableWq(wq);
                } catch (RuntimeException e) {
                    // the device is gone or reset already: nothing runs on it
                }
            }
        }
        for (GuestProcess p : processes.values()) {
            p.close();
        }
        irq.shutdownNow();
        arena.close();
    }
}
