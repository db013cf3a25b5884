package io.softdsa.mdev.host;

import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.completion.SwerrLayout;
import io.softdsa.device.WorkQueue;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.PageRequest;
import io.softdsa.iommu.PageRequestService;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.memory.HostMemory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host kernel's side of one DSA: the device over a scalable-mode IOMMU, brought up from an accel-config style
 * configuration, and the bookkeeping both the userspace-DMA driver and the virtual devices need — who owns which WQ
 * (accel-config {@code type}: {@code user} WQs go to the userspace-DMA driver, {@code mdev} WQs to virtual devices,
 * which enable them themselves), host PASIDs, the interrupt-handle pool, and routing of SWERR entries (by WQ) and
 * page requests (by PASID) to their owners. Entries nobody owns stay in the host's own log.
 */
public final class HostDsa implements AutoCloseable {
    public static final String TYPE_USER = "user";
    public static final String TYPE_MDEV = "mdev";
    public static final String TYPE_KERNEL = "kernel";
    /** Interrupt table size the host asks for: room for an IMS-like pool of guest handles. */
    public static final int INTERRUPT_HANDLES = 2048;

    private final HostMemory memory;
    private final ScalableModeIommu iommu;
    private final Device device;
    private final InterruptHandles handles;
    private final ConcurrentHashMap<Integer, WqOwner> wqOwners = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, PasidOwner> pasidOwners = new ConcurrentHashMap<>();
    private final java.util.Map<PasidOwner, PageRequestService.Owner> requestOwners =
        java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());
    private final List<SwerrEntry> hostLog = new ArrayList<>();
    private volatile boolean closed;

    private HostDsa(HostMemory memory, DeviceConfig config, DeviceOptions options) {
        this.memory = memory;
        this.iommu = new ScalableModeIommu(memory);
        DeviceCapabilities caps = options.capabilities();
        if (caps.interruptHandles() < INTERRUPT_HANDLES) {
            caps = caps.withInterruptHandles(INTERRUPT_HANDLES);
        }
        this.device = Device.create(memory, config, options.capabilities(caps).sva(iommu));
        this.handles = new InterruptHandles(device.interrupts());
        device.swerr().listener(this::route);
        iommu.pageRequests().handler(this::route);
        device.enable();
        for (WorkQueue wq : device.workQueues()) {
            final WqConfig c = wq.config();
            if (c.groupId() >= 0 && !TYPE_MDEV.equals(c.type())) {
                wq.enable();
            }
        }
    }

    /** Brings the device up from {@code config} with default options (an engine thread each). */
    public static HostDsa start(HostMemory memory, DeviceConfig config) {
        return start(memory, config, DeviceOptions.defaults());
    }

    /**
     * Brings the device up: the device is enabled, then every configured WQ except the {@code mdev} ones. The IOMMU
     * is always a fresh {@link ScalableModeIommu} over {@code memory} (the options' IOMMU is replaced).
     */
    public static HostDsa start(HostMemory memory, DeviceConfig config, DeviceOptions options) {
        return new HostDsa(memory, config, options);
    }

    /** Brings device {@code devName} ("dsa0") up from an accel-config saved configuration (JSON). */
    public static HostDsa start(HostMemory memory, java.nio.file.Path accelConfigJson, String devName) {
        return start(memory, io.softdsa.accelconfig.AccelConfigJson.loadDevice(accelConfigJson, devName));
    }

    public HostMemory memory() {
        return memory;
    }

    public ScalableModeIommu iommu() {
        return iommu;
    }

    public Device device() {
        return device;
    }

    public InterruptHandles interruptHandles() {
        return handles;
    }

    // ---- WQ ownership

    /** WQ indexes whose accel-config type is {@code type}, configured (size > 0, in a group). */
    public List<Integer> wqsOfType(String type) {
        final List<Integer> out = new ArrayList<>();
        for (WorkQueue wq : device.workQueues()) {
            if (type.equals(wq.config().type()) && wq.config().groupId() >= 0) {
                out.add(wq.index());
            }
        }
        return out;
    }

    /**
     * Assigns host WQ {@code index} to {@code owner}; false if someone else holds it. The WQ then carries the owner's
     * interrupt tag: its descriptors (batch-inner ones too) can raise only handles allocated to that owner.
     */
    public boolean claimWq(int index, WqOwner owner) {
        final WorkQueue wq = device.wq(index);
        if (wqOwners.putIfAbsent(index, owner) != null) {
            return false;
        }
        wq.interruptOwner(handles.tag(owner));
        return true;
    }

    public void releaseWq(int index, WqOwner owner) {
        if (wqOwners.remove(index, owner)) {
            device.wq(index).interruptOwner(InterruptHandles.hostTag());
        }
    }

    public WqOwner wqOwner(int index) {
        return wqOwners.get(index);
    }

    // ---- PASIDs
    //
    // Lifecycle (fact sheet section 13, as Linux idxd does on release): IN_USE from allocatePasid; retirePasid or
    // freePasid moves it to QUARANTINE (no new pin, no page-request owner); freePasid aborts it on every shared WQ
    // (Abort PASID: queued descriptors discarded and reported in SWERR, running ones waited for), unbinds it (IOTLB
    // invalidated before that returns), and gives it back to the allocator only once no dedicated WQ is still
    // programmed with it (pins): the last unpinPasid releases it then. The IOMMU's allocator holds a quarantined
    // PASID back (ScalableModeIommu.quarantinePasid), so it cannot be handed out in between.

    /** A host PASID of this host between allocation and its return to the allocator. Guarded by {@link #pasids}. */
    private static final class PasidState {
        int pins;
        boolean quarantined;
        boolean freeing;
        boolean quiesced;
    }

    private final java.util.HashMap<Integer, PasidState> pasids = new java.util.HashMap<>();

    /** A fresh host PASID (the IOMMU's PASID space). */
    public int allocatePasid() {
        final int p = iommu.allocatePasid();
        synchronized (pasids) {
            pasids.put(p, new PasidState());
        }
        return p;
    }

    /**
     * A dedicated WQ is about to be programmed with {@code pasid}: true (and the PASID is pinned until
     * {@link #unpinPasid}) while it is in use, false once it has been freed (quarantined). PASIDs this host did not
     * allocate are not tracked (true, no pin).
     */
    public boolean pinPasid(int pasid) {
        synchronized (pasids) {
            final PasidState st = pasids.get(pasid);
            if (st == null) {
                return !iommu.inQuarantine(pasid);
            }
            if (st.quarantined) {
                return false;
            }
            st.pins++;
            return true;
        }
    }

    /** The dedicated WQ pinned with {@link #pinPasid} was disabled (drained) or reprogrammed. */
    public void unpinPasid(int pasid) {
        synchronized (pasids) {
            final PasidState st = pasids.get(pasid);
            if (st == null || st.pins == 0) {
                return;
            }
            st.pins--;
            releaseIfDone(pasid, st);
        }
    }

    /** Dedicated WQs programmed with {@code pasid} right now (through {@link #pinPasid}). */
    public int pins(int pasid) {
        synchronized (pasids) {
            final PasidState st = pasids.get(pasid);
            return st == null ? 0 : st.pins;
        }
    }

    /** Whether {@code pasid} was freed and is not back in the allocator yet. */
    public boolean inQuarantine(int pasid) {
        synchronized (pasids) {
            final PasidState st = pasids.get(pasid);
            return st != null && st.quarantined;
        }
    }

    /**
     * First step of freeing {@code pasid}: from here on no WQ can be programmed with it and page requests for it are
     * refused. With {@code refuseIfProgrammed}, a PASID a dedicated WQ is still programmed with is not retired
     * (nothing changes) and this throws {@link PasidBusyException}.
     */
    public void retirePasid(int pasid, boolean refuseIfProgrammed) {
        synchronized (pasids) {
            final PasidState st = pasids.get(pasid);
            if (st == null) {
                throw new IllegalArgumentException("PASID " + pasid + " was not allocated by this host");
            }
            if (st.quarantined) {
                return;
            }
            if (refuseIfProgrammed && st.pins > 0) {
                throw new PasidBusyException(pasid, st.pins);
            }
            st.quarantined = true;
        }
        pasidOwners.remove(pasid);
        iommu.pageRequests().refuse(pasid); // its requests fail from now on, and those waiting fail now
    }

    /** Frees a host PASID; its binding and page-request owner go with it (see the lifecycle above). */
    public void freePasid(int pasid) {
        freePasid(pasid, null);
    }

    /**
     * Frees a host PASID: retires it, aborts it on every enabled shared WQ, unbinds it, runs {@code afterUnbind} (the
     * owner's teardown of what the PASID translated to: no engine uses it any more), and gives it back to the
     * allocator once no dedicated WQ is programmed with it.
     */
    public void freePasid(int pasid, Runnable afterUnbind) {
        retirePasid(pasid, false);
        synchronized (pasids) {
            final PasidState st = pasids.get(pasid);
            if (st == null || st.freeing) {
                throw new IllegalStateException("PASID " + pasid + " is already being freed");
            }
            st.freeing = true;
        }
        for (WorkQueue wq : device.workQueues()) {
            // a shared WQ carries the PASID in each descriptor: Abort PASID (a disabled WQ holds nothing)
            if (wq.isEnabled() && wq.pasidEnabled() && !wq.isDedicated()) {
                wq.abortPasid(pasid);
            }
        }
        iommu.quarantinePasid(pasid);
        try {
            if (afterUnbind != null) {
                afterUnbind.run();
            }
        } finally {
            synchronized (pasids) {
                final PasidState st = pasids.get(pasid);
                st.quiesced = true;
                releaseIfDone(pasid, st);
            }
        }
    }

    /** Under {@link #pasids}: back to the allocator once quiesced and no dedicated WQ holds it. */
    private void releaseIfDone(int pasid, PasidState st) {
        if (st.quarantined && st.quiesced && st.pins == 0) {
            pasids.remove(pasid);
            iommu.pageRequests().route(pasid, null); // no longer refused: whoever gets it next routes it
            iommu.releaseQuarantine(pasid);
        }
    }

    /**
     * Page requests for {@code pasid} go to {@code owner}, on the owner's own page-request delivery thread with its
     * own timeout ({@link #pageRequestOwner}): one owner's handler never delays another's.
     */
    public void pasidOwner(int pasid, PasidOwner owner) {
        if (owner == null) {
            pasidOwners.remove(pasid);
            iommu.pageRequests().route(pasid, null);
        } else {
            pasidOwners.put(pasid, owner);
            iommu.pageRequests().route(pasid, pageRequestOwner(owner));
        }
    }

    /** The device-side page-request owner (delivery thread, queue, timeout) of {@code owner}, made on first use. */
    public PageRequestService.Owner pageRequestOwner(PasidOwner owner) {
        return requestOwners.computeIfAbsent(owner, o -> iommu.pageRequests().owner(o.toString(), (request, r) -> {
            if (closed) {
                r.respond(PageRequest.RESPONSE_INVALID_REQUEST);
                return;
            }
            o.pageRequest(request, r);
        }));
    }

    /** Stops {@code owner}'s page-request delivery thread (the owner is gone); its PASIDs should be unrouted first. */
    public void forgetPageRequestOwner(PasidOwner owner) {
        final PageRequestService.Owner o = requestOwners.remove(owner);
        if (o != null) {
            o.close();
        }
    }

    // ---- routing

    private void route(SwerrEntry entry) {
        final WqOwner owner = entry.wqIndex() >= 0 ? wqOwners.get(entry.wqIndex()) : null;
        if (owner != null) {
            try {
                owner.softwareError(entry);
            } catch (RuntimeException ignored) {
                // an owner's failure must not stop the host's error handling
            }
        } else {
            synchronized (hostLog) {
                hostLog.add(entry);
            }
        }
        // the host driver's misc-interrupt handler: the entry is consumed, the latch is freed for the next one
        device.swerr().clear(SwerrLayout.VALID | SwerrLayout.OVERFLOW);
    }

    private void route(PageRequest request, io.softdsa.iommu.PageRequestHandler.PageResponder responder) {
        final PasidOwner owner = pasidOwners.get(request.pasid());
        if (owner == null || closed) {
            responder.respond(PageRequest.RESPONSE_INVALID_REQUEST);
            return;
        }
        owner.pageRequest(request, responder);
    }

    /** SWERR entries for WQs nobody owns (host kernel WQs), oldest first. */
    public List<SwerrEntry> hostLog() {
        synchronized (hostLog) {
            return List.copyOf(hostLog);
        }
    }

    @Override
    public void close() {
        closed = true;
        device.close();
        iommu.pageRequests().close(); // the page-request delivery threads of every owner
    }
}
