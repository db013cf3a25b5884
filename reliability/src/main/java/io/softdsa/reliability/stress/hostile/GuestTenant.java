package io.softdsa.reliability.stress.hostile;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.iommu.PageRequest;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.PortalLayout;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VirtualDsa;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A guest process using its guest's virtual DSA, one guest process per generation. On the shared virtual WQ (block
 * on fault) its destination pages are mapped by the guest's page-request handler, which here is hostile: it throws,
 * drops requests (never answers), or — in the stall victim — never returns. The guest's MSI sink is hostile too:
 * it throws, calls back into its device (register reads and writes, a portal store), or blocks. On the dedicated
 * virtual WQ (PASID of one guest process) the guest frees that PASID while the WQ is enabled and keeps submitting,
 * resets its device with work queued and brings it up again, and cycles its WQ (disable, WQCFG, enable).
 */
final class GuestTenant extends Tenant {
    private static final long ONE_MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final GuestDomain guest;
    private final VirtualDsa dev;
    private final GuestDriver driver;
    private final boolean dedicated;
    private final boolean prBlockVictim;
    private final boolean msiBlockVictim;
    private volatile GuestProcess process;
    private GuestSpace gs;
    private long generationEnds;
    private int swerrSeen;

    GuestTenant(int id, HostileContext ctx, SplittableRandom r, GuestDomain guest, VirtualDsa dev, boolean dedicated,
                boolean prBlockVictim, boolean msiBlockVictim) {
        super(id, guest.name() + (dedicated ? "-dwq" : "-swq"), ctx, r);
        this.guest = guest;
        this.dev = dev;
        this.dedicated = dedicated;
        this.prBlockVictim = prBlockVictim;
        this.msiBlockVictim = msiBlockVictim;
        this.driver = new GuestDriver(dev, guest);
        bringUp();
        dev.msiSink(this::msi);
        guest.iommu().pageRequestHandler(this::pageRequest);
    }

    private void bringUp() {
        ctx.pasids.lock();
        try {
            driver.bringUp(true, DeviceSetup.oneGroup(1, dedicated ? WqSetup.dedicatedKernel(0, 16, 0)
                : WqSetup.shared(0, 16, 0).withBlockOnFault(true).withLimits(20, 5)));
        } finally {
            ctx.pasids.changed("bring-up of " + name);
        }
    }

    GuestDriver driver() {
        return driver;
    }

    @Override
    boolean blockOnFault() {
        return !dedicated;
    }

    @Override
    boolean blockOnFaultOrResume() {
        return !dedicated;
    }

