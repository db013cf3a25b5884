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
 * to {@code depth} descriptors in flight, and polls their completion records. The operations ({@link Plan}): memory
 * move, fill, CRC generation, a batch with fences (memmove, fenced memmove of its result, fill, fenced CRC of the
 * copy), and memory move / fill into on-demand memory that the device faults in through page requests the guest
 * driver serves; some request a completion interrupt. Every op writes its own buffers, so the final guest memory
 * depends only on the plan ({@link Regions} says where each op's bytes are).
 * <p>
 * What a real guest does on the statuses a migration may cause, it does here: a page fault that was not resolved
 * (0x03, 0x04, a batch's 0x05 / 0x06) — the CPU touches the destination and the whole op is resubmitted; an invalid
 * interrupt handle (0x19, a handle the destination revoked) — resubmitted with the driver's current handle. Every
 * submission has its own completion record (never reused), and a consumed record is stamped with
 * {@link #CONSUMED}: a second device write of any record is visible to {@link #recordsWrittenTwice()}.
 * <p>
 * Guest code runs only inside vCPU steps ({@link VcpuGate.Vcpu}); a host address it derives (for a record poll) is not
 * kept past the step, so the VMM may move the guest between any two steps.
 */
public final class GuestWorkload {
    /** Bytes of each op's buffer slot (largest transfer). */
    public static final int CHUNK = 16 << 10;
    /** Completion-record bytes a consumed record is overwritten with. */
    public static final byte CONSUMED = (byte) 0xC5;
    private static final int RECORD = 32;
    private static final int BATCH_COUNT = 4;
    private static final int MAX_ATTEMPTS = 1000;
    private static final byte[] STAMP = filled(RECORD, CONSUMED);

    /** What an op does. */
    public enum Kind { MEMMOVE, FILL, CRC, BATCH, MEMMOVE_ON_DEMAND, FILL_ON_DEMAND }

    /**
     * One operation of a plan.
     *
     * @param slot      its index among its process's ops: its buffers are slot × {@link #CHUNK} into each region
     * @param dataSeed  seed of the source bytes the CPU writes before submitting ({@link SplittableRandom#nextBytes})
     * @param pattern   fill pattern (FILL, FILL_ON_DEMAND, BATCH)
     * @param interrupt whether it asks for a completion interrupt
     */
    public record Op(int index, int process, int slot, Kind kind, int size, long dataSeed, long pattern,
                     boolean interrupt) {
        /** The part size of a batch: four parts of it fit the slot. */
        public int batchPart() {
            return Math.max(64, (size / 4) & ~7);
        }

        boolean writesSource() {
            return kind == Kind.MEMMOVE || kind == Kind.CRC || kind == Kind.BATCH || kind == Kind.MEMMOVE_ON_DEMAND;
        }

        boolean onDemand() {
            return kind == Kind.MEMMOVE_ON_DEMAND || kind == Kind.FILL_ON_DEMAND;
        }
    }

    /** A deterministic list of ops over {@code processes} guest processes. */
    public record Plan(long seed, int processes, List<Op> ops) {
        public Plan {
            ops = List.copyOf(ops);
        }

        /** {@code count} ops from {@code seed}, spread round-robin over the processes. */
        public static Plan generate(long seed, int count, int processes) {
            if (count < 1 || processes < 1) {
                throw new IllegalArgumentException("ops and processes must be >= 1");
            }
            final SplittableRandom r = new SplittableRandom(seed);
            final Kind[] kinds = Kind.values();
            final int[] slots = new int[processes];
            final List<Op> ops = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                final int p = i % processes;
                final Kind k = kinds[r.nextInt(kinds.length)];
                final int size = k == Kind.MEMMOVE_ON_DEMAND || k == Kind.FILL_ON_DEMAND
                    ? 4096 * (1 + r.nextInt(CHUNK / 4096)) - 8 * r.nextInt(2) // page-crossing, some not page-sized
                    : 1024 * (1 + r.nextInt(CHUNK / 1024));
                ops.add(new Op(i, p, slots[p]++, k, size, r.nextLong(), r.nextLong(), r.nextInt(4) == 0));
            }
            return new Plan(seed, processes, ops);
        }

        public int opsOf(int process) {
            int n = 0;
            for (Op o : ops) {
                n += o.process() == process ? 1 : 0;
            }
            return n;
        }
    }

    /**
     * Where one process's buffers are (guest-virtual): op slot s uses [src + s·CHUNK, +CHUNK), [dst + s·CHUNK, ...),
     * [onDemand + s·CHUNK, ...) and the 4 bytes at results + 4s (a CRC, little-endian, written by the CPU).
     */
    public record Regions(long src, long dst, long onDemand, long results, long records, int recordCapacity,
                          long lists) {
    }

    /** One submission of an op. */
    private static final class Attempt {
        final Op op;
        final int number;
        long record;
        final long[] inner = new long[BATCH_COUNT];

        Attempt(Op op, int number) {
            this.op = op;
            this.number = number;
        }
    }

    private final GuestDriver driver;
    private final VcpuGate.Vcpu vcpu;
    private final List<GuestProcess> processes;
    private final Plan plan;
    private final int depth;
    private final int wq;
    private final Regions[] regions;
    private final int[] recordsUsed;
    private final ArrayDeque<Attempt> retries = new ArrayDeque<>();
    private final List<Attempt> inFlight = new ArrayList<>();
    private final Descriptor staging;
    private final MemorySegment list = MemorySegment.ofArray(new byte[BATCH_COUNT * DescriptorLayout.LENGTH]);
    private final Descriptor inner = new Descriptor();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong submissions = new AtomicLong();
    private final Map<String, Long> resubmitted = Collections.synchronizedMap(new TreeMap<>());
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private CompletionRecord record;
    private MemorySegment recordSegment;
    private int next;
    private long portalRetries;
    private long interruptsRequested;
    private int maxInFlight;
    private volatile Thread thread;
    private volatile boolean repeat;
    private volatile boolean stop;
    private volatile Throwable crash;

    /**
     * A workload of {@code plan} on {@code driver}'s WQ {@code wq} (shared, PASID and block-on-fault enabled), one
     * process per plan process. Allocates the buffers in a step of {@code vcpu}.
     */
    public GuestWorkload(GuestDriver driver, VcpuGate.Vcpu vcpu, List<GuestProcess> processes, Plan plan, int depth,
                         int wq) {
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
        this.regions = new Regions[processes.size()];
        this.recordsUsed = new int[processes.size()];
        vcpu.step(() -> {
            for (int p = 0; p < regions.length; p++) {
                regions[p] = allocate(this.processes.get(p), plan.opsOf(p));
            }
        });
    }

    private Regions allocate(GuestProcess p, int ops) {
        final long bytes = (long) Math.max(1, ops) * CHUNK;
        final int capacity = 5 * (2 * ops + 256);
        return new Regions(p.allocate(bytes), p.allocate(bytes), p.allocateOnDemand(bytes),
            p.allocate(4L * Math.max(1, ops)), p.allocate((long) RECORD * capacity), capacity,
            p.allocate((long) BATCH_COUNT * DescriptorLayout.LENGTH * Math.max(1, ops)));
    }

    public Plan plan() {
        return plan;
    }

    public Regions regions(int process) {
        return regions[process];
    }

    public int depth() {
        return depth;
    }

    // ---- running

    /**
     * Runs the plan over and over until {@link #stop} (for benchmarks that need the device busy whenever they
     * migrate): records are reused (armed by the CPU first) and memory is no longer the plan's single-run result,
     * so {@link #recordsWrittenTwice} and reference checks do not apply. Before {@link #start}.
     */
    public GuestWorkload repeat(boolean on) {
        this.repeat = on;
        return this;
    }

    /** Starts the vCPU thread. */
    public GuestWorkload start() {
        final Thread t = new Thread(this::run, "vcpu-" + vcpu.name());
        t.setDaemon(true);
        thread = t;
        t.start();
        return this;
    }

    /** Ops completed (successfully or as a failure) so far. */
    public long completed() {
        return completed.get();
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
        return true;
    }

    /**
     * Waits for the vCPU thread to finish every op.
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
            throw new IllegalStateException("guest workload did not finish: " + completed.get() + " of "
                + plan.ops().size() + " ops, " + inFlightCount() + " in flight");
        }
        if (crash != null) {
            throw new IllegalStateException("guest vCPU crashed", crash);
        }
    }

    /** Tells the vCPU thread to stop after its step. */
    public void stop() {
        stop = true;
    }

    private synchronized int inFlightCount() {
        return inFlight.size();
    }

    private void run() {
        try {
            int idle = 0;
            while (!stop && (repeat || completed.get() < plan.ops().size())) {
                vcpu.enter();
                final boolean progress;
                try {
                    progress = step();
                } finally {
                    vcpu.exit();
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
            complete(a, raw);
            progress = true;
        }
        while (inFlight.size() < depth) {
            final Attempt a = retries.isEmpty() ? fresh() : retries.peekFirst();
            if (a == null) {
                break;
            }
            final PortalResult r = submit(a);
            if (r == PortalResult.RETRY) {
                portalRetries++;
                if (retries.peekFirst() != a) {
                    retries.addFirst(a); // first in line for the next step; it keeps its unused records
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

    private Attempt fresh() {
        if (next >= plan.ops().size()) {
            if (!repeat) {
                return null;
            }
            next = 0;
        }
        final Op op = plan.ops().get(next++);
        if (op.writesSource()) {
            final byte[] data = new byte[op.size()];
            new SplittableRandom(op.dataSeed()).nextBytes(data);
            processes.get(op.process()).write(regions[op.process()].src() + (long) op.slot() * CHUNK, data);
        }
        return new Attempt(op, 0);
    }

    /** The raw status byte of the record at {@code va} of process {@code p} (acquire, through the guest's tables). */
    private int status(int p, long va) {
        // the segment and the host address are derived in this step and used only in it (the VMM may move the guest
        // between steps); a movable guest's segment is the process-wide view, so the flyweight is rarely rebuilt
        final MemorySegment segment = driver.guest().memory().hostSegment();
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

    private long newRecord(int p) {
        if (recordsUsed[p] >= regions[p].recordCapacity()) {
            if (!repeat) {
                throw new IllegalStateException("process " + p + " used all " + regions[p].recordCapacity()
                    + " completion records");
            }
            recordsUsed[p] = 0; // the oldest records completed long ago: fewer than depth x 5 are ever in use
        }
        final long va = regions[p].records() + (long) RECORD * recordsUsed[p]++;
        if (repeat) {
            processes.get(p).write(va, new byte[RECORD]); // arm a reused record (a fresh one is zero already)
        }
        return va;
    }

    private PortalResult submit(Attempt a) {
        final Op op = a.op;
        final int p = op.process();
        final Regions r = regions[p];
        final GuestProcess proc = processes.get(p);
        if (a.record == 0) {
            a.record = newRecord(p);
        }
        final long src = r.src() + (long) op.slot() * CHUNK;
        final long dst = (op.onDemand() ? r.onDemand() : r.dst()) + (long) op.slot() * CHUNK;
        int flags = DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD;
        if (op.interrupt()) {
            flags |= DescriptorFlags.REQUEST_COMPLETION_INTERRUPT;
        }
        final Descriptor d = staging.clear().completionAddress(a.record);
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
        if (op.onDemand()) {
            flags |= DescriptorFlags.BLOCK_ON_FAULT;
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
        final int part = a.op.batchPart();
        for (int i = 0; i < BATCH_COUNT; i++) {
            if (a.inner[i] == 0) {
                a.inner[i] = newRecord(a.op.process());
            }
        }
        final int rec = DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD;
        inner.wrap(list, 0).clear().opcode(Opcode.MEMMOVE).flags(rec).completionAddress(a.inner[0])
            .source(src).destination(dst).transferSize(part);
        inner.wrap(list, 64).clear().opcode(Opcode.MEMMOVE).flags(rec | DescriptorFlags.FENCE)
            .completionAddress(a.inner[1]).source(dst).destination(dst + part).transferSize(part);
        inner.wrap(list, 128).clear().opcode(Opcode.FILL).flags(rec).completionAddress(a.inner[2])
            .fillPattern(a.op.pattern()).destination(dst + 2L * part).transferSize(part);
        inner.wrap(list, 192).clear().opcode(Opcode.CRC_GENERATION).flags(rec | DescriptorFlags.FENCE)
            .completionAddress(a.inner[3]).source(dst + part).transferSize(part).crcSeed(0);
        proc.write(listVa, list.toArray(ValueLayout.JAVA_BYTE));
    }

    private void complete(Attempt a, int raw) {
        final Op op = a.op;
        final GuestProcess proc = processes.get(op.process());
        final int status = raw & 0x7F;
        int crc = record.crcValue(); // the record was wrapped by the status poll of this step
        proc.write(a.record, STAMP);
        boolean innerOk = true;
        if (op.kind() == Kind.BATCH) {
            for (int i = 0; i < BATCH_COUNT; i++) {
                final int s = status(op.process(), a.inner[i]) & 0x7F;
                if (i == BATCH_COUNT - 1 && s == Status.SUCCESS) {
                    crc = record.crcValue();
                }
                if (s != 0) {
                    proc.write(a.inner[i], STAMP);
                }
                innerOk &= s == Status.SUCCESS;
            }
        }
        if (status == Status.SUCCESS && innerOk) {
            if (op.kind() == Kind.CRC || op.kind() == Kind.BATCH) {
                proc.write(regions[op.process()].results() + 4L * op.slot(), le(crc));
            }
            completed.incrementAndGet();
            return;
        }
        if (status == Status.SUCCESS && op.kind() == Kind.BATCH) {
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
            final long dst = regions[op.process()].onDemand() + (long) op.slot() * CHUNK;
            proc.read(dst, op.size());
        }
        retries.addLast(new Attempt(op, a.number + 1));
    }

    private static boolean retryable(int status) {
        return status == Status.PAGE_FAULT_NOBOF || status == Status.PAGE_FAULT_IR || status == Status.BATCH_FAIL
            || status == Status.BATCH_PAGE_FAULT || status == Status.INVALID_INTERRUPT_HANDLE;
    }

    private void fail(Attempt a, String why) {
        failures.add("op " + a.op.index() + " (" + a.op.kind() + ", process " + a.op.process() + ", attempt "
            + a.number + "): " + why);
        completed.incrementAndGet();
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

    public synchronized int maxInFlight() {
        return maxInFlight;
    }

    /** Completion records handed out, per process. */
    public synchronized int recordsUsed(int process) {
        return recordsUsed[process];
    }

    /**
     * Records whose bytes are neither all {@link #CONSUMED} (completed once and consumed) nor all zero (never written:
     * the inner records a fenced batch did not reach): each was written again after the guest consumed it, or never
     * consumed. Call it after the workload has finished, in a vCPU step or with the guest quiet.
     */
    public synchronized List<String> recordsWrittenTwice() {
        final List<String> bad = new ArrayList<>();
        for (int p = 0; p < processes.size(); p++) {
            final byte[] all = processes.get(p).read(regions[p].records(), RECORD * recordsUsed[p]);
            for (int i = 0; i < recordsUsed[p]; i++) {
                final byte[] one = Arrays.copyOfRange(all, i * RECORD, (i + 1) * RECORD);
                if (!Arrays.equals(one, STAMP) && !Arrays.equals(one, new byte[RECORD])) {
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
