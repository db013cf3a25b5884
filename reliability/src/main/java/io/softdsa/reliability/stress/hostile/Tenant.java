package io.softdsa.reliability.stress.hostile;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.memory.Page;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One hostile tenant (a user process, the host kernel, a guest process): a thread that keeps {@value #SLOTS}
 * descriptors in flight through its portal, in generations (a generation is one process or guest process; a new one
 * starts after an exit, a reset, a freed PASID), and checks what it gets back against what it asked for.
 * <ul>
 * <li>Every descriptor carries a unique 64-bit tag (tenant, generation, sequence) as its fill pattern, so a write
 *     found in a tenant's memory names the descriptor that made it.</li>
 * <li>Completion records: each slot takes its records in turn from its own {@value #RECORDS_PER_SLOT} (the last
 *     few of the {@value #RECORDS} are the attacks'), so no two descriptors in flight ever share one however long one
 *     of them waits on a page request; a record is zeroed after its completion was read and must still be zero when
 *     its turn comes again (a second write of a completed descriptor is seen).</li>
 * <li>Every page of a slot's destination region is filled with the tenant's guard byte around the buffer; when idle
 *     the whole region must hold only guard bytes (a write by a descriptor the tenant did not submit is seen).</li>
 * </ul>
 * Subclasses open and close generations, submit, and add their attacks between rounds.
 */
abstract class Tenant implements Runnable {
    static final int SLOTS = 4;
    static final int RECORDS = 64;
    /** Records of one slot: 0..59 belong to the slots, 60..63 to the attacks (a racing portal's stores). */
    static final int RECORDS_PER_SLOT = (RECORDS - 4) / SLOTS;
    static final long PAGE = Page.SIZE;
    static final int REGION_PAGES = 3;
    static final long REGION = REGION_PAGES * PAGE;
    static final int MAX_SIZE = 8192;
    static final int SRC_BYTES = MAX_SIZE + Page.SIZE;

    static final int ACCEPTED = 0;
    static final int RETRY = 1;
    static final int FAULTED = 2;

    private static final int FREE = 0;
    private static final int IN_FLIGHT = 1;

    enum Op { FILL, MEMMOVE, NOOP, BATCH }

    final int id;
    final String name;
    final HostileContext ctx;
    final SplittableRandom r;
    final byte guard;
    private final AtomicLong completions = new AtomicLong();
    /** Nanotime of the last completion (or generation start): the progress monitor reads it (volatile pair). */
    volatile long lastProgress = System.nanoTime();
    /** Set by the tenant's own handler when it blocks: the progress bound no longer applies (volatile pair). */
    volatile boolean stalled;
    volatile String lastAttack = "none";
    /** Set while the tenant waits on purpose (opening, backing off): the monitor does not count it. */
    volatile boolean idle;

    // ---- the current generation (tenant thread; handlers read the region addresses, written before publication)
    volatile TenantSpace space;
    int generation;
    long seq;
    long recordsVa;
    long batchVa;
    final long[] dstVa = new long[SLOTS];
    final long[] srcVa = new long[SLOTS];
    final byte[][] srcBytes = new byte[SLOTS][SRC_BYTES];
    /** Per slot: which of its own records its next descriptor takes. */
    private final int[] nextRecord = new int[SLOTS];

    // ---- slots (tenant thread only)
    private final int[] state = new int[SLOTS];
    private final Op[] op = new Op[SLOTS];
    private final int[] size = new int[SLOTS];
    private final int[] offset = new int[SLOTS];
    private final long[] done = new long[SLOTS];
    private final long[] tag = new long[SLOTS];
    private final int[] record = new int[SLOTS];
    private final long[] submitted = new long[SLOTS];
    private final int[] foreign = new int[SLOTS];
    /**
     * 1 while the slot's descriptor is in flight and open to the remapper thread, 2 while the remapper works on it,
     * 0 while the tenant owns it (preparing, verifying). CAS on both sides: the tenant takes it back (1 -> 0) only
     * when the remapper is not inside it, and then reads {@link #tampered} after the remapper's release (2 -> 1).
     */
    private final java.util.concurrent.atomic.AtomicIntegerArray phase =
        new java.util.concurrent.atomic.AtomicIntegerArray(SLOTS);
    /** What happened to the slot's pages during its descriptor (tenant and handler threads), for violation notes. */
    final StringBuffer[] events = new StringBuffer[SLOTS];
    /** A handler of this tenant changed the slot's pages under the descriptor: its data is not checked. */
    final boolean[] tampered = new boolean[SLOTS];

    private final Arena arena = Arena.ofShared();
    final Descriptor d = Descriptor.allocate(arena);

    Tenant(int id, String name, HostileContext ctx, SplittableRandom r) {
        this.id = id;
        this.name = name;
        this.ctx = ctx;
        this.r = r;
        this.guard = (byte) (0x80 | id);
        for (int i = 0; i < SLOTS; i++) {
            events[i] = new StringBuffer();
        }
    }

    final void event(int slot, String what, long va) {
        if (slot >= 0 && events[slot].length() < 400) {
            events[slot].append(what).append(" +0x").append(Long.toHexString(va - dstVa[slot])).append("; ");
        }
    }

    long completions() {
        return completions.get();
    }

    // ---------------------------------------------------------------- what subclasses provide

    /** Starts a generation (a process, a guest process, an open WQ): sets {@link #space}; false to try later. */
    abstract boolean open();

    /** One portal store: ACCEPTED, RETRY or FAULTED. A posted store (MOVDIR64B) answers ACCEPTED. */
    abstract int store(Descriptor d);

    /** Ends the generation ({@code how} says why); whatever is in flight is abandoned. */
    abstract void close(String how);

    /** Attacks between rounds; may end the generation (then return true). */
    abstract boolean between();

    /** Whether descriptors ask for block on fault (the WQ allows it). */
    abstract boolean blockOnFault();

    /** Completion-interrupt flags and handle for a top-level descriptor (0 = none). */
    int interruptHandle() {
        return -1;
    }

    /** An interrupt handle of another owner, for batch-inner descriptors. */
    int foreignHandle() {
        return 0;
    }

    /** Whether a posted descriptor with this record was dropped (SWERR); default: nothing is dropped. */
    boolean dropped(long recordVa) {
        return false;
    }

    /** Called when an accepted descriptor with a foreign inner handle completed. */
    void foreignHandleUsed(int handle) {
    }

    /** Called once the thread ends (release handles etc.). */
    void finish() {
    }

    // ---------------------------------------------------------------- generation setup (from open())

    /** Lays out a generation in {@code s}: records, batch pages, sources (mapped), destinations (reserved). */
    final boolean layout(TenantSpace s) {
        recordsVa = s.reserve(PAGE);
        batchVa = s.reserve(2 * PAGE);
        if (!s.mapFresh(recordsVa) || !s.mapFresh(batchVa) || !s.mapFresh(batchVa + PAGE)) {
            return false;
        }
        for (int i = 0; i < SLOTS; i++) {
            srcVa[i] = s.reserve(SRC_BYTES);
            for (long p = 0; p < SRC_BYTES; p += PAGE) {
                if (!s.mapFresh(srcVa[i] + p)) {
                    return false;
                }
            }
            r.nextBytes(srcBytes[i]);
            write(s, srcVa[i], srcBytes[i]);
            dstVa[i] = s.reserve(REGION);
            for (long p = 0; p < REGION; p += PAGE) {
                if (r.nextBoolean() || !blockOnFaultOrResume()) {
                    if (!s.mapFresh(dstVa[i] + p)) {
                        return false;
                    }
                    fillGuard(s, dstVa[i] + p);
                }
            }
        }
        java.util.Arrays.fill(nextRecord, 0);
        generation++;
        seq = 0;
        for (int i = 0; i < SLOTS; i++) {
            state[i] = FREE;
            tampered[i] = false;
        }
        space = s; // volatile: handlers that read the regions above see them
        lastProgress = System.nanoTime();
        return true;
    }

    boolean blockOnFaultOrResume() {
        return true;
    }

    static void write(TenantSpace s, long va, byte[] bytes) {
        for (int i = 0; i < bytes.length; ) {
            final long h = s.host(va + i);
            final int n = (int) Math.min(bytes.length - i, PAGE - ((va + i) & (PAGE - 1)));
            MemorySegment.copy(bytes, i, s.segment(), ValueLayout.JAVA_BYTE, h, n);
            i += n;
        }
    }

    final void fillGuard(TenantSpace s, long page) {
        s.fill(page, guard); // under the space's change lock: never into a frame another thread just unmapped
    }

    /** The slot whose destination region holds {@code va}, or -1. */
    final int slotOfDestination(long va) {
        for (int i = 0; i < SLOTS; i++) {
            if (va >= dstVa[i] && va < dstVa[i] + REGION) {
                return i;
            }
        }
        return -1;
    }

    /** Maps a destination page for a fault (page request or partial completion), filled with guard bytes. */
    final boolean mapDestination(TenantSpace s, long va) {
        final long page = va & -PAGE;
        if (slotOfDestination(page) < 0) {
            return false;
        }
        if (!s.isMapped(page)) {
            if (!s.mapFresh(page)) {
                return false;
            }
            fillGuard(s, page);
            event(slotOfDestination(page), "mapped on fault", page);
        } else {
            event(slotOfDestination(page), "fault on a mapped page", page);
        }
        return true;
    }

    // ---------------------------------------------------------------- the loop

    @Override
    public final void run() {
        try {
            while (ctx.running()) {
                if (space == null) {
                    idle = true;
                    if (!open()) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                        continue;
                    }
                    idle = false;
                    lastProgress = System.nanoTime();
                }
                if (between()) {
                    continue;
                }
                if (space == null) {
                    continue;
                }
                if (!round(true)) {
                    LockSupport.parkNanos(20_000);
                }
            }
            // the run is over: let what is in flight complete (bounded), then leave the rest to the final check
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ctx.drainSeconds());
            while (space != null && inFlight() > 0 && System.nanoTime() - deadline < 0) {
                if (!round(false)) {
                    LockSupport.parkNanos(50_000);
                }
            }
        } catch (RuntimeException | Error e) {
            ctx.violations().violated(Violations.Invariant.RESULTS, name + " died: " + e);
        } finally {
            idle = true;
            finish();
        }
    }

    /** One pass over the slots; true if anything happened. */
    private boolean round(boolean start) {
        boolean busy = false;
        for (int s = 0; s < SLOTS && space != null; s++) {
            if (state[s] == FREE) {
                if (start) {
                    start(s);
                    busy = true;
                }
            } else if (poll(s)) {
                busy = true;
            }
        }
        return busy;
    }

    final int inFlight() {
        int n = 0;
        for (int s = 0; s < SLOTS; s++) {
            n += state[s] == IN_FLIGHT ? 1 : 0;
        }
        return n;
    }

    private void takeBack(int s) {
        while (!phase.compareAndSet(s, 1, 0)) {
            if (phase.get(s) == 0) {
                return;
            }
            Thread.onSpinWait(); // the remapper is inside the slot (its remap may wait for an invalidation)
        }
    }

    /**
     * The remapper thread: unmaps one mapped destination page of an in-flight descriptor, poisons its frame and
     * maps a fresh one — while an engine may be writing the page. The slot's data are then not checked; a write into
     * the old frame after {@code unmap()} returned is a canary hit. Returns whether it found a page.
     */
    final boolean remapInFlight(SplittableRandom rr) {
        if (!(space instanceof HostSpace sp)) {
            return false;
        }
        final int s = rr.nextInt(SLOTS);
        if (!phase.compareAndSet(s, 1, 2)) {
            return false;
        }
        try {
            final long page = dstVa[s] + PAGE * rr.nextInt(REGION_PAGES);
            if (space != sp || !sp.isMapped(page)) {
                return false;
            }
            tampered[s] = true;
            sp.remap(page, "unmap/poison/remap by the remapper thread under a running descriptor");
            fillGuard(sp, page);
            return true;
        } finally {
            phase.set(s, 1); // release: the tenant's CAS (1 -> 0) then sees tampered
        }
    }

    /**
     * A page-request handler (any thread) is about to change slot {@code s}'s pages: it takes the slot from its
     * in-flight phase (1 -> 2) as the remapper does, so the tenant can neither verify nor restart the slot until
     * {@link #releaseFromHandler}. False when the slot is not in flight: the request is stale — its descriptor ended
     * at a timeout, a cancellation or the generation's end before the handler ran — and its map or remap would land
     * under the slot's idle check or its next descriptor (a harness race that read as an isolation violation: the
     * idle check met the poison of a frame the stale handler had just remapped).
     */
    final boolean holdForHandler(int s) {
        while (true) {
            if (phase.compareAndSet(s, 1, 2)) {
                return true;
            }
            if (phase.get(s) == 0) {
                return false;
            }
            Thread.onSpinWait(); // the remapper or another handler is inside the slot
        }
    }

    /** Ends {@link #holdForHandler}: release, so the tenant's CAS (1 -> 0) sees what the handler did. */
    final void releaseFromHandler(int s) {
        phase.set(s, 1);
    }

    /** Ends the generation: what is in flight is abandoned (counted), the space is forgotten. */
    final void abandon() {
        ctx.abandoned.add(inFlight());
        for (int s = 0; s < SLOTS; s++) {
            takeBack(s);
            state[s] = FREE;
        }
        space = null;
    }

    private void start(int s) {
        final TenantSpace sp = space;
        if (!idleIntact(sp, s)) {
            return;
        }
        tampered[s] = false;
        events[s].setLength(0);
        if (blockOnFaultOrResume() && r.nextInt(3) == 0) {
            for (long p = 0; p < REGION; p += PAGE) {
                if (r.nextBoolean()) {
                    sp.unmap(dstVa[s] + p, "lazy unmap between uses");
                    event(s, "unmapped", dstVa[s] + p);
                }
            }
            ctx.attacks().count(Attacks.Kind.LAZY_UNMAP);
        }
        final int k = r.nextInt(10);
        op[s] = k < 5 ? Op.FILL : k < 8 ? Op.MEMMOVE : k < 9 ? Op.NOOP : Op.BATCH;
        size[s] = 1 + (r.nextInt(4) == 0 ? r.nextInt(MAX_SIZE) : r.nextInt(1024));
        offset[s] = r.nextInt((int) PAGE);
        done[s] = 0;
        tag[s] = ((long) id << 56) | ((long) (generation & 0xFFFF) << 40) | (seq++ & 0xFF_FFFF_FFFFL);
        submit(s);
    }

    /** Whether the idle region of slot {@code s} still holds only guard bytes. */
    private boolean idleIntact(TenantSpace sp, int s) {
        for (long p = 0; p < REGION; p += PAGE) {
            final long h = sp.host(dstVa[s] + p);
            if (h >= 0 && firstNot(sp.segment(), h, PAGE, guard) >= 0) {
                final long at = firstNot(sp.segment(), h, PAGE, guard);
                final long word = sp.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, h + (at & ~7L));
                ctx.violations().violated(Violations.Invariant.ISOLATION, name + " gen " + generation
                    + ": idle destination page 0x" + Long.toHexString(dstVa[s] + p) + " written at +" + at
                    + " (word 0x" + Long.toHexString(word) + "; last attack " + lastAttack
                    + (Boolean.getBoolean("softdsa.hostile.locate") ? "; " + sourceOf(sp.segment(), h + (at & ~7L))
                    : "") + ")");
                fillGuard(sp, dstVa[s] + p);
            }
        }
        return true;
    }

    static long firstNot(MemorySegment m, long from, long length, byte b) {
        for (long i = 0; i < length; i++) {
            if (m.get(ValueLayout.JAVA_BYTE, from + i) != b) {
                return i;
            }
        }
        return -1;
    }

    private long recordHost(TenantSpace sp, int rec) {
        return sp.host(recordsVa + 32L * rec);
    }

    private void submit(int s) {
        final TenantSpace sp = space;
        // the slot's own records only: a ring shared by the slots would hand a record to a second descriptor while
        // the first still waits on a page request, and its completion would then read as the second's
        final int rec = s * RECORDS_PER_SLOT + nextRecord[s];
        nextRecord[s] = (nextRecord[s] + 1) % RECORDS_PER_SLOT;
        final long rh = recordHost(sp, rec);
        if (rh < 0) {
            return; // the records page is gone (the process exited under us): the generation is over
        }
        if (firstNot(sp.segment(), rh, 32, (byte) 0) >= 0) {
            ctx.violations().violated(Violations.Invariant.EXACTLY_ONCE, name + " gen " + generation + ": record "
                + rec + " written again after its completion was consumed (status 0x"
                + Integer.toHexString(sp.segment().get(ValueLayout.JAVA_BYTE, rh) & 0xFF) + ", last attack "
                + lastAttack + ")");
        }
        sp.segment().asSlice(rh, 32).fill((byte) 0);
        record[s] = rec;
        final long n = op[s] == Op.BATCH ? 2 : size[s] - done[s];
        final long dst = dstVa[s] + offset[s] + done[s];
        final long src = srcVa[s] + done[s];
        int flags = 0x04 | 0x08 | (blockOnFault() ? 0x02 : 0);
        d.clear();
        switch (op[s]) {
            case FILL -> d.opcode(0x04).fillPattern(Long.rotateRight(tag[s], (int) (8 * (done[s] % 8))))
                .destination(dst).transferSize(n);
            case MEMMOVE -> d.opcode(0x03).source(src).destination(dst).transferSize(n);
            case NOOP -> {
                d.opcode(0x00);
                flags &= ~0x02; // block on fault is not a no-op's flag (0x11)
            }
            case BATCH -> {
                prepareBatch(sp, s);
                d.opcode(0x01).source(batchVa).transferSize(2);
                flags &= ~0x02;
            }
        }
        final int h = interruptHandle();
        if (h >= 0) {
            flags |= 0x10;
            d.interruptHandle(h);
        }
        d.flags(flags).completionAddress(recordsVa + 32L * rec);
        submitted[s] = System.nanoTime();
        state[s] = IN_FLIGHT;
        phase.set(s, 1);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (true) {
            final int res = store(d);
            if (res == ACCEPTED) {
                ctx.accepted.increment();
                accepted(h);
                return;
            }
            if (res == FAULTED || !ctx.running() || space != sp || System.nanoTime() - deadline > 0) {
                takeBack(s);
                state[s] = FREE; // not accepted: nothing to account for
                return;
            }
            ctx.retries.increment();
            LockSupport.parkNanos(5_000);
        }
    }

    /** A descriptor naming handle {@code h} (or -1) was accepted. */
    void accepted(int h) {
    }

    private void prepareBatch(TenantSpace sp, int s) {
        final MemorySegment m = sp.segment();
        final long list = sp.host(batchVa);
        final long inner = sp.host(batchVa + PAGE);
        m.asSlice(list, PAGE).fill((byte) 0);
        m.asSlice(inner, PAGE).fill(guard);
        foreign[s] = ctx.on(Attacks.Kind.BATCH_FOREIGN_HANDLE) ? foreignHandle() : 0xFFFF;
        for (int i = 0; i < 2; i++) {
            final Descriptor in = new Descriptor(m, list + 64L * i).clear();
            in.opcode(0x04).flags(0x04 | 0x08 | 0x10).interruptHandle(foreign[s])
                .completionAddress(batchVa + 512 + 32L * i).fillPattern(tag[s] + i)
                .destination(batchVa + PAGE + 512L * i).transferSize(256);
        }
        if (foreign[s] != 0xFFFF) {
            ctx.attacks().count(Attacks.Kind.BATCH_FOREIGN_HANDLE);
        }
    }

    /** Polls slot {@code s}; true if its descriptor completed. */
    private boolean poll(int s) {
        final TenantSpace sp = space;
        final long rh = recordHost(sp, record[s]);
        if (rh < 0) {
            return false;
        }
        final int status = sp.segment().get(ValueLayout.JAVA_BYTE, rh) & 0xFF;
        if (status == 0) {
            if (System.nanoTime() - submitted[s] > TimeUnit.SECONDS.toNanos(1)
                && dropped(recordsVa + 32L * record[s])) {
                ctx.droppedReported.increment();
                state[s] = FREE;
                return true;
            }
            return false;
        }
        // acquire: the record's fields and the data are read after the status byte (release on the device side)
        java.lang.invoke.VarHandle.acquireFence();
        takeBack(s);
        final int code = status & 0x7F;
        final long bytes = sp.segment().get(ValueLayout.JAVA_INT_UNALIGNED, rh + 4) & 0xFFFF_FFFFL;
        final long fault = sp.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, rh + 8);
        sp.segment().asSlice(rh, 32).fill((byte) 0); // consumed: from now on a write to it is a second completion
        completions.incrementAndGet();
        ctx.completed.increment();
        ctx.status(code);
        lastProgress = System.nanoTime();
        if (op[s] == Op.BATCH) {
            checkBatch(sp, s);
            state[s] = FREE;
            return true;
        }
        if (code == 0x03 && (op[s] == Op.FILL || op[s] == Op.MEMMOVE)) {
            if (!mapDestination(sp, fault)) {
                if (slotOfDestination(fault) < 0 && (fault < srcVa[s] || fault >= srcVa[s] + SRC_BYTES)) {
                    ctx.violations().violated(Violations.Invariant.RESULTS, name + ": page fault at 0x"
                        + Long.toHexString(fault) + " outside the descriptor's buffers (" + op[s] + ")");
                }
                state[s] = FREE;
                return true;
            }
            ctx.resumed.increment();
            event(s, "partial " + bytes + " B, fault at", fault);
            done[s] += bytes;
            submit(s);
            return true;
        }
        if (code == 0x01) {
            verify(sp, s);
        } else {
            guardsOnly(sp, s);
        }
        state[s] = FREE;
        return true;
    }

    private void checkBatch(TenantSpace sp, int s) {
        final MemorySegment m = sp.segment();
        final long list = sp.host(batchVa);
        for (int i = 0; i < 2; i++) {
            final int st = m.get(ValueLayout.JAVA_BYTE, list + 512 + 32L * i) & 0x7F;
            if (st == 0x01 && foreign[s] != interruptHandleOrNone()) {
                foreignHandleUsed(foreign[s]);
            }
        }
    }

    private int interruptHandleOrNone() {
        return Integer.MIN_VALUE;
    }

    private void verify(TenantSpace sp, int s) {
        if (tampered[s]) {
            refill(sp, s);
            return;
        }
        final int n = size[s];
        final long from = offset[s];
        final MemorySegment m = sp.segment();
        boolean right = true;
        String why = "";
        if (op[s] == Op.FILL || op[s] == Op.MEMMOVE) {
            for (long i = 0; i < REGION && right; i++) {
                final long h = sp.host(dstVa[s] + i);
                final boolean inside = i >= from && i < from + n;
                if (h < 0) {
                    if (inside) {
                        right = false;
                        why = "success, but page 0x" + Long.toHexString(dstVa[s] + i) + " of the buffer is unmapped";
                    }
                    i = (i | (PAGE - 1)); // skip the unmapped page
                    continue;
                }
                final byte got = m.get(ValueLayout.JAVA_BYTE, h);
                final byte want = !inside ? guard : op[s] == Op.FILL
                    ? (byte) (tag[s] >>> (8 * ((i - from) % 8))) : srcBytes[s][(int) (i - from)];
                if (got != want) {
                    right = false;
                    final long word = m.get(ValueLayout.JAVA_LONG_UNALIGNED, h & ~7L);
                    why = (inside ? "wrong byte" : "guard byte hit") + " at +" + i + " (0x" + Integer.toHexString(
                        got & 0xFF) + ", want 0x" + Integer.toHexString(want & 0xFF) + ", word 0x"
                        + Long.toHexString(word) + ")";
                    if (Boolean.getBoolean("softdsa.hostile.locate")) {
                        why += "; " + sourceOf(m, h & ~7L);
                    }
                }
            }
        }
        if (!right) {
            if (op[s] == Op.FILL && Boolean.getBoolean("softdsa.hostile.locate")) {
                why += "; " + sp.locate(tag[s]) + "; " + sp.describe(sp.host(dstVa[s] + offset[s]));
            }
            ctx.violations().violated(inside(why) ? Violations.Invariant.RESULTS : Violations.Invariant.ISOLATION,
                name + " gen " + generation + " " + op[s] + " of " + n + " bytes tag 0x" + Long.toHexString(tag[s])
                    + " at +0x" + Integer.toHexString(offset[s]) + ": " + why + " (last attack " + lastAttack
                    + "; events: " + events[s] + ")");
        } else {
            ctx.verified.increment();
        }
        refill(sp, s);
    }

    /**
     * Whether the 8 bytes at host address {@code h} are a run of one of this tenant's slot sources (a memmove of this
     * address space wrote them), and where: the writer's destination offset minus its source offset is its buffer
     * offset, which names the descriptor.
     */
    private String sourceOf(MemorySegment m, long h) {
        final long word = m.get(ValueLayout.JAVA_LONG_UNALIGNED, h);
        for (int t = 0; t < SLOTS; t++) {
            final MemorySegment src = MemorySegment.ofArray(srcBytes[t]);
            for (int q = 0; q + 8 <= SRC_BYTES; q++) {
                if (src.get(ValueLayout.JAVA_LONG_UNALIGNED, q) == word) {
                    return "the word is slot " + t + "'s source bytes at +" + q + " (now slot " + t + " holds "
                        + op[t] + " tag 0x" + Long.toHexString(tag[t]) + " at +0x" + Integer.toHexString(offset[t])
                        + ", state " + state[t] + ")";
                }
            }
        }
        return "the word is no slot's source bytes";
    }

    private static boolean inside(String why) {
        return !why.startsWith("guard");
    }

    /** After an error status: the buffer may hold partial results, nothing outside it may have changed. */
    private void guardsOnly(TenantSpace sp, int s) {
        if (!tampered[s] && (op[s] == Op.FILL || op[s] == Op.MEMMOVE)) {
            final long from = offset[s];
            for (long i = 0; i < REGION; i++) {
                final long h = sp.host(dstVa[s] + i);
                if (h < 0) {
                    i = (i | (PAGE - 1));
                    continue;
                }
                if ((i < from || i >= from + size[s]) && sp.segment().get(ValueLayout.JAVA_BYTE, h) != guard) {
                    ctx.violations().violated(Violations.Invariant.ISOLATION, name + " gen " + generation
                        + ": guard byte hit at +" + i + " after an error completion (last attack " + lastAttack + ")");
                    break;
                }
            }
        }
        refill(sp, s);
    }

    private void refill(TenantSpace sp, int s) {
        for (long p = 0; p < REGION; p += PAGE) {
            fillGuard(sp, dstVa[s] + p);
        }
    }

    /** Final check of a live generation after the run drained: in-flight slots are lost, records must be zero. */
    final void finalCheck() {
        final TenantSpace sp = space;
        if (sp == null) {
            return;
        }
        for (int s = 0; s < SLOTS; s++) {
            if (state[s] == IN_FLIGHT) {
                final long rh = recordHost(sp, record[s]);
                final boolean completedLate = rh >= 0 && (sp.segment().get(ValueLayout.JAVA_BYTE, rh) & 0xFF) != 0;
                if (completedLate) {
                    sp.segment().asSlice(rh, 32).fill((byte) 0);
                    ctx.completed.increment();
                    state[s] = FREE;
                } else if (dropped(recordsVa + 32L * record[s])) {
                    ctx.droppedReported.increment();
                    state[s] = FREE;
                } else if (stalled) {
                    ctx.stalledInFlight.increment(); // its own handler holds it: exempt
                } else {
                    ctx.violations().violated(Violations.Invariant.NOT_LOST, name + " gen " + generation + ": "
                        + op[s] + " tag 0x" + Long.toHexString(tag[s]) + " never completed (last attack "
                        + lastAttack + ")");
                    ctx.lost.increment();
                }
            }
        }
        for (int rec = 0; rec < RECORDS; rec++) {
            boolean inUse = false;
            for (int s = 0; s < SLOTS; s++) {
                inUse |= state[s] == IN_FLIGHT && record[s] == rec;
            }
            final long rh = recordHost(sp, rec);
            if (!inUse && rh >= 0 && firstNot(sp.segment(), rh, 32, (byte) 0) >= 0) {
                ctx.violations().violated(Violations.Invariant.EXACTLY_ONCE, name + " gen " + generation + ": record "
                    + rec + " written after its completion was consumed (found at the end)");
            }
        }
    }

    /** Remaps the destination pages of slot {@code s} except {@code keep}, and marks the slot tampered. */
    final void remapOthers(HostSpace sp, int s, long keep) {
        tampered[s] = true;
        for (long p = 0; p < REGION; p += PAGE) {
            final long page = dstVa[s] + p;
            if (page != keep && sp.isMapped(page)) {
                sp.remap(page, "poison+remap of a page under a running descriptor");
                fillGuard(sp, page);
            }
        }
    }
}
