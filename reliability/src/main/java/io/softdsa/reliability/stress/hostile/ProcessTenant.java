package io.softdsa.reliability.stress.hostile;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.iommu.PageRequest;
import io.softdsa.iommu.PageRequestHandler.PageResponder;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.userspace.DsaOpenException;
import io.softdsa.mdev.userspace.UserPortal;
import io.softdsa.mdev.userspace.UserProcess;
import io.softdsa.mdev.userspace.UserspaceDmaDriver;
import io.softdsa.mdev.userspace.WqFile;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A user process of the userspace-DMA interface, one process per generation: it opens the shared WQ (block on
 * fault, its destination pages mapped lazily by its own page-request handler) or the dedicated WQ, and ends each
 * generation hostilely — exiting with work queued (the next process gets the freed PASID and the same virtual
 * layout), or, on the dedicated WQ, closing its file while another thread keeps storing to the old portal. Its
 * page-request handler maps the faulted page most of the time and otherwise throws (RuntimeException,
 * AssertionError, OutOfMemoryError), answers late from another thread, unmaps the very page it just mapped,
 * unmaps and remaps (poisoning the old frames) the descriptor's other pages, calls back into the device, or — in the
 * one tenant chosen as the stall victim — blocks for the rest of the run.
 */
final class ProcessTenant extends Tenant {
    private final HostDsa host;
    private final UserspaceDmaDriver driver;
    private final boolean dedicated;
    private final boolean stallVictim;
    private final String path;
    private UserProcess process;
    private WqFile file;
    private volatile UserPortal portal;
    private HostSpace hs;
    private long generationEnds;
    private int swerrSeen;

    ProcessTenant(int id, HostileContext ctx, SplittableRandom r, HostDsa host, UserspaceDmaDriver driver,
                  boolean dedicated, boolean stallVictim) {
        super(id, (dedicated ? "dwq-process" : "process") + id, ctx, r);
        this.host = host;
        this.driver = driver;
        this.dedicated = dedicated;
        this.stallVictim = stallVictim;
        this.path = dedicated ? "/dev/dsa/wq0.1" : "/dev/dsa/wq0.0";
    }

    @Override
    boolean blockOnFault() {
        return !dedicated;
    }

