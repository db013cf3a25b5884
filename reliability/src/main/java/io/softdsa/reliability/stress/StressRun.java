package io.softdsa.reliability.stress;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.AbortReport;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.WorkQueue;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.PageRequest;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.memory.HostMemory;
import io.softdsa.memory.Page;
import io.softdsa.portal.Portal;
import io.softdsa.reliability.Reference;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * One bounded stress run. Producer threads submit random operations of random sizes through a shared WQ (ENQCMD on
 * its limited portal, each producer with its own PASID and address space, block-on-fault enabled, BOF requested on
 * half the descriptors) and a dedicated WQ (MOVDIR64B, one owner, no BOF), served by M engine threads; a chaos
 * thread drains, aborts, and disables and re-enables both WQs while they run; destination pages are mapped lazily,
 * by page requests (BOF) or by the producer after a partial completion, which it resumes as the fact sheet's
 * section 10 says, and are unmapped again after use. At the end every accepted descriptor must be accounted for.
 * <p>
 * Every byte of a destination page outside the descriptor's buffer is a canary (filled before the run and checked
 * after it), as are frames scattered through host memory that no address space maps, and the source buffers, which
 * the device only reads.
 */
public final class StressRun {
    static final int SLOTS = 8;
    static final int MAX_SIZE = 32 * 1024;
    static final byte CANARY = (byte) 0xC5;
    static final int SHARED_WQ = 0;
    static final int DEDICATED_WQ = 1;
    static final int DWQ_PASID = 0x7000;
    static final int CANARY_FRAMES = 64;
    private static final long PAGE = Page.SIZE;

    // slot states
    static final int FREE = 0;
    static final int IN_FLIGHT = 1;
    static final int DONE = 2;
    static final int ABORTED = 3;
    static final int DROPPED = 4;

    // operations
    enum Op { MEMMOVE, FILL, CRC, COPY_CRC, DUALCAST, COMPARE, NOOP, DRAIN, BATCH }

    private final StressOptions options;
    private final StressReport report;
    private volatile boolean running = true;

    private HostMemory memory;
    private ScalableModeIommu iommu;
    private Device device;
    private final Map<Integer, Producer> byPasid = new ConcurrentHashMap<>();
    private Producer dedicatedOwner;

    // accounting
    private final LongAdder accepted = new LongAdder();
    private final LongAdder completions = new LongAdder();
    private final LongAdder abortedSeen = new LongAdder();
    private final LongAdder droppedDisabled = new LongAdder();
    private final LongAdder droppedFull = new LongAdder();
    private final LongAdder abortReported = new LongAdder();
    private final LongAdder doubleResolved = new LongAdder();
    private final LongAdder wrongResults = new LongAdder();
    private final LongAdder canaryHits = new LongAdder();
    private final LongAdder unexplainedSwerr = new LongAdder();
    private final LongAdder swerrSeen = new LongAdder();
    private final LongAdder partials = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder pageRequests = new LongAdder();
    private final LongAdder bytesVerified = new LongAdder();
    private final LongAdder unexpectedStatus = new LongAdder();
    private final AtomicLong[] opsDone = new AtomicLong[Op.values().length];
    private final Map<String, LongAdder> commands = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

    public StressRun(StressOptions options) {
        this.options = options;
        this.report = new StressReport(options);
        for (int i = 0; i < opsDone.length; i++) {
            opsDone[i] = new AtomicLong();
        }
    }

    private void problem(String what) {
        if (problems.size() < 20) {
            problems.add(what);
        }
    }

    public StressReport run() {
        memory = HostMemory.allocate(256L << 20);
        try {
            return runOnMemory();
        } finally {
            memory.close();
        }
    }

