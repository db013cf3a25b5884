package io.softdsa.engine;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.AbortReport;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.WorkQueue;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.AddressSpace.PageSize;
import io.softdsa.iommu.PageFaultHandler;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.iommu.Translation;
import io.softdsa.iommu.TranslationFault;
import io.softdsa.engine.ClaimRunAttackTest.Rec;
import io.softdsa.memory.HostMemory;
import io.softdsa.testing.Devices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static io.softdsa.engine.ClaimRunAttackTest.async;
import static io.softdsa.engine.ClaimRunAttackTest.get;
import static io.softdsa.engine.ClaimRunAttackTest.stillWaiting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attacks on commit 77270ce: a descriptor with nothing to complete (Success or Success-with-false-predicate, no CRAV,
 * no RCI) is neither held back nor finished, and {@link Threading#INVOKER_RUNS} lets an invoked engine alone in its
 * group take a claim run of up to eight and hold the run's completions back to its end.
 * <p>
 * Every expected outcome is a fact sheet number written as a literal (opcodes section 2, flags section 3, record
 * layout section 4, status codes section 5, SWERR section 11) or bytes computed by a plain loop here. The one rule
 * taken from the change's own contract rather than the fact sheet is the hold bound: held completions are written
 * before the next descriptor once the descriptors run since the first held one moved 256 KiB, and otherwise at the
 * run's end. It is observed deterministically by a descriptor of the same run that copies a held record's bytes: the
 * device itself reports whether the record was written before that descriptor ran.
 */
class CompletionSkipAttackTest {
    // fact sheet section 2
    static final int NOOP = 0x00;
    static final int BATCH = 0x01;
    static final int DRAIN = 0x02;
    static final int MEMMOVE = 0x03;
    static final int FILL = 0x04;
    static final int COMPARE = 0x05;
    // fact sheet section 3
    static final int FENCE = 0x0001;
    static final int BOF = 0x0002;
    static final int CRAV = 0x0004;
    static final int RCR = 0x0008;
    static final int RCI = 0x0010;
    static final int RESERVED_BIT_6 = 0x0040;
    static final int CHECK_RESULT = 0x0080;
    static final int CRAV_RCR = CRAV | RCR;

    static final int A = 5;
    static final int B = 6;
    static final int PAGE = 4096;
    static final int WQ_SIZE = 32;
    static final long WAIT = TimeUnit.SECONDS.toNanos(10);
    /** A handle outside any interrupt table (at most 2048 entries): never valid, status 0x19. */
    static final int BAD_HANDLE = 0xFFFF;

    // ------------------------------------------------------------------------------------------------ fixture

    /**
     * Holds every block-on-fault page request until opened once; then maps a fresh zeroed page there when
     * {@link #mapInto} is set (Success response, the descriptor goes on), else fails it (0x04).
     */
    static final class Gate implements PageFaultHandler {
        final Semaphore entered = new Semaphore(0);
        final Semaphore open = new Semaphore(0);
        final HostMemory memory;
        volatile AddressSpace mapInto;

        Gate(HostMemory memory) {
            this.memory = memory;
        }

        @Override
        public int resolve(Translation context, long address, int access) {
            entered.release();
            try {
                open.tryAcquire(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            final AddressSpace as = mapInto;
            if (as == null) {
                return TranslationFault.PAGE_REQUEST_FAILED;
            }
            final long frame = memory.frames().allocateFrame();
            memory.segment().asSlice(frame, PAGE).fill((byte) 0);
            as.map(address & -PAGE, frame, PAGE, AddressSpace.RW_USER);
            return 0; // Iommu.OK: Success response, retry the translation
        }

        void awaitEntered() throws InterruptedException {
            assertTrue(entered.tryAcquire(10, TimeUnit.SECONDS), "the engine never reached the gate");
        }
    }

    /**
     * A tenant: {@link ClaimRunAttackTest.Tenant}'s address space and records, with buffers here made physically
     * contiguous, so the 2 MiB moves are one bulk copy each.
     */
    static final class Tenant {
        final int pasid;
        final AddressSpace as;
        private final ClaimRunAttackTest.Tenant records;

        Tenant(ScalableModeIommu iommu, HostMemory memory, int pasid) {
            this.records = new ClaimRunAttackTest.Tenant(iommu, memory, pasid);
            this.pasid = pasid;
            this.as = records.as;
        }

        Rec record() {
            return records.record();
        }

        long buffer(int bytes, long seed) {
            final long va = as.allocate(bytes, AddressSpace.RW_USER, PageSize.SIZE_4K, true);
            final byte[] data = new byte[bytes];
            new SplittableRandom(seed).nextBytes(data);
            as.write(va, MemorySegment.ofArray(data));
            return va;
        }

        long zeroed(int bytes) {
            return as.allocate(bytes, AddressSpace.RW_USER, PageSize.SIZE_4K, true);
        }

        byte[] read(long va, int n) {
            return as.read(va, n);
        }
    }

    static DeviceConfig config(int engines) {
        final WqConfig wq = WqConfig.builder(0).shared().size(WQ_SIZE).threshold(WQ_SIZE).group(0).pasidEnabled(true)
            .priv(true).blockOnFault(true).maxTransferSize(1L << 31).maxBatchSize(64).build();
        return DeviceConfig.builder("dsa0").group(engines == 1 ? GroupConfig.of(0, 0) : GroupConfig.of(0, 0, 1))
            .wq(wq).build();
    }

    static final class Fx implements AutoCloseable {
        final Threading threading;
        final HostMemory memory = HostMemory.allocate(96L << 20);
        final ScalableModeIommu iommu = new ScalableModeIommu(memory);
        final Gate gate = new Gate(memory);
        final Device device;
        final DsaClient client;
        final Tenant a;
        final Tenant b;

        Fx(Threading threading, int engines) {
            this.threading = threading;
            device = Device.create(memory, config(engines),
                DeviceOptions.defaults().threading(threading).sva(iommu).pageFaultHandler(gate));
            device.enableAll();
            client = DsaClient.open(device, 0);
            a = new Tenant(iommu, memory, A);
            b = new Tenant(iommu, memory, B);
        }

        Fx() {
            this(Threading.INVOKER_RUNS, 1);
        }

        Descriptor desc(Tenant t) {
            return client.descriptor().pasid(t.pasid);
        }

        /** Submits {@code d}; returns its 64 bytes as submitted. */
        byte[] submit(Descriptor d) {
            final byte[] bytes = d.segment().asSlice(d.offset(), 64).toArray(ValueLayout.JAVA_BYTE);
            assertTrue(client.trySubmit(d), "the WQ refused a descriptor");
            return bytes;
        }

        Rec noop(Tenant t) {
            final Rec r = t.record();
            submit(desc(t).opcode(NOOP).flags(CRAV_RCR).completionAddress(r.va()));
            return r;
        }

        byte[] silentMove(Tenant t, long src, long dst, long n) {
            return submit(desc(t).opcode(MEMMOVE).source(src).destination(dst).transferSize(n));
        }

        /** Runs everything queued to its end, whoever drives the engines. */
        void drive() {
            if (threading == Threading.THREAD_PER_ENGINE) {
                device.wq(0).drain();
            } else {
                Devices.drive(device);
            }
        }

        WorkQueue wq0() {
            return device.wq(0);
        }

        Engine engine(int id) {
            for (Engine e : device.engines()) {
                if (e.id() == id) {
                    return e;
                }
            }
            throw new AssertionError("no engine " + id);
        }

        List<SwerrEntry> swerr() {
            return device.swerr().history();
        }

        @Override
        public void close() {
            gate.open.release(1000); // a failed test leaves no engine in the gate
            final long errors = device.internalErrors();
            client.close();
            device.close();
            memory.close();
            assertEquals(0, errors, "internal engine errors");
        }
    }

    /** Bytes 4-63: what identifies a descriptor whatever the portal did with its PASID word. */
    static byte[] identity(byte[] descriptor) {
        return Arrays.copyOfRange(descriptor, 4, 64);
    }

    static void assertSwerr(List<Integer> codes, List<byte[]> descriptors, List<SwerrEntry> actual, String what) {
        assertEquals(codes, actual.stream().map(SwerrEntry::errorCode).toList(), what + ": SWERR codes in queue order");
        for (int i = 0; i < codes.size(); i++) {
            assertArrayEquals(identity(descriptors.get(i)), identity(actual.get(i).descriptor()),
                what + ": SWERR entry " + i + " names its descriptor");
        }
    }

    // -------------------------------------------------------------------- the hold bound, seen by the device itself

    /**
     * Run [noop R (held), 2 MiB move without record, 32-byte move of R's bytes to X, noop]: the silent 2 MiB move is
     * past the 256 KiB bound, so R is written before the third descriptor runs, and X holds R's record (status 0x01
     * at offset 0). Were the silent move's bytes not counted, R would still be held and X all zeros.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aHeldRecordIsWrittenBeforeTheDescriptorAfterABigMoveWithoutRecord() {
        try (Fx fx = new Fx()) {
            final int big = 2 << 20;
            final long src = fx.a.buffer(big, 1);
            final long dst = fx.a.zeroed(big);
            final long x = fx.a.zeroed(PAGE);
            final Rec r = fx.noop(fx.a);
            fx.silentMove(fx.a, src, dst, big);
            fx.silentMove(fx.a, r.va(), x, 32);
            final Rec last = fx.noop(fx.a);
            assertEquals(4, fx.device.invokeEngines(), "one run of four");
            assertEquals(0x01, r.status());
            assertEquals(0x01, last.status());
            assertArrayEquals(fx.a.read(src, big), fx.a.read(dst, big), "the silent move's bytes");
            final byte[] seen = fx.a.read(x, 32);
            assertEquals(0x01, seen[0], "the record was written before the descriptor after the 2 MiB move ran");
            assertArrayEquals(fx.a.read(r.va(), 32), seen);
            assertEquals(0, fx.swerr().size());
        }
    }

    /** The bound summed over several silent moves: four 64 KiB moves without record reach 256 KiB exactly. */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void silentMovesAddUpToTheHoldBound() {
        try (Fx fx = new Fx()) {
            final int k64 = 64 << 10;
            final long src = fx.a.buffer(4 * k64, 2);
            final long dst = fx.a.zeroed(4 * k64);
            final long x = fx.a.zeroed(PAGE);
            final Rec r = fx.noop(fx.a);
            for (int i = 0; i < 4; i++) {
                fx.silentMove(fx.a, src + (long) k64 * i, dst + (long) k64 * i, k64);
            }
            fx.silentMove(fx.a, r.va(), x, 32);
            assertEquals(6, fx.device.invokeEngines());
            assertEquals(0x01, fx.a.read(x, 1)[0], "256 KiB moved since R was held: R written before the next");
            assertArrayEquals(fx.a.read(src, 4 * k64), fx.a.read(dst, 4 * k64));
        }
    }

    /** The same bound reached by a Compare without record (2 MiB read, equal: Success, nothing to complete). */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aBigCompareWithoutRecordCountsTowardsTheBoundToo() {
        try (Fx fx = new Fx()) {
            final int big = 2 << 20;
            final long s1 = fx.a.buffer(big, 3);
            final long s2 = fx.a.buffer(big, 3); // same seed: equal
            final long x = fx.a.zeroed(PAGE);
            final Rec r = fx.noop(fx.a);
            fx.submit(fx.desc(fx.a).opcode(COMPARE).source(s1).destination(s2).transferSize(big));
            fx.silentMove(fx.a, r.va(), x, 32);
            assertEquals(3, fx.device.invokeEngines());
            assertEquals(0x01, fx.a.read(x, 1)[0]);
            assertEquals(0, fx.swerr().size(), "an equal compare without record is silent");
        }
    }

    /**
     * Control for the three above (the observer can see "not yet"), and the bound's reset: run [noop R1, 2 MiB silent
     * move, noop R2, copy R1 to X1, copy R2 to X2]. R1 is written before R2's noop; R2, held after the reset with
     * nothing moved since, is held to the run's end, so X2 is still zeros while X1 has R1's record. With no big move
     * at all ([noop R, copy R to X]) R is held to the end of the run too (INVOKER_RUNS holds a run's records back as a
     * runner thread does).
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void theBoundRestartsAfterTheHeldRecordsAreWrittenAndASmallRunHoldsToItsEnd() {
        try (Fx fx = new Fx()) {
            final int big = 2 << 20;
            final long src = fx.a.buffer(big, 4);
            final long dst = fx.a.zeroed(big);
            final long x = fx.a.zeroed(PAGE);
            final Rec r1 = fx.noop(fx.a);
            fx.silentMove(fx.a, src, dst, big);
            final Rec r2 = fx.noop(fx.a);
            fx.silentMove(fx.a, r1.va(), x, 32);
            fx.silentMove(fx.a, r2.va(), x + 64, 32);
            assertEquals(5, fx.device.invokeEngines());
            assertEquals(0x01, fx.a.read(x, 1)[0], "R1 written at the bound");
            assertArrayEquals(new byte[32], fx.a.read(x + 64, 32), "R2 held: nothing moved since the bound");
            assertEquals(0x01, r2.status(), "R2 written at the run's end");

            final Rec r = fx.noop(fx.a);
            fx.silentMove(fx.a, r.va(), x + 128, 32);
            assertEquals(2, fx.device.invokeEngines());
            assertArrayEquals(new byte[32], fx.a.read(x + 128, 32), "a short run's record is held to its end");
            assertEquals(0x01, r.status());
        }
    }

    // -------------------------------------------------------------------------------------------- SWERR order

    /**
     * A run of eight whose SWERR entries (descriptors without a record address that fail, a record fault, a
     * misaligned record address, a bad interrupt handle) are interleaved with silent successes, one of them 2 MiB
     * (so the held entries are written mid-run): SWERR holds them in queue order, each once, and latches the first.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void swerrEntriesOfARunKeepQueueOrderAcrossSilentDescriptors() {
        try (Fx fx = new Fx()) {
            final int big = 2 << 20;
            final long src = fx.a.buffer(big, 5);
            final long dst = fx.a.zeroed(big);
            final long unmappedRecord = fx.a.as.reserve(PAGE, PageSize.SIZE_4K);
            final Rec slot = fx.a.record();
            fx.a.record(); // the slot after the misaligned address stays untouched too
            fx.device.swerr().clear(3);
            fx.device.swerr().clearHistory();
            final List<byte[]> d = new ArrayList<>();
            d.add(fx.submit(fx.desc(fx.a).opcode(NOOP).u16(38, 1)));                                  // 0x12
            fx.silentMove(fx.a, src, dst, PAGE);                                                        // silent
            d.add(fx.submit(fx.desc(fx.a).opcode(NOOP).flags(CRAV_RCR).completionAddress(unmappedRecord))); // 0x1A
            d.add(fx.submit(fx.desc(fx.a).opcode(NOOP).flags(CRAV_RCR).completionAddress(slot.va() + 8)));  // 0x1B
            d.add(fx.submit(fx.desc(fx.a).opcode(NOOP).flags(RCI).interruptHandle(BAD_HANDLE)));         // 0x19
            fx.silentMove(fx.a, src, dst, big);                                                         // silent, 2 MiB
            d.add(fx.submit(fx.desc(fx.a).opcode(MEMMOVE).flags(RESERVED_BIT_6).source(src).destination(dst)
                .transferSize(64)));                                                                     // 0x11
            d.add(fx.submit(fx.desc(fx.a).opcode(MEMMOVE).source(src).destination(dst).transferSize(0)));  // 0x13
            assertEquals(8, fx.device.invokeEngines(), "one run of eight");
            final List<SwerrEntry> entries = fx.swerr();
            assertSwerr(List.of(0x12, 0x1A, 0x1B, 0x19, 0x11, 0x13), d, entries, "run");
            assertEquals(0x40, entries.get(4).invalidFlags(), "0x11 names the offending flag");
            assertTrue(entries.stream().allMatch(e -> e.pasid() == A && !e.batch()));
            assertEquals(0x12, fx.device.swerr().errorCode(), "the first in queue order is latched");
            assertArrayEquals(new byte[64], fx.a.read(slot.va(), 64), "nothing written at a misaligned address");
            assertArrayEquals(fx.a.read(src, big), fx.a.read(dst, big));
        }
    }

    // ------------------------------------------------------------------------------------------ interrupts

    /**
     * RCI descriptors among silent ones, in a run and inside a Batch: an RCI without a record address still raises
     * its interrupt once; one with CRAV but no RCR (Success: no record) raises it; one with a record raises it after
     * the record is written (the handler finds it); a silent descriptor raises nothing.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void interruptsAreRaisedForEveryRciDescriptorWithOrWithoutARecord() throws Exception {
        try (Fx fx = new Fx()) {
            final Rec withRecord = fx.a.record();
            final AtomicReference<String> violation = new AtomicReference<>();
            fx.device.interrupts().handler(2, h -> {
                if (withRecord.status() == 0) {
                    violation.set("interrupt 2 before its record");
                }
            });
            final long[] before = new long[7];
            for (int h = 1; h <= 6; h++) {
                before[h] = fx.device.interrupts().count(h);
            }
            final long src = fx.a.buffer(PAGE, 6);
            final long dst = fx.a.zeroed(4 * PAGE);
            final Rec noRecord = fx.a.record(); // CRAV, RCR = 0: Success writes no record
            final long list = fx.a.zeroed(PAGE);
            final MemorySegment lb = MemorySegment.ofArray(new byte[3 * 64]);
            new Descriptor(lb, 0).opcode(NOOP).flags(RCI).interruptHandle(5);
            new Descriptor(lb, 64).opcode(MEMMOVE).source(src).destination(dst + 3 * PAGE).transferSize(PAGE);
            new Descriptor(lb, 128).opcode(NOOP).flags(RCI).interruptHandle(6);
            fx.a.as.write(list, lb);

            fx.submit(fx.desc(fx.a).opcode(NOOP).flags(RCI).interruptHandle(1));                  // no CRAV
            fx.silentMove(fx.a, src, dst, PAGE);
            fx.submit(fx.desc(fx.a).opcode(MEMMOVE).source(src).destination(dst + PAGE).transferSize(PAGE)
                .flags(CRAV_RCR | RCI).interruptHandle(2).completionAddress(withRecord.va()));
            fx.submit(fx.desc(fx.a).opcode(NOOP).flags(CRAV | RCI).interruptHandle(3)
                .completionAddress(noRecord.va()));
            fx.submit(fx.desc(fx.a).opcode(NOOP));                                                  // silent
            fx.submit(fx.desc(fx.a).opcode(MEMMOVE).source(src).destination(dst + 2 * PAGE).transferSize(PAGE)
                .flags(RCI).interruptHandle(4));                                                    // no CRAV
            fx.submit(fx.desc(fx.a).opcode(BATCH).source(list).transferSize(3));                   // no CRAV
            assertEquals(7, fx.device.invokeEngines(), "one run of seven");
            for (int h = 1; h <= 6; h++) {
                assertEquals(1, fx.device.interrupts().count(h) - before[h], "handle " + h + " raised once");
            }
            assertEquals(0x01, withRecord.status());
            assertEquals(0, noRecord.cr().rawStatus(), "CRAV without RCR on Success: no record");
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(fx.a.read(src, PAGE), fx.a.read(dst + (long) PAGE * i, PAGE), "move " + i);
            }
            assertEquals(0, fx.swerr().size());
            final long deadline = System.nanoTime() + WAIT;
            while (fx.device.interrupts().count(2) == before[2] && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            Thread.sleep(50); // the handler runs on the delivery thread
            assertNull(violation.get());
        }
    }

    // ------------------------------------------------------------------------------------------ Compare

    /**
     * Compare (0x05) in one run: a mismatch is Success with result 1 and bytes completed = the first differing
     * offset; without CRAV it is silent; with Check result (flag 0x80) and expected result 0 at byte 40 a mismatch is
     * 0x02, whose record is written even with RCR = 0 (fact sheet 4); expected 1 makes it 0x01, and then RCR = 0
     * writes no record; an equal compare with a record is 0x01, result 0, bytes completed 0. None of them is an error
     * for SWERR (0x01 and 0x02 are the two success statuses).
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void comparesWithAndWithoutRecordsCompletePerTheFactSheet() {
        try (Fx fx = new Fx()) {
            final int n = 3000;
            final int diff = 1234;
            final long s1 = fx.a.buffer(n, 7);
            final long same = fx.a.buffer(n, 7);
            final long other = fx.a.buffer(n, 7);
            final byte[] changed = fx.a.read(s1, n);
            changed[diff] ^= 0x5A;
            fx.a.as.write(other, MemorySegment.ofArray(changed));
            final Rec plain = fx.a.record();
            final Rec pred = fx.a.record();
            final Rec expectedDifferent = fx.a.record();
            final Rec equal = fx.a.record();
            fx.submit(fx.desc(fx.a).opcode(COMPARE).source(s1).destination(other).transferSize(n).flags(CRAV_RCR)
                .completionAddress(plain.va()));
            fx.submit(fx.desc(fx.a).opcode(COMPARE).source(s1).destination(other).transferSize(n));   // silent
            fx.submit(fx.desc(fx.a).opcode(COMPARE).source(s1).destination(other).transferSize(n)
                .flags(CRAV | CHECK_RESULT).u8(40, 0).completionAddress(pred.va()));
            fx.submit(fx.desc(fx.a).opcode(COMPARE).source(s1).destination(other).transferSize(n)
                .flags(CRAV | CHECK_RESULT).u8(40, 1).completionAddress(expectedDifferent.va()));
            fx.submit(fx.desc(fx.a).opcode(COMPARE).source(s1).destination(other).transferSize(n)
                .flags(CHECK_RESULT).u8(40, 0));                                                       // 0x02, no CRAV
            fx.submit(fx.desc(fx.a).opcode(COMPARE).source(s1).destination(same).transferSize(n).flags(CRAV_RCR)
                .completionAddress(equal.va()));
            assertEquals(6, fx.device.invokeEngines());
            assertEquals(0x01, plain.status());
            assertEquals(1, fx.a.read(plain.va() + 1, 1)[0], "result 1: different");
            assertEquals(diff, plain.cr().bytesCompleted(), "bytes completed: the first differing offset");
            assertEquals(0x02, pred.status(), "Check result, expected 0, different: success with false predicate");
            assertEquals(1, pred.cr().result());
            assertEquals(diff, pred.cr().bytesCompleted());
            assertEquals(0, expectedDifferent.cr().rawStatus(), "0x01 with RCR = 0: no record");
            assertEquals(0x01, equal.status());
            assertEquals(0, equal.cr().result());
            assertEquals(0, equal.cr().bytesCompleted());
            assertEquals(0, fx.swerr().size(), "no SWERR entry for a success status");
        }
    }

    // ------------------------------------------------------------------------------------------ Batch

    /**
     * Batches in a run, their list descriptors without CRAV. (1) [noop, Compare with Check result that mismatches
     * (0x02), Fence noop with a record, noop with a record]: the fence stops the batch (0x02 is not 0x01), the two
     * fenced get no record, and the batch, without CRAV, reports 0x05 in SWERR (not a batch-inner entry). (2) A batch
     * with a record whose fourth list descriptor has bytes 38-39 non-zero: its SWERR entry 0x12 has the batch bit and
     * index 3, the batch's record is 0x05 with result 1 and descriptors completed 4, the silent moves moved. (3) An
     * all-silent batch without CRAV: nothing at all but its moves. Records of the run around them are 0x01.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void batchesWhoseListDescriptorsHaveNoRecordAddressBehave() {
        try (Fx fx = new Fx()) {
            final int n = 512;
            final long s1 = fx.a.buffer(n, 8);
            final long s2 = fx.a.buffer(n, 9); // different
            final long dst = fx.a.zeroed(8 * PAGE);
            final Rec fenced = fx.a.record();
            final Rec afterFence = fx.a.record();
            final Rec batch2 = fx.a.record();
            final long list1 = fx.a.zeroed(PAGE);
            final long list2 = fx.a.zeroed(PAGE);
            final long list3 = fx.a.zeroed(PAGE);
            final MemorySegment l1 = MemorySegment.ofArray(new byte[4 * 64]);
            new Descriptor(l1, 0).opcode(NOOP);
            new Descriptor(l1, 64).opcode(COMPARE).source(s1).destination(s2).transferSize(n).flags(CHECK_RESULT)
                .u8(40, 0);
            new Descriptor(l1, 128).opcode(NOOP).flags(FENCE | CRAV_RCR).completionAddress(fenced.va());
            new Descriptor(l1, 192).opcode(NOOP).flags(CRAV_RCR).completionAddress(afterFence.va());
            fx.a.as.write(list1, l1);
            final MemorySegment l2 = MemorySegment.ofArray(new byte[4 * 64]);
            new Descriptor(l2, 0).opcode(MEMMOVE).source(s1).destination(dst).transferSize(n);
            new Descriptor(l2, 64).opcode(NOOP);
            new Descriptor(l2, 128).opcode(MEMMOVE).source(s1).destination(dst + PAGE).transferSize(n);
            new Descriptor(l2, 192).opcode(NOOP).u16(38, 1);
            fx.a.as.write(list2, l2);
            final MemorySegment l3 = MemorySegment.ofArray(new byte[2 * 64]);
            new Descriptor(l3, 0).opcode(MEMMOVE).source(s1).destination(dst + 2 * PAGE).transferSize(n);
            new Descriptor(l3, 64).opcode(MEMMOVE).source(s2).destination(dst + 3 * PAGE).transferSize(n);
            fx.a.as.write(list3, l3);
            final byte[] inner12 = l2.asSlice(192, 64).toArray(ValueLayout.JAVA_BYTE);

            final Rec r0 = fx.noop(fx.a);
            final byte[] b1 = fx.submit(fx.desc(fx.a).opcode(BATCH).source(list1).transferSize(4));
            final Rec r2 = fx.noop(fx.a);
            fx.submit(fx.desc(fx.a).opcode(BATCH).source(list2).transferSize(4).flags(CRAV_RCR)
                .completionAddress(batch2.va()));
            fx.submit(fx.desc(fx.a).opcode(BATCH).source(list3).transferSize(2));
            final Rec r5 = fx.noop(fx.a);
            assertEquals(6, fx.device.invokeEngines());
            assertEquals(0x01, r0.status());
            assertEquals(0x01, r2.status());
            assertEquals(0x01, r5.status());
            assertEquals(0, fenced.cr().rawStatus(), "fenced after a 0x02: not executed, no record");
            assertEquals(0, afterFence.cr().rawStatus(), "after the fence stop: not executed");
            assertEquals(0x05, batch2.status());
            assertEquals(1, batch2.cr().result());
            assertEquals(4, batch2.cr().bytesCompleted(), "descriptors completed: all four processed");
            final List<SwerrEntry> e = fx.swerr();
            assertEquals(List.of(0x05, 0x12), e.stream().map(SwerrEntry::errorCode).toList(),
                "the first batch's failure (no CRAV), then the second batch's inner 0x12");
            assertArrayEquals(identity(b1), identity(e.get(0).descriptor()));
            assertEquals(false, e.get(0).batch());
            assertEquals(true, e.get(1).batch());
            assertEquals(3, e.get(1).batchIndex());
            assertEquals(A, e.get(1).pasid(), "an inner descriptor runs under its batch's PASID");
            assertArrayEquals(identity(inner12), identity(e.get(1).descriptor()));
            final byte[] s1b = fx.a.read(s1, n);
            assertArrayEquals(s1b, fx.a.read(dst, n));
            assertArrayEquals(s1b, fx.a.read(dst + PAGE, n));
            assertArrayEquals(s1b, fx.a.read(dst + 2 * PAGE, n));
            assertArrayEquals(fx.a.read(s2, n), fx.a.read(dst + 3 * PAGE, n));
        }
    }

    // ----------------------------------------------------------------------------- Drain WQ, Drain, Abort PASID

    /**
     * Run [noop R0, BOF move without record into an unmapped page (held at the gate, then mapped: Success), 64 KiB
     * move without record, fill without record, silent noop], invoked on another thread: while the invoker is held,
     * R0 is written (held records never wait on a page request), a second invoker does nothing, and Drain WQ waits;
     * when it returns every silent descriptor after the gate has done its work.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void drainWqWaitsForSilentDescriptorsOfARunHeldAtAPageRequest() throws Exception {
        try (Fx fx = new Fx()) {
            fx.gate.mapInto = fx.a.as;
            final int k64 = 64 << 10;
            final long src = fx.a.buffer(k64, 10);
            final long lazy = fx.a.as.reserve(PAGE, PageSize.SIZE_4K);
            final long dst = fx.a.zeroed(k64);
            final long filled = fx.a.zeroed(8 * PAGE);
            final long pattern = 0x1122334455667788L;
            final Rec r0 = fx.noop(fx.a);
            fx.submit(fx.desc(fx.a).opcode(MEMMOVE).flags(BOF).source(src).destination(lazy).transferSize(PAGE));
            fx.silentMove(fx.a, src, dst, k64);
            fx.submit(fx.desc(fx.a).opcode(FILL).source(pattern).destination(filled).transferSize(8 * PAGE - 3));
            fx.submit(fx.desc(fx.a).opcode(NOOP));
            final FutureTask<Integer> invoker = async(fx.device::invokeEngines);
            fx.gate.awaitEntered();
            assertEquals(0, fx.wq0().occupancy(), "one run of five");
            assertEquals(0x01, r0.status(), "written before the descriptor that waits on a page request");
            assertEquals(0, fx.device.invokeEngines(), "a second invoker finds the engine driven");
            final FutureTask<byte[][]> drain = async(() -> {
                fx.wq0().drain();
                return new byte[][] {fx.a.read(lazy, PAGE), fx.a.read(dst, k64), fx.a.read(filled, 8 * PAGE)};
            });
            assertTrue(stillWaiting(drain, 300), "Drain WQ returned while the run was held at the gate");
            fx.gate.open.release();
            final byte[][] seen = get(drain);
            assertEquals(5, get(invoker));
            final byte[] srcBytes = fx.a.read(src, k64);
            assertArrayEquals(Arrays.copyOf(srcBytes, PAGE), seen[0], "the gate's move, after its page was mapped");
            assertArrayEquals(srcBytes, seen[1], "the silent move after the gate");
            final byte[] expectedFill = new byte[8 * PAGE];
            for (int i = 0; i < 8 * PAGE - 3; i++) {
                expectedFill[i] = (byte) (pattern >>> (8 * (i % 8))); // little-endian pattern, cut at the end
            }
            assertArrayEquals(expectedFill, seen[2], "the silent fill after the gate");
            assertEquals(0, fx.swerr().size());
        }
    }

    /**
     * Two engines in the group (one descriptor per claim each): engine 0 is held in a BOF move without record
     * (nothing to complete); a Drain descriptor with a record taken by engine 1 must not complete until that move has
     * (fact sheet 7: Drain completes after every earlier descriptor of its WQ); once its record is seen, the move's
     * bytes are there.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aDrainDescriptorOnAnotherEngineWaitsForASilentDescriptor() throws Exception {
        try (Fx fx = new Fx(Threading.INVOKER_RUNS, 2)) {
            fx.gate.mapInto = fx.a.as;
            final long src = fx.a.buffer(PAGE, 11);
            final long lazy = fx.a.as.reserve(PAGE, PageSize.SIZE_4K);
            final Rec drainRec = fx.a.record();
            final Rec after = fx.a.record();
            fx.submit(fx.desc(fx.a).opcode(MEMMOVE).flags(BOF).source(src).destination(lazy).transferSize(PAGE));
            fx.submit(fx.desc(fx.a).opcode(DRAIN).flags(CRAV_RCR).completionAddress(drainRec.va()));
            fx.submit(fx.desc(fx.a).opcode(NOOP).flags(CRAV_RCR).completionAddress(after.va()));
            final FutureTask<Integer> e0 = async(() -> fx.engine(0).invoke());
            fx.gate.awaitEntered();
            final FutureTask<Integer> e1 = async(() -> fx.engine(1).invoke());
            assertTrue(stillWaiting(e1, 300), "the Drain waits for engine 0's silent move");
            assertEquals(0, drainRec.cr().rawStatus(), "Drain completed before the earlier move");
            fx.gate.open.release();
            assertEquals(1, get(e0));
            assertEquals(1, get(e1));
            assertEquals(0x01, drainRec.status());
            assertArrayEquals(fx.a.read(src, PAGE), fx.a.read(lazy, PAGE));
            Devices.drive(fx.device);
            assertEquals(0x01, after.status());
            assertEquals(0, fx.swerr().size());
        }
    }

    /**
     * Abort PASID A while A's run is held at a page request (which then fails: 0x04, no record address, so SWERR).
     * The run: [silent noop, silent move d1, the gate, noop R3, silent noop, silent move d2, silent RCI noop, noop with
     * bytes 38-39 non-zero], then [B's noop RB, A's noop RA] queued. The five unstarted of the run and A's queued noop
     * are discarded: reported once each in queue order, SWERR 0x04 (the gate, first in queue order) then 0xFF six
     * times; none runs (no record, d2 unwritten, no interrupt, no 0x12). The silent ones before the gate did run; B's
     * noop runs.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void abortPasidInTheMiddleOfARunDiscardsItsSilentDescriptorsOnceInQueueOrder() throws Exception {
        try (Fx fx = new Fx()) {
            final long src = fx.a.buffer(PAGE, 12);
            final long lazy = fx.a.as.reserve(PAGE, PageSize.SIZE_4K);
            final long d1 = fx.a.zeroed(PAGE);
            final long d2 = fx.a.zeroed(PAGE);
            final long h2 = fx.device.interrupts().count(2);
            fx.submit(fx.desc(fx.a).opcode(NOOP));
            fx.silentMove(fx.a, src, d1, PAGE);
            final byte[] gate = fx.submit(fx.desc(fx.a).opcode(MEMMOVE).flags(BOF).source(src).destination(lazy)
                .transferSize(64));
            final List<byte[]> discarded = new ArrayList<>();
            final Rec r3 = fx.a.record();
            discarded.add(fx.submit(fx.desc(fx.a).opcode(NOOP).flags(CRAV_RCR).completionAddress(r3.va())));
            discarded.add(fx.submit(fx.desc(fx.a).opcode(NOOP)));
            discarded.add(fx.silentMove(fx.a, src, d2, PAGE));
            discarded.add(fx.submit(fx.desc(fx.a).opcode(NOOP).flags(RCI).interruptHandle(2)));
            discarded.add(fx.submit(fx.desc(fx.a).opcode(NOOP).u16(38, 1)));
            final Rec rb = fx.noop(fx.b);
            final Rec ra = fx.a.record();
            discarded.add(fx.submit(fx.desc(fx.a).opcode(NOOP).flags(CRAV_RCR).completionAddress(ra.va())));
            final FutureTask<Integer> invoker = async(fx.device::invokeEngines);
            fx.gate.awaitEntered();
            assertEquals(2, fx.wq0().occupancy(), "A's run of eight taken, B's and A's last queued");
            final FutureTask<AbortReport> abort = async(() -> fx.wq0().abortPasid(A));
            final long lastQueued = fx.wq0().ring().tailPosition() - 1; // A's queued noop
            final Descriptor ofA = fx.desc(fx.a).opcode(NOOP);
            final long deadline = System.nanoTime() + WAIT;
            while (!fx.wq0().abortCovers(lastQueued, ofA) && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // until the abort is in force
            }
            assertTrue(fx.wq0().abortCovers(lastQueued, ofA), "Abort PASID A in force");
            assertTrue(stillWaiting(abort, 300), "Abort PASID waits for A's descriptor in progress");
            fx.gate.open.release();
            final AbortReport report = get(abort);
            assertEquals(8, get(invoker));
            Devices.drive(fx.device);
            assertEquals(discarded.size(), report.count(), "each unstarted A descriptor reported once");
            for (int i = 0; i < discarded.size(); i++) {
                assertArrayEquals(identity(discarded.get(i)), identity(report.descriptors().get(i)),
                    "reported in queue order: " + i);
            }
            final List<Integer> codes = new ArrayList<>(List.of(0x04));
            final List<byte[]> named = new ArrayList<>(List.of(gate));
            for (byte[] d : discarded) {
                codes.add(0xFF);
                named.add(d);
            }
            assertSwerr(codes, named, fx.swerr(), "abort");
            final SwerrEntry gateEntry = fx.swerr().get(0);
            assertEquals(lazy, gateEntry.faultAddress(), "the gate's fault address");
            assertTrue(gateEntry.faultWrite(), "a write fault");
            assertEquals(0, r3.cr().rawStatus());
            assertEquals(0, ra.cr().rawStatus());
            assertArrayEquals(fx.a.read(src, PAGE), fx.a.read(d1, PAGE), "the silent move before the gate ran");
            assertArrayEquals(new byte[PAGE], fx.a.read(d2, PAGE), "the discarded silent move did not run");
            assertEquals(h2, fx.device.interrupts().count(2), "the discarded RCI noop raised nothing");
            assertEquals(0x01, rb.status(), "B's noop ran");
        }
    }

    /**
     * Abort WQ while an invoked run is held at a page request that then fails: the gate (with a record) gets 0x04 with
     * status bit 7 (a write fault) and its fault address; the run's four unstarted descriptors (silent noop, silent
     * move, RCI without record, noop with record) and B's two queued behind the run are discarded, each reported once
     * in queue order with one SWERR 0xFF each, and none runs.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void abortWqInTheMiddleOfAnInvokedRunDiscardsEveryUnstartedDescriptorOnce() throws Exception {
        try (Fx fx = new Fx()) {
            final long src = fx.a.buffer(PAGE, 13);
            final long lazy = fx.a.as.reserve(PAGE, PageSize.SIZE_4K);
            final long d = fx.a.zeroed(PAGE);
            final long h3 = fx.device.interrupts().count(3);
            final Rec gate = fx.a.record();
            fx.submit(fx.desc(fx.a).opcode(MEMMOVE).flags(BOF | CRAV_RCR).source(src).destination(lazy)
                .transferSize(64).completionAddress(gate.va()));
            final List<byte[]> discarded = new ArrayList<>();
            discarded.add(fx.submit(fx.desc(fx.a).opcode(NOOP)));
            discarded.add(fx.silentMove(fx.a, src, d, PAGE));
            discarded.add(fx.submit(fx.desc(fx.a).opcode(NOOP).flags(RCI).interruptHandle(3)));
            final Rec r = fx.a.record();
            discarded.add(fx.submit(fx.desc(fx.a).opcode(NOOP).flags(CRAV_RCR).completionAddress(r.va())));
            discarded.add(fx.submit(fx.desc(fx.b).opcode(NOOP)));
            final Rec rb = fx.b.record();
            discarded.add(fx.submit(fx.desc(fx.b).opcode(NOOP).flags(CRAV_RCR).completionAddress(rb.va())));
            final FutureTask<Integer> invoker = async(fx.device::invokeEngines);
            fx.gate.awaitEntered();
            assertEquals(2, fx.wq0().occupancy(), "A's run of five taken, B's two queued");
            final FutureTask<AbortReport> abort = async(() -> fx.wq0().abort());
            assertTrue(stillWaiting(abort, 300), "Abort WQ waits for the descriptor in progress");
            fx.gate.open.release();
            final AbortReport report = get(abort);
            get(invoker);
            Devices.drive(fx.device);
            assertEquals(0x84, gate.cr().rawStatus(), "0x04, bit 7: the fault was a write");
            assertEquals(lazy, gate.cr().faultAddress());
            assertEquals(discarded.size(), report.count());
            for (int i = 0; i < discarded.size(); i++) {
                assertArrayEquals(identity(discarded.get(i)), identity(report.descriptors().get(i)), "report " + i);
            }
            // SWERR: one 0xFF entry each, and the run's entries in queue order among themselves, as are the WQ's. (The
            // WQ's two are recorded by the aborting thread as it takes them, before the engine reaches the run's
            // unstarted ones, so the two groups are not interleaved in queue order: not asserted, see the report.)
            final List<SwerrEntry> entries = fx.swerr();
            assertEquals(discarded.size(), entries.size(), "one SWERR entry each");
            assertTrue(entries.stream().allMatch(e -> e.errorCode() == 0xFF));
            final List<SwerrEntry> ofRun = entries.stream().filter(e -> e.pasid() == A).toList();
            final List<SwerrEntry> ofWq = entries.stream().filter(e -> e.pasid() == B).toList();
            assertSwerr(java.util.Collections.nCopies(4, 0xFF), discarded.subList(0, 4), ofRun, "the run's");
            assertSwerr(java.util.Collections.nCopies(2, 0xFF), discarded.subList(4, 6), ofWq, "the WQ's");
            assertEquals(0, r.cr().rawStatus());
            assertEquals(0, rb.cr().rawStatus());
            assertArrayEquals(new byte[PAGE], fx.a.read(d, PAGE));
            assertEquals(h3, fx.device.interrupts().count(3));
            final Rec next = fx.noop(fx.a);
            Devices.drive(fx.device);
            assertEquals(0x01, next.status(), "the WQ stays enabled and runs what comes next");
        }
    }

    // ------------------------------------------------------------------------------------------ model fuzz

    /** What one fuzzed descriptor must leave behind, from the fact sheet. */
    static final class Expect {
        Rec rec;               // a record slot, or null
        int status;            // its expected status byte (0: never written)
        int result;
        long bytesCompleted;
        int swerr;             // its SWERR code, or 0
        byte[] bytes;
        int pasid;
        int invalidFlags;
        long faultAddress = -1;
        int interrupt = -1;    // the handle it raises, or -1
        long untouched = -1;   // a 64-byte range (VA of tenant A) nothing may write
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void fuzzedRunsCompleteEachDescriptorExactlyOnceUnderInvokerRuns() {
        fuzz(Threading.INVOKER_RUNS, 40, 101);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void fuzzedRunsCompleteEachDescriptorExactlyOnceUnderInvoker() {
        fuzz(Threading.INVOKER, 15, 202);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void fuzzedRunsCompleteEachDescriptorExactlyOnceOnAnEngineThread() {
        fuzz(Threading.THREAD_PER_ENGINE, 25, 303);
    }

    /**
     * Rounds of up to sixteen random descriptors, mostly tenant A's (long runs) with some of B's (runs cut at the
     * PASID change), of every completion shape: with and without record, silent successes, failures without record
     * address (SWERR), misaligned and faulting records, interrupts with and without record, compares, big moves that
     * cross the hold bound. Each round: every record as the fact sheet says, SWERR exactly the failures in queue
     * order, each interrupt raised once, every move's bytes, nothing else written. At the end all records are
     * re-armed and more runs go by: none is written again.
     */
    void fuzz(Threading threading, int rounds, long seed) {
        try (Fx fx = new Fx(threading, 1)) {
            final SplittableRandom rnd = new SplittableRandom(seed);
            final int srcSize = 1 << 20;
            final int dstSize = 2 << 20;
            final long src = fx.a.buffer(srcSize, seed);
            final byte[] srcBytes = fx.a.read(src, srcSize);
            final long dst = fx.a.zeroed(dstSize);
            final long cmp = fx.a.zeroed(1 << 20);
            final long unmapped = fx.a.as.reserve(PAGE, PageSize.SIZE_4K);
            final long unmappedRecord = fx.a.as.reserve(PAGE, PageSize.SIZE_4K);
            final List<Rec> everyRecord = new ArrayList<>();
            final long[] raised = new long[4];
            long submitted = 0;
            final long completedBefore = fx.device.completedDescriptors();
            for (int round = 0; round < rounds; round++) {
                fx.a.as.write(dst, MemorySegment.ofArray(new byte[dstSize]));
                final byte[] expectedDst = new byte[dstSize];
                int dstUsed = 0;
                int cmpUsed = 0;
                final List<Expect> all = new ArrayList<>();
                final long[] before = new long[4];
                for (int h = 1; h <= 3; h++) {
                    before[h] = fx.device.interrupts().count(h);
                }
                fx.device.swerr().clearHistory();
                final int count = 1 + rnd.nextInt(16);
                for (int i = 0; i < count; i++) {
                    final Expect e = new Expect();
                    final Tenant t = rnd.nextInt(6) == 0 ? fx.b : fx.a;
                    e.pasid = t.pasid;
                    final int kind = t == fx.b ? rnd.nextInt(3) : rnd.nextInt(14);
                    final Descriptor d = fx.desc(t);
                    switch (kind) {
                        case 0 -> { // noop with record
                            e.rec = t.record();
                            e.status = 0x01;
                            d.opcode(NOOP).flags(CRAV_RCR).completionAddress(e.rec.va());
                        }
                        case 1 -> d.opcode(NOOP); // silent
                        case 2 -> { // bytes 38-39 non-zero, no record address
                            d.opcode(NOOP).u16(38, 1 + rnd.nextInt(0xFFFF));
                            e.swerr = 0x12;
                        }
                        case 3, 4, 5 -> { // a move, with or without record (some past the hold bound)
                            int n = rnd.nextInt(8) == 0 ? 300 << 10 : 1 + rnd.nextInt(16 << 10);
                            n = Math.max(1, Math.min(n, dstSize - dstUsed));
                            final int off = rnd.nextInt(srcSize - n + 1);
                            d.opcode(MEMMOVE).source(src + off).destination(dst + dstUsed).transferSize(n);
                            System.arraycopy(srcBytes, off, expectedDst, dstUsed, n);
                            dstUsed += n;
                            if (kind == 3) {
                                e.rec = t.record();
                                e.status = 0x01;
                                d.flags(CRAV_RCR).completionAddress(e.rec.va());
                            }
                            if (dstUsed == dstSize) {
                                dstUsed = dstSize - 1; // the last byte moved twice at worst: same bytes
                            }
                        }
                        case 6 -> { // RCI without record
                            e.interrupt = 1 + rnd.nextInt(3);
                            d.opcode(NOOP).flags(RCI).interruptHandle(e.interrupt);
                        }
                        case 7 -> { // RCI with a bad handle, no record address
                            d.opcode(NOOP).flags(RCI).interruptHandle(BAD_HANDLE);
                            e.swerr = 0x19;
                        }
                        case 8 -> { // misaligned record address
                            e.rec = t.record();
                            t.record();
                            e.untouched = e.rec.va();
                            d.opcode(NOOP).flags(CRAV_RCR).completionAddress(e.rec.va() + 8 * (1 + rnd.nextInt(3)));
                            e.swerr = 0x1B;
                        }
                        case 9, 10 -> { // compare that differs: with a record, without, or with Check result
                            final int n = 8 + rnd.nextInt(4000);
                            final int off = rnd.nextInt(srcSize - n + 1);
                            final int at = rnd.nextInt(n);
                            final byte[] other = Arrays.copyOfRange(srcBytes, off, off + n);
                            other[at] ^= (byte) (1 + rnd.nextInt(255));
                            fx.a.as.write(cmp + cmpUsed, MemorySegment.ofArray(other));
                            d.opcode(COMPARE).source(src + off).destination(cmp + cmpUsed).transferSize(n);
                            cmpUsed += n;
                            final int shape = rnd.nextInt(4);
                            if (shape == 0) {
                                e.rec = t.record();
                                e.status = 0x01;
                                e.result = 1;
                                e.bytesCompleted = at;
                                d.flags(CRAV_RCR).completionAddress(e.rec.va());
                            } else if (shape == 1) {
                                e.rec = t.record();
                                e.status = 0x02; // written with RCR = 0
                                e.result = 1;
                                e.bytesCompleted = at;
                                d.flags(CRAV | CHECK_RESULT).u8(40, 0).completionAddress(e.rec.va());
                            } else if (shape == 2) {
                                d.flags(CHECK_RESULT).u8(40, 0); // 0x02 without CRAV: no record, no error
                            } // shape 3: plain, silent
                        }
                        case 11 -> { // reserved flag, no record address
                            d.opcode(MEMMOVE).flags(RESERVED_BIT_6).source(src).destination(dst).transferSize(64);
                            e.swerr = 0x11;
                            e.invalidFlags = 0x40;
                        }
                        case 12 -> { // page fault reading the source, no record address
                            final int n = 1 + rnd.nextInt(PAGE);
                            d.opcode(MEMMOVE).source(unmapped).destination(dst + dstSize - PAGE).transferSize(n);
                            e.swerr = 0x03;
                            e.faultAddress = unmapped;
                        }
                        case 13 -> { // a record address that faults: 0x1A in SWERR; or RCI with a record
                            if (rnd.nextBoolean()) {
                                d.opcode(NOOP).flags(CRAV_RCR).completionAddress(unmappedRecord);
                                e.swerr = 0x1A;
                            } else {
                                e.rec = t.record();
                                e.status = 0x01;
                                e.interrupt = 1 + rnd.nextInt(3);
                                d.opcode(NOOP).flags(CRAV_RCR | RCI).interruptHandle(e.interrupt)
                                    .completionAddress(e.rec.va());
                            }
                        }
                        default -> throw new AssertionError(kind);
                    }
                    e.bytes = fx.submit(d);
                    if (e.rec != null) {
                        everyRecord.add(e.rec);
                    }
                    all.add(e);
                    submitted++;
                }
                fx.drive();
                final String at = threading + " round " + round;
                final List<SwerrEntry> entries = fx.swerr();
                final List<Expect> failing = all.stream().filter(e -> e.swerr != 0).toList();
                assertEquals(failing.stream().map(e -> e.swerr).toList(),
                    entries.stream().map(SwerrEntry::errorCode).toList(), at + ": SWERR in queue order");
                for (int i = 0; i < failing.size(); i++) {
                    final Expect e = failing.get(i);
                    final SwerrEntry s = entries.get(i);
                    assertArrayEquals(identity(e.bytes), identity(s.descriptor()), at + ": SWERR " + i);
                    assertEquals(e.pasid, s.pasid(), at + ": SWERR " + i + " PASID");
                    if (e.swerr == 0x11) {
                        assertEquals(e.invalidFlags, s.invalidFlags(), at);
                    }
                    if (e.faultAddress >= 0) {
                        assertEquals(e.faultAddress, s.faultAddress(), at + ": fault address");
                        assertEquals(false, s.faultWrite(), at + ": a read fault");
                    }
                }
                for (int k = 0; k < all.size(); k++) {
                    final Expect e = all.get(k);
                    if (e.rec == null) {
                        continue;
                    }
                    if (e.untouched >= 0) {
                        assertArrayEquals(new byte[64], fx.a.read(e.untouched, 64), at + ": misaligned " + k);
                        continue;
                    }
                    assertEquals(e.status, e.rec.cr().rawStatus(), at + ": record " + k);
                    if (e.status != 0) {
                        assertEquals(e.result, e.rec.cr().result(), at + ": result " + k);
                        assertEquals(e.bytesCompleted, e.rec.cr().bytesCompleted(), at + ": bytes completed " + k);
                    }
                }
                for (int h = 1; h <= 3; h++) {
                    final int handle = h;
                    final long want = all.stream().filter(e -> e.interrupt == handle).count();
                    assertEquals(want, fx.device.interrupts().count(h) - before[h], at + ": raises of " + h);
                    raised[h] += want;
                }
                assertArrayEquals(expectedDst, fx.a.read(dst, dstSize), at + ": every move's bytes, nothing else");
            }
            final long deadline = System.nanoTime() + WAIT; // an engine thread adds its run's count after its tag
            while (fx.device.completedDescriptors() - completedBefore < submitted && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(submitted, fx.device.completedDescriptors() - completedBefore, "each descriptor ran once");
            assertEquals(0, fx.device.swerr().historyDropped());
            for (Rec r : everyRecord) {
                r.cr().arm();
            }
            for (int round = 0; round < 3; round++) {
                final List<Rec> more = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    if (i % 3 == 0) {
                        fx.submit(fx.desc(fx.a).opcode(NOOP));
                    } else {
                        more.add(fx.noop(i % 4 == 0 ? fx.b : fx.a));
                    }
                }
                fx.drive();
                for (Rec r : more) {
                    assertEquals(0x01, r.status());
                }
            }
            for (Rec r : everyRecord) {
                assertEquals(0, r.cr().rawStatus(), threading + ": a record written a second time");
            }
        }
    }

    // ------------------------------------------------------------------------------ concurrent invokers

    /**
     * Three threads race INVOKER_RUNS duty cycles (and one of them Drain WQ, which invokes too) while a submitter
     * queues RCI descriptors without record address mixed with silent ones and records: the driver CAS lets one
     * drive at a time, and every descriptor runs exactly once: each interrupt handle's raises equal what was asked,
     * every record is 0x01, the device's completed count equals the submissions.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void concurrentInvokersRunEachDescriptorExactlyOnce() throws Exception {
        try (Fx fx = new Fx()) {
            final AtomicBoolean stop = new AtomicBoolean();
            final List<FutureTask<Integer>> drivers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                final boolean drainer = i == 2;
                drivers.add(async(() -> {
                    while (!stop.get()) {
                        if (drainer) {
                            fx.wq0().drain();
                        } else {
                            fx.device.invokeEngines();
                        }
                    }
                    return 0;
                }));
            }
            final long before1 = fx.device.interrupts().count(1);
            final long before2 = fx.device.interrupts().count(2);
            final long completedBefore = fx.device.completedDescriptors();
            final List<Rec> records = new ArrayList<>();
            final SplittableRandom rnd = new SplittableRandom(7);
            int asked1 = 0;
            int asked2 = 0;
            final int total = 3000;
            for (int i = 0; i < total; i++) {
                final int k = rnd.nextInt(4);
                final Descriptor d = fx.desc(rnd.nextInt(5) == 0 ? fx.b : fx.a).opcode(NOOP);
                if (k == 0) {
                    d.flags(RCI).interruptHandle(1);
                    asked1++;
                } else if (k == 1) {
                    final Rec r = fx.a.record();
                    records.add(r);
                    d.pasid(A).flags(CRAV_RCR | RCI).interruptHandle(2).completionAddress(r.va());
                    asked2++;
                }
                while (!fx.client.trySubmit(d)) {
                    Thread.onSpinWait();
                }
            }
            fx.wq0().drain();
            stop.set(true);
            for (FutureTask<Integer> f : drivers) {
                get(f);
            }
            assertEquals(asked1, fx.device.interrupts().count(1) - before1, "RCI without record: once each");
            assertEquals(asked2, fx.device.interrupts().count(2) - before2, "RCI with record: once each");
            for (Rec r : records) {
                assertEquals(0x01, r.status());
            }
            assertEquals(total, fx.device.completedDescriptors() - completedBefore);
            assertEquals(0, fx.swerr().size());
        }
    }
}
