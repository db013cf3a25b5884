package io.softdsa.mdev.vmm;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.DescriptorLayout;
import io.softdsa.descriptor.Opcode;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.memory.FrameAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A guest program that keeps a virtual DSA busy with a mixed workload, in the guest's own terms: one vCPU thread
 * submits from several guest processes (one guest PASID each) by ENQCMD to a shared WQ with block-on-fault, keeping up
 * to {@code depth} descriptors in flight, and polls their completion records. The operations
 * ({@link WorkloadPlan}): memory move, fill, CRC generation, a batch with fences (memmove, fenced memmove of its
 * result, fill, fenced CRC of the copy), and memory move / fill into on-demand memory that the device faults in
 * through page requests the guest driver serves; some request a completion interrupt.
 * <p>
 * <b>Buffers.</b> Each process has a few op <em>slots</em> ({@link Regions}); an op uses the buffers of its slot,
 * and the next op of a slot waits until the previous one has completed (the program's data dependency), so a plan of
 * any length runs in bounded memory and its result is that of running the ops one after another. Before an op into
 * on-demand memory, the guest discards that slot's pages (unmapped, frames freed: {@code madvise(DONTNEED)}) so the
 * device faults them in again. The plan runs in <em>cycles</em> — once by default, or until {@link #finish} — and
 * always ends on a whole cycle; the final memory is the plan applied {@link #cycles()} times in order.
 * <p>
 * <b>Statuses a migration may cause</b>, handled as a real guest does: a page fault that was not resolved (0x03,
 * 0x04, a batch's 0x05 / 0x06) — the CPU touches the destination and the whole op is resubmitted (every op is
 * idempotent on its slot); an invalid interrupt handle (0x19, a handle the destination revoked) — resubmitted with
 * the driver's current handle. Every submission has its own completion record from a per-process ring; a consumed
 * record is stamped with {@link #CONSUMED}, and before a record is reused the guest checks the stamp is intact: a
 * second device write of any record is reported by {@link #recordsWrittenTwice()}.
 * <p>
 * Guest code runs only inside vCPU steps ({@link VcpuGate.Vcpu}); a host address it derives (for a record poll) is not
 * kept past the step, so the VMM may move the guest between any two steps.
 */
public final class GuestWorkload {
    /** Bytes of each slot's buffers (the largest transfer of a plan). */
    public static final int CHUNK = 16 << 10;
    /** Completion-record bytes a consumed record is overwritten with. */
    public static final byte CONSUMED = (byte) 0xC5;
    /** Completion records per process (a ring; at most 5 × depth are in use at once). */
    public static final int RECORDS = 2048;
    private static final int RECORD = 32;
    private static final int BATCH_COUNT = 4;
    private static final int MAX_ATTEMPTS = 1000;
    private static final long PAGE = FrameAllocator.FRAME_SIZE;
    private static final byte[] STAMP = filled(RECORD, CONSUMED);
    private static final byte[] ZERO = new byte[RECORD];

    /**
     * Where one process's buffers are (guest-virtual): slot s uses [src + s·CHUNK, +CHUNK), [dst + s·CHUNK, ...),
     * [onDemand + s·CHUNK, ...) and the 4 bytes at results + 4s (a CRC, little-endian, written by the CPU).
     */
    public record Regions(long src, long dst, long onDemand, long results, long records, long lists) {
    }

    /** One submission of an op. */
    private static final class Attempt {
        final WorkloadPlan.Op op;
        final int number;
        int record = -1;
        final int[] inner = {-1, -1, -1, -1};

        Attempt(WorkloadPlan.Op op, int number) {
            this.op = op;
            this.number = number;
        }
    }

    private final GuestDriver driver;
    private final VcpuGate.Vcpu vcpu;
    private final List<GuestProcess> processes;
    private final WorkloadPlan plan;
    private final int depth;
    private final int wq;
    private final Regions[] regions;
    private final boolean[][] slotBusy;
    private final boolean[][] recordInUse;
    private final boolean[][] recordUsed;
    private final int[] recordNext;
    private final ArrayDeque<Attempt> retries = new ArrayDeque<>();
    private final List<Attempt> inFlight = new ArrayList<>();
    private final Descriptor staging;
    private final MemorySegment list = MemorySegment.ofArray(new byte[BATCH_COUNT * DescriptorLayout.LENGTH]);
    private final Descriptor inner = new Descriptor();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong submissions = new AtomicLong();
    private final AtomicLong completions = new AtomicLong();
    private final Map<String, Long> resubmitted = Collections.synchronizedMap(new TreeMap<>());
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final List<String> writtenTwice = Collections.synchronizedList(new ArrayList<>());
    private CompletionRecord record;
    private MemorySegment recordSegment;
    private int next;
    private long portalRetries;
    private long interruptsRequested;
    private long discardedPages;
    private int maxInFlight;
    /*
     * Volatile: the cycle limit is written by the caller's thread (cycles, finish) and read by the vCPU thread;
     * cyclesStarted the other way round; thread / stop / crash likewise. The counters are atomics read by any thread;
     * everything else belongs to the vCPU thread, under this object's monitor for the accessors.
     */
    private volatile int cycleLimit = 1;
    private volatile int cyclesStarted;
    private volatile Thread thread;
    private volatile boolean stop;
    private volatile Throwable crash;

    /**
     * A workload of {@code plan} on {@code driver}'s WQ {@code wq} (shared, PASID and block-on-fault enabled), one
     * process per plan process. Allocates the buffers in a step of {@code vcpu}.
     */
    public GuestWorkload(GuestDriver driver, VcpuGate.Vcpu vcpu, List<GuestProcess> processes, WorkloadPlan plan,
                         int depth, int wq) {
        if (processes.size() != plan.processes()) {
            throw new IllegalArgumentException(plan.processes() + " processes planned, " + processes.size()
                + " given");
        }
        if (depth < 1) {
            throw new IllegalArgumentException("depth must be >= 1: " + depth);
        }
        this.driver = driver;
        this.vcpu = vcpu;
        this.processes = List.copyOf(processes);
        this.plan = plan;
        this.depth = depth;
        this.wq = wq;
        this.staging = driver.descriptor();
        final int n = processes.size();
        this.regions = new Regions[n];
        this.slotBusy = new boolean[n][plan.slots()];
        this.recordInUse = new boolean[n][RECORDS];
        this.recordUsed = new boolean[n][RECORDS];
        this.recordNext = new int[n];
        vcpu.step(() -> {
            for (int p = 0; p < n; p++) {
                regions[p] = allocate(this.processes.get(p), plan.slots());
            }
        });
    }

    private static Regions allocate(GuestProcess p, int slots) {
        final long bytes = (long) slots * CHUNK;
        return new Regions(p.allocate(bytes), p.allocate(bytes), p.allocateOnDemand(bytes), p.allocate(4L * slots),
            p.allocate((long) RECORD * RECORDS), p.allocate((long) BATCH_COUNT * DescriptorLayout.LENGTH * slots));
    }

    /** Guest RAM the buffers of {@code processes} processes of a plan take (without page tables). */
    public static long bytesFor(int processes) {
        final long slots = WorkloadPlan.slotsFor(processes);
        return processes * (3 * slots * CHUNK + 4 * slots + (long) RECORD * RECORDS
            + slots * BATCH_COUNT * DescriptorLayout.LENGTH + 3 * PAGE);
    }

    public WorkloadPlan plan() {
        return plan;
    }

    public Regions regions(int process) {
        return regions[process];
    }

    public int depth() {
        return depth;
    }

    // ---- running

    /** Runs the plan {@code n} times (default once); before {@link #start}, or later to extend the run. */
    public GuestWorkload cycles(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("cycles must be >= 1: " + n);
        }
        cycleLimit = n; // volatile store: the vCPU reads it before it starts a cycle
        return this;
    }

    /** Runs the plan over and over until {@link #finish} or {@link #stop}. */
    public GuestWorkload repeat() {
        return cycles(Integer.MAX_VALUE);
    }

    /** Ends the run at the end of the cycle under way (a whole number of cycles always runs). */
    public void finish() {
        cycleLimit = Math.max(1, cyclesStarted); // volatile load, then store: no cycle starts after the current one
    }

    /** Starts the vCPU thread. */
    public GuestWorkload start() {
        final Thread t = new Thread(this::run, "vcpu-" + vcpu.name());
        t.setDaemon(true);
        thread = t;
        t.start();
        return this;
    }

    /** Ops completed (successfully or as a failure) so far, every cycle counted. */
    public long completed() {
        return completed.get();
    }

    /** Cycles run (once {@link #join} has returned: all of them whole). */
    public int cycles() {
        return cyclesStarted;
    }

    /** Waits until {@code ops} ops have completed (or the workload ended); false on timeout. */
    public boolean awaitCompleted(long ops, long timeoutNanos) {
        final long deadline = System.nanoTime() + timeoutNanos;
        while (completed.get() < ops && thread.isAlive()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(100_000);
        }
        return completed.get() >= ops;
    }

    /**
     * Waits for the vCPU thread to finish its cycles.
     *
     * @throws IllegalStateException on timeout (the thread is told to stop) or if the vCPU thread crashed
     */
    public void join(long timeoutNanos) {
        if (thread == null) {
            return;
        }
        try {
            thread.join(Math.max(1, timeoutNanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            stop = true;
            throw new IllegalStateException("guest workload did not finish: " + completed.get() + " ops done, "
                + inFlightCount() + " in flight, cycle " + cyclesStarted + " of " + cycleLimit);
        }
        if (crash != null) {
            throw new IllegalStateException("guest vCPU crashed", crash);
        }
    }

    /** Tells the vCPU thread to stop after its step (the run ends mid-cycle: for teardown). */
    public void stop() {
        stop = true;
    }

    private synchronized int inFlightCount() {
        return inFlight.size();
    }

    private void run() {
        try {
            int idle = 0;
            while (!stop) {
                vcpu.enter();
                final boolean progress;
                final boolean done;
                try {
                    progress = step();
                    done = inFlight.isEmpty() && retries.isEmpty() && next == 0 && cyclesStarted >= cycleLimit;
                } finally {
                    vcpu.exit();
                }
                if (done) {
                    break;
                }
                if (progress) {
                    idle = 0;
                } else if (++idle > 50) {
                    LockSupport.parkNanos(20_000); // between steps: the VMM may pause or move us here
                } else {
                    Thread.onSpinWait();
                }
            }
        } catch (Throwable t) {
            crash = t;
        }
    }

    /** One vCPU step: reap completions, then submit while there is room. Returns whether anything happened. */
    private synchronized boolean step() {
        boolean progress = false;
        for (int i = 0; i < inFlight.size(); ) {
            final Attempt a = inFlight.get(i);
            final int raw = status(a.op.process(), a.record);
            if (raw == 0) {
                i++;
                continue;
            }
            inFlight.remove(i);
            completions.incrementAndGet();
            complete(a, raw);
            progress = true;
        }
        while (inFlight.size() < depth) {
            final Attempt a = retries.isEmpty() ? fresh() : retries.peekFirst();
            if (a == null) {
                break; // the plan is done, or its next op waits for its slot
            }
            final PortalResult r = submit(a);
            if (r == PortalResult.RETRY) {
                portalRetries++;
                if (retries.peekFirst() != a) {
                    retries.addFirst(a); // first in line for the next step; it keeps its records
                }
                break;
            }
            if (retries.peekFirst() == a) {
                retries.pollFirst();
            }
            if (r != PortalResult.ACCEPTED) {
                fail(a, "portal store " + r);
                continue;
            }
            submissions.incrementAndGet();
            inFlight.add(a);
            maxInFlight = Math.max(maxInFlight, inFlight.size());
            progress = true;
        }
        return progress;
    }

    /** The next op of the plan, its slot prepared by the CPU; null if the plan is done or the slot is busy. */
    private Attempt fresh() {
        if (next == 0 && cyclesStarted >= cycleLimit) {
            return null;
        }
        final WorkloadPlan.Op op = plan.ops().get(next);
        final int p = op.process();
        if (slotBusy[p][op.slot()]) {
            return null; // the slot's previous op has not completed: the program waits for its data
        }
        if (next == 0) {
            cyclesStarted++; // volatile store (one writer): finish() reads it
        }
        next = next + 1 == plan.ops().size() ? 0 : next + 1;
        slotBusy[p][op.slot()] = true;
        final GuestProcess proc = processes.get(p);
        if (op.onDemand()) {
            discard(proc, regions[p].onDemand() + (long) op.slot() * CHUNK);
        }
        if (op.writesSource()) {
            final byte[] data = new byte[op.size()];
            new SplittableRandom(op.dataSeed()).nextBytes(data);
            proc.write(regions[p].src() + (long) op.slot() * CHUNK, data);
        }
        return new Attempt(op, 0);
    }

    /**
     * The guest kernel's {@code madvise(DONTNEED)} of an on-demand slot: its pages are unmapped (the unmap's IOTLB
     * invalidation returns once no engine holds a translation of them) and their frames freed, so the next op's
     * device accesses fault them in again. Under the process's lock, as its fault path maps under it.
     */
    private void discard(GuestProcess proc, long va) {
        synchronized (proc) {
            final List<Long> frames = new ArrayList<>();
            for (long p = va; p < va + CHUNK; p += PAGE) {
                final long pa = proc.pageTables().physicalAddress(p);
                if (pa >= 0) {
                    frames.add(pa);
                }
            }
            if (frames.isEmpty()) {
                return;
            }
            proc.pageTables().unmap(va, CHUNK);
            for (long pa : frames) {
                driver.guest().memory().physical().free(pa, PAGE);
            }
            discardedPages += frames.size();
        }
    }

    /** The raw status byte of record {@code index} of process {@code p} (acquire, through the guest's tables). */
    private int status(int p, int index) {
        // the segment and the host address are derived in this step and used only in it (the VMM may move the guest
        // between steps); a movable guest's segment is the process-wide view, so the flyweight is rarely rebuilt
        final MemorySegment segment = driver.guest().memory().hostSegment();
        final long va = recordVa(p, index);
        final long host = processes.get(p).pageTables().hostAddress(va);
        if (host < 0) {
            throw new IllegalStateException("completion record 0x" + Long.toHexString(va) + " is not mapped");
        }
        if (record == null || recordSegment != segment) {
            record = new CompletionRecord(segment, host);
            recordSegment = segment;
        } else {
            record.wrap(host);
        }
        return record.rawStatus();
    }

    private long recordVa(int p, int index) {
        return regions[p].records() + (long) RECORD * index;
    }

    /** The next record of process {@code p}'s ring, checked (a reused one must be as the guest left it), armed. */
    private int newRecord(int p) {
        int index = recordNext[p];
        for (int tried = 0; recordInUse[p][index]; tried++) { // one still waited for (a slow op): skip it
            if (tried == RECORDS) {
                throw new IllegalStateException("process " + p + ": all " + RECORDS + " completion records in use");
            }
            index = (index + 1) % RECORDS;
        }
        recordNext[p] = (index + 1) % RECORDS;
        final GuestProcess proc = processes.get(p);
        final long va = recordVa(p, index);
        if (recordUsed[p][index]) {
            final byte[] was = proc.read(va, RECORD);
            if (!Arrays.equals(was, STAMP) && !Arrays.equals(was, ZERO)) {
                writtenTwice.add("process " + p + " record " + index + " before reuse: " + hex(was));
            }
            proc.write(va, ZERO); // armed: the device's write is the only non-zero status it can get
        }
        recordUsed[p][index] = true;
        recordInUse[p][index] = true;
        return index;
    }

    private PortalResult submit(Attempt a) {
        final WorkloadPlan.Op op = a.op;
        final int p = op.process();
        final Regions r = regions[p];
        final GuestProcess proc = processes.get(p);
        if (a.record < 0) {
            a.record = newRecord(p);
        }
        final long src = r.src() + (long) op.slot() * CHUNK;
        final long dst = (op.onDemand() ? r.onDemand() : r.dst()) + (long) op.slot() * CHUNK;
        int flags = DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD;
        if (op.interrupt()) {
            flags |= DescriptorFlags.REQUEST_COMPLETION_INTERRUPT;
        }
        if (op.onDemand()) {
            flags |= DescriptorFlags.BLOCK_ON_FAULT;
        }
        final Descriptor d = staging.clear().completionAddress(recordVa(p, a.record));
        switch (op.kind()) {
            case MEMMOVE, MEMMOVE_ON_DEMAND -> d.opcode(Opcode.MEMMOVE).source(src).destination(dst)
                .transferSize(op.size());
            case FILL, FILL_ON_DEMAND -> d.opcode(Opcode.FILL).fillPattern(op.pattern()).destination(dst)
                .transferSize(op.size());
            case CRC -> d.opcode(Opcode.CRC_GENERATION).source(src).transferSize(op.size()).crcSeed(0);
            case BATCH -> {
                final long listVa = r.lists() + (long) op.slot() * BATCH_COUNT * DescriptorLayout.LENGTH;
                writeBatchList(a, proc, src, dst, listVa);
                d.opcode(Opcode.BATCH).source(listVa).transferSize(BATCH_COUNT);
            }
        }
        d.flags(flags);
        if (op.interrupt()) {
            d.interruptHandle(driver.interruptHandle(wq)); // read per submission: a revoked handle is replaced
            interruptsRequested++;
        }
        return driver.submitUser(wq, d, proc, false);
    }

    /** memmove src→part0; fence memmove part0→part1; fill part2; fence CRC of part1 (its record has the CRC). */
    private void writeBatchList(Attempt a, GuestProcess proc, long src, long dst, long listVa) {
        final int p = a.op.process();
        final int part = a.op.batchPart();
        for (int i = 0; i < BATCH_COUNT; i++) {
            if (a.inner[i] < 0) {
                a.inner[i] = newRecord(p);
            }
        }
        final int rec = DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD;
        inner.wrap(list, 0).clear().opcode(Opcode.MEMMOVE).flags(rec).completionAddress(recordVa(p, a.inner[0]))
            .source(src).destination(dst).transferSize(part);
        inner.wrap(list, 64).clear().opcode(Opcode.MEMMOVE).flags(rec | DescriptorFlags.FENCE)
            .completionAddress(recordVa(p, a.inner[1])).source(dst).destination(dst + part).transferSize(part);
        inner.wrap(list, 128).clear().opcode(Opcode.FILL).flags(rec).completionAddress(recordVa(p, a.inner[2]))
            .fillPattern(a.op.pattern()).destination(dst + 2L * part).transferSize(part);
        inner.wrap(list, 192).clear().opcode(Opcode.CRC_GENERATION).flags(rec | DescriptorFlags.FENCE)
            .completionAddress(recordVa(p, a.inner[3])).source(dst + part).transferSize(part).crcSeed(0);
        proc.write(listVa, list.toArray(ValueLayout.JAVA_BYTE));
    }

    /** Consumes record {@code index} (stamped, free for reuse). */
    private void consume(int p, int index) {
        processes.get(p).write(recordVa(p, index), STAMP);
        recordInUse[p][index] = false;
    }

    private void complete(Attempt a, int raw) {
        final WorkloadPlan.Op op = a.op;
        final int p = op.process();
        final int status = raw & 0x7F;
        int crc = record.crcValue(); // the record was wrapped by the status poll of this step
        consume(p, a.record);
        boolean innerOk = true;
        if (op.kind() == WorkloadPlan.Kind.BATCH) {
            for (int i = 0; i < BATCH_COUNT; i++) {
                final int s = status(p, a.inner[i]) & 0x7F;
                if (i == BATCH_COUNT - 1 && s == Status.SUCCESS) {
                    crc = record.crcValue();
                }
                if (s != 0) {
                    consume(p, a.inner[i]);
                } else {
                    recordInUse[p][a.inner[i]] = false; // never written (after a fence that stopped the batch)
                }
                innerOk &= s == Status.SUCCESS;
            }
        }
        if (status == Status.SUCCESS && innerOk) {
            if (op.kind() == WorkloadPlan.Kind.CRC || op.kind() == WorkloadPlan.Kind.BATCH) {
                processes.get(p).write(regions[p].results() + 4L * op.slot(), le(crc));
            }
            done(op);
            return;
        }
        if (status == Status.SUCCESS) {
            fail(a, "batch reported success with a failed inner descriptor");
            return;
        }
        if (!retryable(status)) {
            fail(a, String.format("status 0x%02x", status));
            return;
        }
        if (a.number + 1 >= MAX_ATTEMPTS) {
            fail(a, String.format("status 0x%02x after %d attempts", status, a.number + 1));
            return;
        }
        resubmitted.merge(String.format("0x%02x", status), 1L, Long::sum);
        if (op.onDemand()) {
            // the guest's fault path: touch the destination so the retry finds it mapped
            processes.get(p).read(regions[p].onDemand() + (long) op.slot() * CHUNK, op.size());
        }
        retries.addLast(new Attempt(op, a.number + 1));
    }

    private void done(WorkloadPlan.Op op) {
        slotBusy[op.process()][op.slot()] = false;
        completed.incrementAndGet();
    }

    private static boolean retryable(int status) {
        return status == Status.PAGE_FAULT_NOBOF || status == Status.PAGE_FAULT_IR || status == Status.BATCH_FAIL
            || status == Status.BATCH_PAGE_FAULT || status == Status.INVALID_INTERRUPT_HANDLE;
    }

    private void fail(Attempt a, String why) {
        failures.add("op " + a.op.index() + " (" + a.op.kind() + ", process " + a.op.process() + ", attempt "
            + a.number + "): " + why);
        done(a.op);
    }

    // ---- results

    public List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /** Descriptors submitted (accepted by the portal), every attempt counted. */
    public long submissions() {
        return submissions.get();
    }

    /** Completion records seen written (one per accepted submission that completed). */
    public long completions() {
        return completions.get();
    }

    /** Resubmissions by the status that caused them. */
    public Map<String, Long> resubmitted() {
        synchronized (resubmitted) {
            return Map.copyOf(resubmitted);
        }
    }

    /** ENQCMD retries (WQ full). */
    public synchronized long portalRetries() {
        return portalRetries;
    }

    public synchronized long interruptsRequested() {
        return interruptsRequested;
    }

    /** On-demand pages the guest discarded before reusing a slot (each one faulted in again by the device). */
    public synchronized long discardedPages() {
        return discardedPages;
    }

    public synchronized int maxInFlight() {
        return maxInFlight;
    }

    /**
     * Records a device wrote after the guest had consumed them: those found changed when the guest came to reuse them,
     * and, now, every record not in use that is neither all {@link #CONSUMED} nor all zero (never written: the inner
     * records a fenced batch did not reach). Call it after {@link #join}.
     */
    public synchronized List<String> recordsWrittenTwice() {
        final List<String> bad = new ArrayList<>(writtenTwice);
        for (int p = 0; p < processes.size(); p++) {
            final byte[] all = processes.get(p).read(regions[p].records(), RECORD * RECORDS);
            for (int i = 0; i < RECORDS; i++) {
                final byte[] one = Arrays.copyOfRange(all, i * RECORD, (i + 1) * RECORD);
                if (!recordInUse[p][i] && !Arrays.equals(one, STAMP) && !Arrays.equals(one, ZERO)) {
                    bad.add("process " + p + " record " + i + ": " + hex(one));
                }
            }
        }
        return bad;
    }

    private static byte[] le(int v) {
        final byte[] b = new byte[4];
        MemorySegment.ofArray(b).set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v);
        return b;
    }

    private static byte[] filled(int n, byte v) {
        final byte[] b = new byte[n];
        Arrays.fill(b, v);
        return b;
    }

    private static String hex(byte[] b) {
        final StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xFF));
        }
        return s.toString();
    }
}
