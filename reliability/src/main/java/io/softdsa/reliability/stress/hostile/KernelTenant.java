package io.softdsa.reliability.stress.hostile;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.portal.Portal;

import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The host kernel as a tenant of a kernel shared WQ, with its own PASID and completion interrupts on handles of its
 * own (the WQ carries its owner tag). Its interrupt handler is the embedder code under attack: most interrupts are
 * counted, the others throw (RuntimeException, AssertionError, OutOfMemoryError), unmap a page of the kernel's space
 * (an IOTLB invalidation from inside the handler), submit a descriptor, or — once, past half the run — block for the
 * rest of it (the kernel is then the stalled tenant).
 */
final class KernelTenant extends Tenant {
    static final int HANDLES = 4;

    private final HostDsa host;
    private final int wq;
    private final boolean blockVictim;
    private final Object owner = new Object();
    private final int[] handles = new int[HANDLES];
    private final AtomicLongArray rciAccepted = new AtomicLongArray(HANDLES);
    private final AtomicLongArray invocations = new AtomicLongArray(HANDLES);
    private int pasid = -1;
    private HostSpace hs;
    private Portal portal;
    private long scratchVa;

    KernelTenant(int id, HostileContext ctx, SplittableRandom r, HostDsa host, int wq, boolean blockVictim) {
        super(id, "kernel" + id, ctx, r);
        this.host = host;
        this.wq = wq;
        this.blockVictim = blockVictim;
        for (int i = 0; i < HANDLES; i++) {
            handles[i] = host.interruptHandles().allocate(owner, this::onInterrupt);
        }
        host.device().wq(wq).interruptOwner(host.interruptHandles().tag(owner));
    }

    int handle(int i) {
        return handles[i];
    }

    @Override
    boolean blockOnFault() {
        return false;
    }

    @Override
    boolean blockOnFaultOrResume() {
        return false;
    }

    @Override
    boolean open() {
        if (pasid < 0) {
            ctx.pasids.lock();
            try {
                pasid = host.allocatePasid();
                hs = new HostSpace(name + " (PASID " + pasid + ")", host.iommu().bind(pasid), ctx.pool,
                    host.memory().segment(), ctx.violations());
            } finally {
                ctx.pasids.changed("kernel PASID bound");
            }
            portal = host.device().wq(wq).portal().boundTo(pasid);
            scratchVa = hs.addressSpace().reserve(PAGE, AddressSpace.PageSize.SIZE_4K);
            hs.mapFresh(scratchVa);
            ctx.spaces.add(hs);
        }
        return layout(hs);
    }

    @Override
    int store(Descriptor d) {
        return portal.enqcmd(d) ? ACCEPTED : RETRY;
    }

    @Override
    void close(String how) {
        abandon();
    }

    @Override
    boolean between() {
        return false;
    }

    @Override
    int interruptHandle() {
        return handles[ThreadLocalRandom.current().nextInt(HANDLES)];
    }

    @Override
    void accepted(int h) {
        for (int i = 0; i < HANDLES; i++) {
            if (handles[i] == h) {
                rciAccepted.incrementAndGet(i);
            }
        }
    }

    private void onInterrupt(int handle) {
        int i = 0;
        while (i < HANDLES && handles[i] != handle) {
            i++;
        }
        if (i == HANDLES) {
            ctx.violations().violated(Violations.Invariant.INTERRUPTS, name + ": handler called for handle " + handle);
            return;
        }
        invocations.incrementAndGet(i);
        final ThreadLocalRandom tr = ThreadLocalRandom.current();
        if (!ctx.attacksOn) {
            return;
        }
        if (blockVictim && ctx.on(Attacks.Kind.IRQ_BLOCK) && !stalled && System.nanoTime() - ctx.startedAt > (ctx.stopAt - ctx.startedAt) / 2) {
            stalled = true;
            lastAttack = "interrupt handler blocks";
            ctx.attacks().count(Attacks.Kind.IRQ_BLOCK);
            ctx.blockForTheRun();
            return;
        }
        final int k = tr.nextInt(100);
        final Attacks.Kind kind = k < 2 ? Attacks.Kind.IRQ_THROW_RUNTIME : k < 4 ? Attacks.Kind.IRQ_THROW_ASSERTION
            : Attacks.Kind.IRQ_THROW_OOM;
        if (k < 6 && ctx.on(kind)) {
            ctx.attacks().count(kind);
            lastAttack = kind.name();
            ctx.hostileThrow(k / 2, "interrupt");
        } else if (k >= 6 && k < 9 && ctx.on(Attacks.Kind.IRQ_UNMAP)) {
            ctx.attacks().count(Attacks.Kind.IRQ_UNMAP);
            lastAttack = "interrupt handler unmapped a page";
            hs.remap(scratchVa, "remapped by the kernel's interrupt handler");
        } else if (k >= 9 && k < 11 && ctx.on(Attacks.Kind.IRQ_CALLBACK)) {
            ctx.attacks().count(Attacks.Kind.IRQ_CALLBACK);
            lastAttack = "interrupt handler submitted a descriptor";
            final Descriptor x = Descriptor.allocate(java.lang.foreign.Arena.ofAuto());
            portal.enqcmd(x.clear().opcode(0x00));
        }
    }

    /** Interrupts must only come from this tenant's own descriptors. */
    void checkInterrupts() {
        for (int i = 0; i < HANDLES; i++) {
            final long raised = host.interruptHandles().count(handles[i]);
            if (raised > rciAccepted.get(i) || invocations.get(i) > rciAccepted.get(i)) {
                ctx.violations().violated(Violations.Invariant.INTERRUPTS, name + ": handle " + handles[i]
                    + " raised " + raised + " times (handler " + invocations.get(i) + "), for "
                    + rciAccepted.get(i) + " own descriptors asking for it");
            }
        }
    }

    long interruptsRequested() {
        long n = 0;
        for (int i = 0; i < HANDLES; i++) {
            n += rciAccepted.get(i);
        }
        return n;
    }

    long interruptsHandled() {
        long n = 0;
        for (int i = 0; i < HANDLES; i++) {
            n += invocations.get(i);
        }
        return n;
    }
}
