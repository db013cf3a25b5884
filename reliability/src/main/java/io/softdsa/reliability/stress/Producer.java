package io.softdsa.reliability.stress;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.Device;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.memory.HostMemory;
import io.softdsa.portal.Portal;
import io.softdsa.reliability.stress.StressRun.Op;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static io.softdsa.reliability.stress.StressRun.*;

/**
 * The workload of a stress run: one submitting thread with its own address space and {@link #SLOTS} descriptors in flight at most. */
final class Producer implements Runnable {
    final HostMemory memory;
    private final StressLedger ledger;
    private final BooleanSupplier running;
    private final ResultCheck check;
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

    Producer(StressRig rig, StressLedger ledger, BooleanSupplier running, int index, int pasid, boolean dedicated,
             SplittableRandom r) {
        this.memory = rig.memory;
        this.ledger = ledger;
        this.running = running;
        this.check = new ResultCheck(this, ledger);
        final ScalableModeIommu iommu = rig.iommu;
        final Device device = rig.device;
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
            ledger.problem("producer " + index + " died: " + e);
            ledger.wrongResults.increment();
        }
    }

    private void loop() {
        while (true) {
            boolean busy = false;
            boolean any = false;
            for (int s = 0; s < SLOTS; s++) {
                switch (states.get(s)) {
                    case FREE -> {
                        if (running.getAsBoolean()) {
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
            if (!running.getAsBoolean() && !any) {
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
            Canaries.guard(memory.segment(), as, dstVa[s] + offset[s], size[s], this::mapped);
            Canaries.guard(memory.segment(), as, dst2Va[s] + offset[s], size[s], this::mapped);
        }
        submit(s);
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
                ledger.accepted.increment(); // queued (possibly aborted since, which SWERR also reports)
            }
        } else {
            while (!portal.enqcmd(d)) {
                ledger.retries.increment();
                Thread.onSpinWait();
                LockSupport.parkNanos(2_000);
            }
            ledger.accepted.increment();
        }
    }

    private void completed(int s) {
        if (!states.compareAndSet(s, IN_FLIGHT, DONE)) {
            ledger.doubleResolved.increment();
            ledger.problem("producer " + index + " slot " + s + ": a record was written for a descriptor in state "
                + states.get(s));
            return;
        }
        ledger.completions.increment();
        final CompletionRecord cr = records[s];
        final int status = cr.status();
        if (status == 0x03 && op[s] != Op.BATCH) { // page fault without BOF: map, then resume the remainder
            final long fault = cr.faultAddress();
            if (!mapLazy(fault)) {
                ledger.unexpectedStatus.increment();
                ledger.problem("fault outside the lazy regions at 0x" + Long.toHexString(fault) + " (" + op[s] + ")");
                states.set(s, FREE);
                return;
            }
            ledger.partials.increment();
            done[s] += cr.bytesCompleted();
            if (op[s] == Op.CRC || op[s] == Op.COPY_CRC) {
                crc[s] = cr.crcValue();
            }
            submit(s);
            return;
        }
        if (status != 0x01) {
            ledger.unexpectedStatus.increment();
            ledger.problem("producer " + index + " " + op[s] + " ended with status 0x" + Integer.toHexString(status)
                + " (" + cr + ")");
            states.set(s, FREE);
            return;
        }
        check.verify(s, cr);
        ledger.opsDone[op[s].ordinal()].incrementAndGet();
        states.set(s, FREE);
    }

}