    @Override
    boolean open() {
        ctx.pasids.lock();
        final GuestProcess p;
        try {
            p = driver.newProcess(name + "." + (generation + 1));
        } finally {
            ctx.pasids.changed("new process in " + name);
        }
        if (dedicated) {
            driver.assignDedicatedWq(0, p);
            ctx.attacks().count(Attacks.Kind.GUEST_WQ_CYCLE);
        }
        gs = new GuestSpace(name, guest, p);
        process = p;
        swerrSeen = dev.swerrHistory().size();
        if (!layout(gs)) {
            endProcess(p);
            space = null;
            return false;
        }
        generationEnds = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000 + r.nextInt(2500));
        return true;
    }

    private void endProcess(GuestProcess p) {
        ctx.pasids.lock();
        try {
            p.close();
        } catch (RuntimeException e) {
            // the PASID was already freed by the attack
        } finally {
            ctx.pasids.changed("guest process exit in " + name);
        }
        gs.exited();
    }

    @Override
    int store(Descriptor desc) {
        final GuestProcess p = process;
        if (p == null) {
            return FAULTED;
        }
        final PortalResult res = driver.submitUser(0, desc, p, dedicated);
        return switch (res) {
            case ACCEPTED, POSTED -> ACCEPTED;
            case RETRY -> RETRY;
            default -> FAULTED;
        };
    }

    @Override
    int interruptHandle() {
        return ThreadLocalRandom.current().nextBoolean() ? driver.interruptHandle(0) : -1;
    }

    @Override
    int foreignHandle() {
        return ThreadLocalRandom.current().nextInt(3) == 0 ? 0 : ThreadLocalRandom.current().nextInt(1, 64);
    }

    @Override
    boolean between() {
        if (System.nanoTime() - generationEnds < 0 || !ctx.running() || !ctx.attacksOn) {
            return false;
        }
        if (!dedicated) {
            ctx.attacks().count(Attacks.Kind.PROCESS_EXIT_WITH_WORK_QUEUED);
            close("guest process exit with work queued");
            return true;
        }
        final int pick = r.nextInt(3);
        switch (pick == 0 && !ctx.on(Attacks.Kind.GUEST_FREES_DWQ_PASID) ? 2
            : pick == 1 && !ctx.on(Attacks.Kind.GUEST_RESET_CYCLE) ? 2 : pick) {
            case 0 -> freeDwqPasid();
            case 1 -> {
                ctx.attacks().count(Attacks.Kind.GUEST_RESET_CYCLE);
                lastAttack = "guest reset with work queued";
                final GuestProcess p = process;
                abandon();
                process = null;
                try {
                    bringUp();
                } catch (RuntimeException e) {
                    ctx.violations().violated(Violations.Invariant.PROGRESS, name + ": bring-up after reset failed: " + e);
                }
                endProcess(p);
            }
            default -> {
                ctx.attacks().count(Attacks.Kind.GUEST_WQ_CYCLE);
                lastAttack = "guest WQ cycle with work queued";
                driver.assignDedicatedWq(0, process); // disable (drains), WQCFG, enable
                generationEnds = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000 + r.nextInt(2500));
                return false;
            }
        }
        return true;
    }

    /** Frees the PASID its enabled dedicated WQ runs with, then keeps storing to that WQ for a while. */
    private void freeDwqPasid() {
        final GuestProcess p = process;
        ctx.attacks().count(Attacks.Kind.GUEST_FREES_DWQ_PASID);
        lastAttack = "guest freed the PASID of its enabled dedicated WQ";
        boolean freed = true;
        ctx.pasids.lock();
        try {
            guest.iommu().freePasid(p.pasid());
        } catch (RuntimeException e) {
            freed = false;
            ctx.attacks().count(Attacks.Kind.GUEST_FREE_REFUSED);
        } finally {
            ctx.pasids.changed("guest " + name + " freed its DWQ PASID");
        }
        abandon();
        if (freed) {
            // what it stores now names no PASID of its own: it must run nowhere (or be refused)
            final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            int i = 0;
            while (System.nanoTime() - until < 0 && ctx.running()) {
                d.clear().opcode(0x04).flags(0x04 | 0x08).completionAddress(recordsVa + 32L * (i % RECORDS))
                    .fillPattern(((long) id << 56) | 0xF3EE_0000L | i).destination(dstVa[i % SLOTS])
                    .transferSize(64 + (i % 4) * 1024L);
                driver.submitUser(0, d, p, true);
                i++;
                LockSupport.parkNanos(ONE_MS);
            }
        }
        process = null;
        endProcess(p);
    }

    @Override
    void close(String how) {
        final GuestProcess p = process;
        abandon();
        process = null;
        if (p != null) {
            endProcess(p);
        }
    }

    @Override
    boolean dropped(long recordVa) {
        if (!dedicated) {
            return false;
        }
        final List<SwerrEntry> h = dev.swerrHistory();
        for (int i = swerrSeen; i < h.size(); i++) {
            final SwerrEntry e = h.get(i);
            final long cr = MemorySegment.ofArray(e.descriptor()).get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
            if (cr == recordVa && (e.errorCode() == 0x30 || e.errorCode() == 0x31)) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- hostile guest code (any thread)

    private void msi(int vector, long address, int data) {
        final ThreadLocalRandom tr = ThreadLocalRandom.current();
        if (!ctx.attacksOn) {
            return;
        }
        if (msiBlockVictim && ctx.on(Attacks.Kind.MSI_BLOCK) && !stalled && System.nanoTime() - ctx.startedAt > (ctx.stopAt - ctx.startedAt) * 3 / 5) {
            stalled = true;
            lastAttack = "MSI sink blocks";
            ctx.attacks().count(Attacks.Kind.MSI_BLOCK);
            ctx.blockForTheRun();
            return;
        }
        final int k = tr.nextInt(100);
        if (k < 6 && ctx.on(Attacks.Kind.MSI_THROW)) {
            ctx.attacks().count(Attacks.Kind.MSI_THROW);
            lastAttack = "MSI sink throws";
            ctx.hostileThrow(k / 2, "MSI");
        } else if (k >= 6 && k < 10 && ctx.on(Attacks.Kind.MSI_CALLBACK)) {
            ctx.attacks().count(Attacks.Kind.MSI_CALLBACK);
            lastAttack = "MSI sink called back into its device";
            dev.mmioRead(0, 0x98, 4); // INTCAUSE
            dev.mmioWrite(0, 0x98, 4, 0xFFFF_FFFFL);
            final Descriptor x = Descriptor.allocate(java.lang.foreign.Arena.ofAuto());
            x.clear().opcode(0x00);
            final GuestProcess p = process;
            if (p != null && !dedicated) {
                dev.portalWrite(PortalLayout.limited(0), x.segment(), 0, PortalInstruction.ENQCMD, p.pasid());
            }
        }
    }

    private void pageRequest(PageRequest gr) {
        ctx.pageRequests.increment();
        final ThreadLocalRandom tr = ThreadLocalRandom.current();
        if (prBlockVictim && ctx.on(Attacks.Kind.GUEST_PR_BLOCK) && !stalled && System.nanoTime() - ctx.startedAt > (ctx.stopAt - ctx.startedAt) * 2 / 5) {
            stalled = true;
            lastAttack = "guest page-request handler never returns";
            ctx.attacks().count(Attacks.Kind.GUEST_PR_BLOCK);
            ctx.blockForTheRun();
            return;
        }
        final int k = ctx.attacksOn ? tr.nextInt(100) : 99;
        if (k < 4 && ctx.on(Attacks.Kind.GUEST_PR_THROW)) {
            ctx.attacks().count(Attacks.Kind.GUEST_PR_THROW);
            lastAttack = "guest page-request handler throws";
            ctx.hostileThrow(k, "guest page-request");
        }
        if (k >= 4 && k < 7 && ctx.on(Attacks.Kind.GUEST_PR_NO_RESPONSE)) {
            ctx.attacks().count(Attacks.Kind.GUEST_PR_NO_RESPONSE);
            lastAttack = "guest page request never answered";
            return;
        }
        // the guest kernel's fault path, off the caller's thread (as the driver's IRQ thread would)
        ctx.later.execute(() -> {
            final TenantSpace s = space;
            final int slot = slotOfDestination(gr.pageAddress() & -PAGE);
            int code = PageRequest.RESPONSE_INVALID_REQUEST;
            if (s != null && slot >= 0 && holdForHandler(slot)) { // else stale: its slot's descriptor ended
                try {
                    if (mapDestination(s, gr.pageAddress())) {
                        code = PageRequest.RESPONSE_SUCCESS;
                    }
                } finally {
                    releaseFromHandler(slot);
                }
            }
            guest.iommu().pageResponse(gr.pasid(), gr.groupIndex(), code);
        });
    }

    @Override
    void finish() {
    }

    void closeAll() {
        try {
            driver.close();
        } catch (RuntimeException ignored) {
            // teardown of a hostile guest
        }
    }
}