    private StressReport runOnMemory() {
        iommu = new ScalableModeIommu(memory);
        final Integer[] engines = new Integer[options.engines()];
        for (int i = 0; i < engines.length; i++) {
            engines[i] = i;
        }
        final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, engines))
            .wq(WqConfig.builder(SHARED_WQ).shared().size(32).threshold(24).group(0).pasidEnabled(true)
                .blockOnFault(true).maxTransferSize(1L << 20).maxBatchSize(32).build())
            .wq(WqConfig.builder(DEDICATED_WQ).dedicated().size(16).group(0).pasid(true, DWQ_PASID)
                .maxTransferSize(1L << 20).maxBatchSize(32).build())
            .build();
        device = Device.create(memory, cfg, DeviceOptions.defaults().sva(iommu));
        device.swerr().listener(this::onSwerr);
        iommu.pageRequests().handler(this::onPageRequest);
        device.enableAll();

        final SplittableRandom seeds = new SplittableRandom(options.seed());
        final List<long[]> canaries = new ArrayList<>();
        final List<Producer> producers = new ArrayList<>();
        for (int p = 0; p < options.producers(); p++) {
            for (int k = 0; k < CANARY_FRAMES / options.producers(); k++) {
                final long frame = memory.frames().allocateFrame();
                memory.segment().asSlice(frame, PAGE).fill(CANARY);
                canaries.add(new long[] {frame, PAGE});
            }
            final boolean dedicated = p == 0;
            final int pasid = dedicated ? DWQ_PASID : 0x100 + p;
            final Producer producer = new Producer(p, pasid, dedicated, seeds.split());
            producers.add(producer);
            byPasid.put(pasid, producer);
            if (dedicated) {
                dedicatedOwner = producer;
            }
        }
        final long start = System.nanoTime();
        final List<Thread> threads = new ArrayList<>();
        for (Producer p : producers) {
            threads.add(Thread.ofPlatform().name("stress-producer-" + p.index).start(p));
        }
        final Thread chaos = Thread.ofPlatform().name("stress-chaos").start(() -> chaos(seeds.split()));
        sleepUntil(start + TimeUnit.SECONDS.toNanos(options.seconds()));
        running = false;
        join(chaos, 60);
        ensureEnabled();
        boolean allJoined = true;
        for (Thread t : threads) {
            allJoined &= join(t, 60);
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        device.drainAll();
        final long aliveEngines = Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().startsWith("softdsa-dsa0-engine") && t.isAlive()).count();
        long lost = 0;
        for (Producer p : producers) {
            lost += p.inFlight();
        }
        final long canaryFramesHit = canaries.stream().filter(c -> !allCanary(memory.segment(), c[0], c[1])).count();
        long sourcesChanged = 0;
        for (Producer p : producers) {
            sourcesChanged += p.sourcesChanged();
        }
        final long deviceCompleted = device.completedDescriptors();
        final long internal = device.internalErrors();
        final long swerrTotal = device.swerr().totalErrors();
        device.close();

        // ---- figures
        final StringBuilder ops = new StringBuilder();
        for (Op op : Op.values()) {
            ops.append(op.name().toLowerCase()).append('=').append(opsDone[op.ordinal()].get()).append(' ');
        }
        report.figure("run time", String.format("%.1f s", seconds));
        report.figure("descriptors accepted", accepted.sum());
        report.figure("descriptors completed", completions.sum());
        report.figure("throughput", String.format("%.0f descriptors/s, %.1f MB/s verified", completions.sum() / seconds,
            bytesVerified.sum() / seconds / 1e6));
        report.figure("operations verified", ops.toString().trim());
        report.figure("partial completions resumed", partials.sum());
        report.figure("page requests served (BOF)", pageRequests.sum());
        report.figure("ENQCMD retries", retries.sum());
        report.figure("aborted (SWERR 0xFF)", abortedSeen.sum());
        report.figure("dropped, WQ disabled (0x31)", droppedDisabled.sum());
        report.figure("dropped, WQ full (0x30)", droppedFull.sum());
        final StringBuilder cmds = new StringBuilder();
        new java.util.TreeMap<>(commands).forEach((k, v) -> cmds.append(k).append('=').append(v.sum()).append(' '));
        report.figure("WQ commands while running", cmds.toString().trim());

        // ---- invariants
        report.check("accepted = completed + reported aborted", accepted.sum() + " = " + completions.sum() + " + "
            + abortedSeen.sum(), accepted.sum() == completions.sum() + abortedSeen.sum());
        report.check("every abort reported to its caller", abortReported.sum() + " in AbortReports, "
            + abortedSeen.sum() + " in SWERR", abortReported.sum() == abortedSeen.sum());
        report.check("nothing completed twice or unseen", "engines " + deviceCompleted + ", records "
            + completions.sum() + ", both ways " + doubleResolved.sum(),
            deviceCompleted == completions.sum() && doubleResolved.sum() == 0);
        report.check("nothing lost", lost + " still in flight" + (allJoined ? "" : ", producers stuck"),
            lost == 0 && allJoined);
        report.check("every memmove/fill/CRC/... result right", wrongResults.sum() + " wrong, "
            + unexpectedStatus.sum() + " unexpected statuses", wrongResults.sum() == 0 && unexpectedStatus.sum() == 0);
        report.check("SWERR entries explained", swerrSeen.sum() + " seen of " + swerrTotal + ", "
            + unexplainedSwerr.sum() + " unexplained", unexplainedSwerr.sum() == 0 && swerrSeen.sum() == swerrTotal);
        report.check("no engine thread died, nothing thrown", aliveEngines + "/" + options.engines()
            + " engine threads alive, " + internal + " internal errors",
            aliveEngines == options.engines() && internal == 0);
        report.check("host-memory canaries intact", canaryFramesHit + " canary frames hit, " + canaryHits.sum()
            + " guard bytes hit, " + sourcesChanged + " sources changed",
            canaryFramesHit == 0 && canaryHits.sum() == 0 && sourcesChanged == 0);
        if (droppedFull.sum() > 0) {
            report.note(droppedFull.sum() + " MOVDIR64B dropped as 'WQ full' with at most " + SLOTS
                + " of 16 entries outstanding: the ring's spurious retry (see the README's findings)");
        }
        problems.forEach(report::note);
        return report;
    }

    // ---------------------------------------------------------------- chaos: WQ commands while running

    private void chaos(SplittableRandom r) {
        final WorkQueue swq = device.wq(SHARED_WQ);
        final WorkQueue dwq = device.wq(DEDICATED_WQ);
        while (running) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10 + r.nextInt(60)));
            if (!running) {
                break;
            }
            switch (r.nextInt(8)) {
                case 0, 1 -> command("drain-shared", () -> swq.drain());
                case 2 -> command("abort-shared", () -> reported(swq.abort()));
                case 3 -> command("abort-dedicated", () -> reported(dwq.abort()));
                case 4 -> command("disable-enable-shared", () -> {
                    swq.disable();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1 + r.nextInt(5)));
                    swq.enable();
                });
                case 5 -> command("disable-enable-dedicated", () -> {
                    dwq.disable();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1 + r.nextInt(5)));
                    dwq.enable();
                });
                case 6 -> command("abort-all", () -> device.abortAll().forEach(this::reported));
                default -> command("disable-aborting-dedicated", () -> {
                    reported(dwq.disableAborting());
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1 + r.nextInt(5)));
                    dwq.enable();
                });
            }
        }
    }

    private void command(String name, Runnable r) {
        r.run();
        commands.computeIfAbsent(name, k -> new LongAdder()).increment();
    }

    private void reported(AbortReport r) {
        abortReported.add(r.count());
    }

    private void ensureEnabled() {
        for (WorkQueue wq : device.workQueues()) {
            if (!wq.isEnabled()) {
                wq.enable();
            }
        }
    }

    // ---------------------------------------------------------------- SWERR and page requests

    private void onSwerr(SwerrEntry e) {
        swerrSeen.increment();
        final int code = e.errorCode();
        if (code != 0xFF && code != 0x30 && code != 0x31) {
            unexplainedSwerr.increment();
            problem("unexplained SWERR 0x" + Integer.toHexString(code) + " on wq" + e.wqIndex() + ", opcode 0x"
                + Integer.toHexString(e.opcode()));
            return;
        }
        final Producer p = e.wqIndex() == DEDICATED_WQ ? dedicatedOwner : byPasid.get(e.pasid());
        final long cr = MemorySegment.ofArray(e.descriptor()).get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        final int slot = p == null ? -1 : p.slotOf(cr);
        if (slot < 0) {
            unexplainedSwerr.increment();
            problem("SWERR 0x" + Integer.toHexString(code) + " for a descriptor no producer submitted");
            return;
        }
        final int to = code == 0xFF ? ABORTED : DROPPED;
        if (!p.states.compareAndSet(slot, IN_FLIGHT, to)) {
            doubleResolved.increment();
            problem("SWERR 0x" + Integer.toHexString(code) + " for producer " + p.index + " slot " + slot
                + " in state " + p.states.get(slot));
            return;
        }
        switch (code) {
            case 0xFF -> abortedSeen.increment();
            case 0x30 -> droppedFull.increment();
            default -> droppedDisabled.increment();
        }
    }

    private void onPageRequest(PageRequest request, io.softdsa.iommu.PageRequestHandler.PageResponder responder) {
        pageRequests.increment();
        final Producer p = byPasid.get(request.pasid());
        if (p != null && p.mapLazy(request.pageAddress())) {
            responder.respond(PageRequest.RESPONSE_SUCCESS);
        } else {
            problem("page request outside every lazy region: PASID " + request.pasid() + " page 0x"
                + Long.toHexString(request.pageAddress()));
            responder.respond(PageRequest.RESPONSE_INVALID_REQUEST);
        }
    }

    // ---------------------------------------------------------------- producers

    /** One submitting thread with its own address space and {@link #SLOTS} descriptors in flight at most. */
    final class Producer implements Runnable {
        final int index;
        final int pasid;
        final boolean dedicated;
        final SplittableRandom r;
        final AddressSpace as;
        final Portal portal;
        final AtomicIntegerArray states = new AtomicIntegerArray(SLOTS);
        final Descriptor d = Descriptor.allocate(Arena.ofAuto());
        final long recordsVa;
        final CompletionRecord[] records = new CompletionRecord[SLOTS];
        final long[] srcVa = new long[SLOTS];
        final byte[][] srcBytes = new byte[SLOTS][];
        final long[] dstVa = new long[SLOTS];
        final long[] dst2Va = new long[SLOTS];
        final long[] batchVa = new long[SLOTS];
        /** Lazily mapped pages of this producer: VA to frame. */
        final Map<Long, Long> lazyFrames = new HashMap<>();
        // the operation in each slot
        final Op[] op = new Op[SLOTS];
        final int[] size = new int[SLOTS];
        final int[] offset = new int[SLOTS];
        final long[] done = new long[SLOTS];
        final long[] pattern = new long[SLOTS];
        final int[] seed = new int[SLOTS];
        final int[] crc = new int[SLOTS];
        final boolean[] bof = new boolean[SLOTS];

        Producer(int index, int pasid, boolean dedicated, SplittableRandom r) {
            this.index = index;
            this.pasid = pasid;
            this.dedicated = dedicated;
            this.r = r;
            this.as = iommu.bind(pasid);
            this.portal = dedicated ? device.wq(DEDICATED_WQ).portal() : device.wq(SHARED_WQ).portal().boundTo(pasid);
            recordsVa = as.allocate(PAGE, AddressSpace.RW_USER);
            for (int s = 0; s < SLOTS; s++) {
                records[s] = new CompletionRecord(memory.segment(), as.hostAddress(recordsVa + 32L * s));
                srcVa[s] = as.allocate(MAX_SIZE, AddressSpace.RW_USER);
                srcBytes[s] = new byte[MAX_SIZE];
                r.nextBytes(srcBytes[s]);
                as.write(srcVa[s], MemorySegment.ofArray(srcBytes[s]));
                dstVa[s] = as.reserve(MAX_SIZE + 2 * PAGE, AddressSpace.PageSize.SIZE_4K);
                dst2Va[s] = as.reserve(MAX_SIZE + 2 * PAGE, AddressSpace.PageSize.SIZE_4K);
                batchVa[s] = as.allocate(2 * PAGE, AddressSpace.RW_USER);
            }
        }

        int slotOf(long recordVa) {
            final long s = (recordVa - recordsVa) / 32;
            return recordVa >= recordsVa && (recordVa - recordsVa) % 32 == 0 && s < SLOTS ? (int) s : -1;
        }

        long inFlight() {
            long n = 0;
            for (int s = 0; s < SLOTS; s++) {
                n += states.get(s) == IN_FLIGHT ? 1 : 0;
            }
            return n;
        }

        long sourcesChanged() {
            long n = 0;
            for (int s = 0; s < SLOTS; s++) {
                n += Arrays.equals(srcBytes[s], as.read(srcVa[s], MAX_SIZE)) ? 0 : 1;
            }
            return n;
        }

        boolean lazy(long va) {
            for (int s = 0; s < SLOTS; s++) {
                if (inRegion(va, dstVa[s]) || inRegion(va, dst2Va[s])) {
                    return true;
                }
            }
            return false;
        }

        private boolean inRegion(long va, long base) {
            return va >= base && va < base + MAX_SIZE + 2 * PAGE;
        }

        /** Maps the page of {@code va} on a fresh frame full of canary bytes; false if it is not a lazy page. */
        synchronized boolean mapLazy(long va) {
            final long page = va & ~(PAGE - 1);
            if (!lazy(page)) {
                return false;
            }
            if (!lazyFrames.containsKey(page)) {
                final long frame = memory.frames().allocateFrame();
                memory.segment().asSlice(frame, PAGE).fill(CANARY);
                as.map(page, frame, PAGE, AddressSpace.RW_USER);
                lazyFrames.put(page, frame);
            }
            return true;
        }

        synchronized void unmapLazy(long base) {
            for (long page = base; page < base + MAX_SIZE + 2 * PAGE; page += PAGE) {
                final Long frame = lazyFrames.remove(page);
                if (frame != null) {
                    as.unmap(page, PAGE);
                    memory.frames().free(frame, PAGE);
                }
            }
        }

        synchronized boolean mapped(long page) {
            return lazyFrames.containsKey(page);
        }

        @Override
        public void run() {
            try {
                loop();
            } catch (RuntimeException | Error e) {
                problem("producer " + index + " died: " + e);
                wrongResults.increment();
            }
        }

        private void loop() {
            while (true) {
                boolean busy = false;
                boolean any = false;
                for (int s = 0; s < SLOTS; s++) {
                    switch (states.get(s)) {
                        case FREE -> {
                            if (running) {
                                start(s);
                                busy = true;
                                any = true;
                            }
                        }
                        case IN_FLIGHT -> {
                            any = true;
                            if (records[s].rawStatus() != 0) {
                                completed(s);
                                busy = true;
                            }
                        }
                        case ABORTED -> {
                            states.set(s, FREE);
                            busy = true;
                        }
                        case DROPPED -> { // the dedicated WQ is disabled: its owner backs off, as software would
                            states.set(s, FREE);
                            LockSupport.parkNanos(200_000);
                        }
                        default -> throw new IllegalStateException("slot state " + states.get(s));
                    }
                }
                if (!running && !any) {
                    return;
                }
                if (!busy) {
                    LockSupport.parkNanos(20_000);
                }
            }
        }

        private void start(int s) {
            final Op[] ops = Op.values();
            op[s] = ops[r.nextInt(ops.length)];
            size[s] = 1 + (r.nextInt(4) == 0 ? r.nextInt(MAX_SIZE) : r.nextInt(2048));
            offset[s] = r.nextInt((int) PAGE);
            done[s] = 0;
            pattern[s] = r.nextLong();
            seed[s] = r.nextInt();
            crc[s] = seed[s];
            bof[s] = !dedicated && r.nextBoolean();
            if (r.nextInt(3) == 0) {
                unmapLazy(dstVa[s]);
                unmapLazy(dst2Va[s]);
            }
            if (op[s] == Op.BATCH) {
                prepareBatch(s);
            } else {
                guard(dstVa[s] + offset[s], size[s]);
                guard(dst2Va[s] + offset[s], size[s]);
            }
            submit(s);
        }

        /** Fills the parts of the mapped destination pages around [va, va + n) with canary bytes. */
        private void guard(long va, int n) {
            final long first = va & ~(PAGE - 1);
            final long end = va + n;
            for (long page = first; page < end; page += PAGE) {
                if (!mapped(page)) {
                    continue;
                }
                final long head = Math.max(0, Math.min(va, page + PAGE) - page);
                final long tailFrom = Math.min(page + PAGE, Math.max(page, end));
                final long host = as.hostAddress(page);
                memory.segment().asSlice(host, head).fill(CANARY);
                memory.segment().asSlice(host + (tailFrom - page), page + PAGE - tailFrom).fill(CANARY);
            }
        }

        /** Whether the guard bytes around [va, va + n) in its (now all mapped) pages are untouched. */
        private boolean guardIntact(long va, int n) {
            final long first = va & ~(PAGE - 1);
            final long end = va + n;
            for (long page = first; page < end; page += PAGE) {
                final long host = as.hostAddress(page);
                final long head = Math.max(0, Math.min(va, page + PAGE) - page);
                final long tailFrom = Math.min(page + PAGE, Math.max(page, end));
                if (!allCanary(memory.segment(), host, head)
                    || !allCanary(memory.segment(), host + (tailFrom - page), page + PAGE - tailFrom)) {
                    return false;
                }
            }
            return true;
        }

        private void prepareBatch(int s) {
            final long list = batchVa[s];
            final int count = 2 + r.nextInt(3);
            size[s] = count;
            final MemorySegment m = memory.segment();
            for (int i = 0; i < count; i++) {
                final Descriptor inner = new Descriptor(m, as.hostAddress(list + 64L * i)).clear();
                final long record = list + 512 + 32L * i;
                m.set(ValueLayout.JAVA_BYTE, as.hostAddress(record), (byte) 0);
                inner.opcode(0x04).flags(0x0C).completionAddress(record).fillPattern(pattern[s] + i)
                    .destination(list + PAGE + 512L * i).transferSize(512);
            }
        }

        private void submit(int s) {
            final long n = (op[s] == Op.BATCH ? size[s] : size[s] - done[s]);
            final long src = srcVa[s] + done[s];
            final long dst = dstVa[s] + offset[s] + done[s];
            final long dst2 = dst2Va[s] + offset[s] + done[s];
            d.clear().flags(0x0C | (bof[s] ? 0x02 : 0)).completionAddress(recordsVa + 32L * s);
            switch (op[s]) {
                case MEMMOVE -> d.opcode(0x03).source(src).destination(dst).transferSize(n);
                case FILL -> d.opcode(0x04).fillPattern(Long.rotateRight(pattern[s], (int) (8 * (done[s] % 8))))
                    .destination(dst).transferSize(n);
                case CRC -> d.opcode(0x10).source(src).transferSize(n).crcSeed(crc[s]);
                case COPY_CRC -> d.opcode(0x11).source(src).destination(dst).transferSize(n).crcSeed(crc[s]);
                case DUALCAST -> d.opcode(0x09).source(src).destination(dst).destination2(dst2).transferSize(n);
                case COMPARE -> d.opcode(0x05).source(src).destination(src).transferSize(n);
                case NOOP -> d.opcode(0x00).flags(0x0C);
                case DRAIN -> d.opcode(0x02).flags(0x0C);
                case BATCH -> d.opcode(0x01).flags(0x0C).source(batchVa[s]).transferSize(n);
            }
            records[s].arm();
            states.set(s, IN_FLIGHT);
            if (dedicated) {
                portal.movdir64b(d); // a drop is reported (SWERR listener, this thread) before this returns
                if (states.get(s) != DROPPED) {
                    accepted.increment(); // queued (possibly aborted since, which SWERR also reports)
                }
            } else {
                while (!portal.enqcmd(d)) {
                    retries.increment();
                    Thread.onSpinWait();
                    LockSupport.parkNanos(2_000);
                }
                accepted.increment();
            }
        }

        private void completed(int s) {
            if (!states.compareAndSet(s, IN_FLIGHT, DONE)) {
                doubleResolved.increment();
                problem("producer " + index + " slot " + s + ": a record was written for a descriptor in state "
                    + states.get(s));
                return;
            }
            completions.increment();
            final CompletionRecord cr = records[s];
            final int status = cr.status();
            if (status == 0x03 && op[s] != Op.BATCH) { // page fault without BOF: map, then resume the remainder
                final long fault = cr.faultAddress();
                if (!mapLazy(fault)) {
                    unexpectedStatus.increment();
                    problem("fault outside the lazy regions at 0x" + Long.toHexString(fault) + " (" + op[s] + ")");
                    states.set(s, FREE);
                    return;
                }
                partials.increment();
                done[s] += cr.bytesCompleted();
                if (op[s] == Op.CRC || op[s] == Op.COPY_CRC) {
                    crc[s] = cr.crcValue();
                }
                submit(s);
                return;
            }
            if (status != 0x01) {
                unexpectedStatus.increment();
                problem("producer " + index + " " + op[s] + " ended with status 0x" + Integer.toHexString(status)
                    + " (" + cr + ")");
                states.set(s, FREE);
                return;
            }
            verify(s, cr);
            opsDone[op[s].ordinal()].incrementAndGet();
            states.set(s, FREE);
        }

        private void verify(int s, CompletionRecord cr) {
            final int n = size[s];
            final long dst = dstVa[s] + offset[s];
            final long dst2 = dst2Va[s] + offset[s];
            final byte[] src = Arrays.copyOf(srcBytes[s], op[s] == Op.BATCH ? 0 : n);
            boolean right = true;
            switch (op[s]) {
                case MEMMOVE -> right = Arrays.equals(src, as.read(dst, n)) && guarded(dst, n);
                case FILL -> right = Arrays.equals(Reference.fill(pattern[s], pattern[s], false, n), as.read(dst, n))
                    && guarded(dst, n);
                case CRC -> right = cr.crcValue() == Reference.crc32c(seed[s], src);
                case COPY_CRC -> right = cr.crcValue() == Reference.crc32c(seed[s], src)
                    && Arrays.equals(src, as.read(dst, n)) && guarded(dst, n);
                case DUALCAST -> right = Arrays.equals(src, as.read(dst, n)) && Arrays.equals(src, as.read(dst2, n))
                    && guarded(dst, n) && guarded(dst2, n);
                case COMPARE -> right = cr.result() == 0;
                case NOOP, DRAIN -> right = true;
                case BATCH -> {
                    for (int i = 0; i < n; i++) {
                        final long record = batchVa[s] + 512 + 32L * i;
                        right &= (memory.segment().get(ValueLayout.JAVA_BYTE, as.hostAddress(record)) & 0x7F) == 1;
                        final long p = pattern[s] + i;
                        right &= Arrays.equals(Reference.fill(p, p, false, 512),
                            as.read(batchVa[s] + PAGE + 512L * i, 512));
                    }
                    right &= cr.bytesCompleted() == n;
                }
            }
            if (right) {
                bytesVerified.add(op[s] == Op.BATCH ? 512L * n : n);
            } else {
                wrongResults.increment();
                problem("producer " + index + " " + op[s] + " of " + n + " bytes: wrong result");
            }
        }

        private boolean guarded(long va, int n) {
            if (guardIntact(va, n)) {
                return true;
            }
            canaryHits.increment();
            problem("producer " + index + ": guard bytes around 0x" + Long.toHexString(va) + " (+" + n + ") hit");
            return true; // counted as a canary hit, not a wrong result
        }
    }

    // ---------------------------------------------------------------- helpers

    static boolean allCanary(MemorySegment m, long from, long length) {
        for (long i = 0; i < length; i++) {
            if (m.get(ValueLayout.JAVA_BYTE, from + i) != CANARY) {
                return false;
            }
        }
        return true;
    }

    private static void sleepUntil(long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(left, 100_000_000L));
        }
    }

    private static boolean join(Thread t, int seconds) {
        try {
            t.join(TimeUnit.SECONDS.toMillis(seconds));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }
}