    @Override
    boolean open() {
        ctx.pasids.lock();
        final UserProcess p;
        try {
            p = driver.spawn(name + "." + (generation + 1));
            if (ctx.freedPasids.remove(p.pasid())) {
                ctx.attacks().count(Attacks.Kind.PASID_REUSED);
            }
            host.pasidOwner(p.pasid(), this::pageRequest);
        } finally {
            ctx.pasids.changed("spawn of " + name);
        }
        try {
            file = driver.open(p, path);
        } catch (DsaOpenException e) {
            exit(p, "open failed: " + e.errno());
            return false;
        }
        process = p;
        hs = new HostSpace(name + " gen " + (generation + 1) + " (PASID " + p.pasid() + ")", p.addressSpace(),
            ctx.pool, host.memory().segment(), ctx.violations());
        portal = file.portal();
        swerrSeen = driver.errors(1).size();
        if (!layout(hs)) {
            hs.exiting();
            exit(p, "no memory");
            hs.exited("no memory");
            space = null;
            return false;
        }
        ctx.spaces.add(hs);
        generationEnds = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700 + r.nextInt(2000));
        return true;
    }

    private void exit(UserProcess p, String how) {
        ctx.pasids.lock();
        try {
            final int pasid = p.pasid();
            p.close();
            ctx.freedPasids.add(pasid);
        } finally {
            ctx.pasids.changed("exit of " + name + " (" + how + ")");
        }
    }

    @Override
    int store(Descriptor desc) {
        try {
            return portal.submit(desc) ? ACCEPTED : RETRY;
        } catch (IllegalStateException e) {
            ctx.attacks().count(Attacks.Kind.STORE_AFTER_CLOSE_FAULTED);
            return FAULTED;
        }
    }

    @Override
    boolean between() {
        if (System.nanoTime() - generationEnds < 0 || !ctx.running() || !ctx.attacksOn) {
            return false;
        }
        if (dedicated) {
            if (!ctx.on(Attacks.Kind.DWQ_REOPEN_RACING_PORTAL)) {
                return false;
            }
            closeRacingPortal();
        } else {
            if (!ctx.on(Attacks.Kind.PROCESS_EXIT_WITH_WORK_QUEUED)) {
                return false;
            }
            ctx.attacks().count(Attacks.Kind.PROCESS_EXIT_WITH_WORK_QUEUED);
            close("exit with " + inFlight() + " descriptors queued");
        }
        return true;
    }

    /** The dedicated WQ's owner closes its file while another thread keeps storing to the portal it mapped. */
    private void closeRacingPortal() {
        ctx.attacks().count(Attacks.Kind.DWQ_REOPEN_RACING_PORTAL);
        final UserPortal old = portal;
        final long target = dstVa[0];
        final long rec = recordsVa + 32L * (RECORDS - 1);
        final Thread racer = Thread.ofPlatform().daemon().name(name + "-racer").start(() -> {
            final Descriptor x = Descriptor.allocate(java.lang.foreign.Arena.ofAuto());
            for (int i = 0; i < 64; i++) {
                x.clear().opcode(0x04).flags(0x04 | 0x08).completionAddress(rec)
                    .fillPattern(((long) id << 56) | 0xDEAD_0000L | i).destination(target).transferSize(64);
                try {
                    old.movdir64b(x);
                } catch (IllegalStateException e) {
                    ctx.attacks().count(Attacks.Kind.STORE_AFTER_CLOSE_FAULTED);
                    return;
                }
                Thread.onSpinWait();
            }
        });
        close("dedicated WQ file closed under a storing thread");
        try {
            racer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    void close(String how) {
        final UserProcess p = process;
        final HostSpace s = hs;
        abandon();
        process = null;
        if (p == null) {
            return;
        }
        ctx.spaces.remove(s);
        s.exiting();
        exit(p, how);
        s.exited(how);
    }

    @Override
    boolean dropped(long recordVa) {
        if (!dedicated) {
            return false;
        }
        final List<SwerrEntry> errors = driver.errors(1);
        final UserProcess p = process;
        for (int i = swerrSeen; i < errors.size(); i++) {
            final SwerrEntry e = errors.get(i);
            final long cr = MemorySegment.ofArray(e.descriptor()).get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
            if (cr == recordVa && p != null && e.pasid() == p.pasid()
                && (e.errorCode() == 0x30 || e.errorCode() == 0x31)) {
                return true;
            }
        }
        return false;
    }

    @Override
    int foreignHandle() {
        return ThreadLocalRandom.current().nextInt(4) == 0 ? ThreadLocalRandom.current().nextInt(1, 2048) : 0;
    }

    @Override
    void finish() {
        // the process is left running for the final check; HostileRun closes it
    }

    UserProcess process() {
        return process;
    }

    HostSpace hostSpace() {
        return hs;
    }

    // ---------------------------------------------------------------- its page-request handler (any thread)

    private void pageRequest(PageRequest request, PageResponder responder) {
        ctx.pageRequests.increment();
        final HostSpace s = hs;
        final long page = request.pageAddress() & -PAGE;
        final ThreadLocalRandom tr = ThreadLocalRandom.current();
        if (s == null || space != s) {
            responder.respond(PageRequest.RESPONSE_INVALID_REQUEST);
            return;
        }
        final int slot = slotOfDestination(page);
        if (stallVictim && ctx.on(Attacks.Kind.PR_BLOCK) && !stalled && System.nanoTime() - ctx.startedAt > (ctx.stopAt - ctx.startedAt) / 3) {
            stalled = true;
            lastAttack = "page-request handler blocks";
            ctx.attacks().count(Attacks.Kind.PR_BLOCK);
            ctx.blockForTheRun();
            responder.respond(PageRequest.RESPONSE_INVALID_REQUEST);
            return;
        }
        final int k = ctx.attacksOn ? tr.nextInt(100) : 99;
        if (k < 6) {
            final Attacks.Kind kind = k < 2 ? Attacks.Kind.PR_THROW_RUNTIME : k < 4 ? Attacks.Kind.PR_THROW_ASSERTION
                : Attacks.Kind.PR_THROW_OOM;
            if (ctx.on(kind)) {
                ctx.attacks().count(kind);
                lastAttack = kind.name();
                ctx.hostileThrow(k / 2, "page-request");
            }
        }
        final UserProcess owner = process;
        if (slot < 0 || owner == null || request.pasid() != owner.pasid() || !holdForHandler(slot)) {
            responder.respond(PageRequest.RESPONSE_INVALID_REQUEST); // stale: not this generation's, or its slot ended
            return;
        }
        try {
            answer(s, slot, page, k, tr, responder);
        } finally {
            releaseFromHandler(slot);
        }
    }

    /** The handler's work on a slot it holds ({@link #holdForHandler}). */
    private void answer(HostSpace s, int slot, long page, int k, ThreadLocalRandom tr, PageResponder responder) {
        if (!mapDestination(s, page)) {
            responder.respond(PageRequest.RESPONSE_INVALID_REQUEST);
            return;
        }
        if (k < 14 && ctx.on(Attacks.Kind.PR_LATE_RESPONSE)) {
            ctx.attacks().count(Attacks.Kind.PR_LATE_RESPONSE);
            ctx.later.schedule(() -> responder.respond(PageRequest.RESPONSE_SUCCESS), 1 + tr.nextInt(3),
                TimeUnit.MILLISECONDS);
            return;
        }
        if (k >= 14 && k < 20 && ctx.on(Attacks.Kind.PR_UNMAP_REMAP_OTHERS)) {
            ctx.attacks().count(Attacks.Kind.PR_UNMAP_REMAP_OTHERS);
            ctx.attacks().count(Attacks.Kind.POISON_REMAP);
            lastAttack = "page-request handler poisoned and remapped the descriptor's other pages";
            remapOthers(s, slot, page);
        } else if (k >= 20 && k < 25 && ctx.on(Attacks.Kind.PR_CALLBACK)) {
            ctx.attacks().count(Attacks.Kind.PR_CALLBACK);
            lastAttack = "page-request handler called back into the device";
            callback(s, slot, page);
        }
        final boolean unmapAfter = k >= 25 && k < 31 && ctx.on(Attacks.Kind.PR_UNMAP_FAULTED_PAGE);
        if (unmapAfter) {
            // before the response: the descriptor may complete the moment it is answered, and the tenant reads
            // tampered after its record (the response happens-before the engine's record release, the tenant's
            // acquire of the status after it); set after the response, a verify could meet the unmap unwarned
            tampered[slot] = true;
        }
        responder.respond(PageRequest.RESPONSE_SUCCESS);
        if (unmapAfter) {
            ctx.attacks().count(Attacks.Kind.PR_UNMAP_FAULTED_PAGE);
            lastAttack = "page-request handler unmapped the page it had just mapped";
            s.unmap(page, "unmapped by the page-request handler right after its response");
        }
    }

    /** From the handler: a no-op submitted through the tenant's own portal, and an IOTLB invalidation. */
    private void callback(HostSpace s, int slot, long page) {
        final UserPortal p = portal;
        final Descriptor x = Descriptor.allocate(java.lang.foreign.Arena.ofAuto());
        x.clear().opcode(0x00); // no record: nothing to account for, the store itself is the attack
        try {
            if (p != null && !dedicated) {
                p.enqcmd(x);
            }
        } catch (IllegalStateException ignored) {
            // the file was closed meanwhile
        }
        remapOthers(s, slot, page); // unmap = IOTLB invalidation from inside the handler
    }
}
