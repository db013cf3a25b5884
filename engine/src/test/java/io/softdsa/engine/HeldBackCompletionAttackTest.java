package io.softdsa.engine;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.engine.ClaimRunAttackTest.Rec;
import io.softdsa.engine.ClaimRunAttackTest.Rig;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.AddressSpace.PageSize;
import io.softdsa.iommu.SecondLevelTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static io.softdsa.engine.ClaimRunAttackTest.A;
import static io.softdsa.engine.ClaimRunAttackTest.CRAV_RCR;
import static io.softdsa.engine.ClaimRunAttackTest.completionAddressOf;
import static io.softdsa.engine.ClaimRunAttackTest.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile-tenant attacks on held-back completions (commits 8f21905, d001e09): an engine alone in its group writes the
 * records and interrupts of a run after the run's last operation.
 * <p>
 * The review that wrote these first held the engine mid-run through a SWERR listener: a misaligned completion
 * address (step 1, 0x1B) was reported at once, on the engine thread, while the run's earlier completions were held
 * back. Five tests built on that hold (a record page unmapped or remapped, a PASID unbound, Abort PASID, and Drain /
 * Abort / Disable while completions were held back) passed against d001e09. The fix for
 * {@link #swerrEntriesOfARunKeepQueueOrder} holds step 1's entry back too, and no other callback runs on the engine
 * thread mid-run with completions held (a page request writes them first; a PASID whose translation can wait on the
 * host's stage-2 handler holds nothing back), so that hold, and those five tests, are gone; a record page remapped
 * at a random moment of a long run is still raced below.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HeldBackCompletionAttackTest {
    static final int PAGE = 4096;

    static byte[] bytes(Rig rig, long host, int n) {
        return rig.memory.segment().asSlice(host, n).toArray(ValueLayout.JAVA_BYTE);
    }

    static void fill(Rig rig, long host, int n, byte v) {
        rig.memory.segment().asSlice(host, n).fill(v);
    }

    static List<SwerrEntry> swerrAt(Rig rig, int code, long completionAddress) {
        return rig.swerr(code).stream().filter(e -> completionAddressOf(e.descriptor()) == completionAddress).toList();
    }

    static Rec noopAt(Rig rig, long va) {
        final Rec r = new Rec(va, new CompletionRecord(rig.memory.segment(), rig.a.as.hostAddress(va)));
        rig.submit(0, rig.desc(0).opcode(Opcode.NOOP).pasid(A).flags(CRAV_RCR).completionAddress(va));
        return r;
    }

    // ------------------------------------------------------------------------------------------- (a) record page



    /**
     * Runs [gate, noop rec@P, move 4 MiB, noop rec@Q] racing a remapper: after the run is released the test thread
     * unmaps P at a random moment, snapshots the old frame, then maps a fresh frame. Exactly one of: the record is in
     * the snapshot, in the new frame, or SWERR 0x1A names it; the old frame never changes after the unmap returned.
     */
    @Test
    void aRecordPageRemappedAtARandomMomentOfALongRunIsWrittenOnceAndNeverToTheOldFrame() throws Exception {
        try (Rig rig = new Rig()) {
            final int n = 4 << 20;
            final long src = rig.a.as.allocate(n, AddressSpace.RW_USER, PageSize.SIZE_4K, true);
            final long dst = rig.a.as.allocate(n, AddressSpace.RW_USER, PageSize.SIZE_4K, true);
            final SplittableRandom rnd = new SplittableRandom(11);
            int inSnapshot = 0;
            int inNew = 0;
            int faulted = 0;
            for (int round = 0; round < 25; round++) {
                final long p = rig.a.as.allocate(PAGE, AddressSpace.RW_USER);
                final long oldFrame = rig.a.as.hostAddress(p);
                final Rec[] r = new Rec[3];
                rig.runBehindGate(0, rig.a, () -> {
                    r[0] = noopAt(rig, p);
                    r[1] = rig.move(0, rig.a, src, dst, n);
                    r[2] = rig.noop(0, rig.a);
                });
                rig.gate.release();
                final long spin = rnd.nextLong(1_500_000);
                final long t0 = System.nanoTime();
                while (System.nanoTime() - t0 < spin) {
                    Thread.onSpinWait();
                }
                rig.a.as.unmap(p, PAGE);
                final byte[] snapshot = bytes(rig, oldFrame, PAGE);
                final long newFrame = rig.memory.frames().allocateFrame();
                fill(rig, newFrame, PAGE, (byte) 0);
                rig.a.as.map(p, newFrame, PAGE, AddressSpace.RW_USER);
                assertEquals(0x01, r[2].await(), "round " + round);
                rig.wq(0).drain();
                assertEquals(0x01, r[1].status());
                assertArrayEquals(snapshot, bytes(rig, oldFrame, PAGE), "old frame written after unmap, round " + round);
                final boolean a = snapshot[0] == 0x01;
                final boolean b = rig.a.as.read(p, 1)[0] == 0x01;
                final boolean c = swerrAt(rig, 0x1A, p).size() == 1;
                assertEquals(1, (a ? 1 : 0) + (b ? 1 : 0) + (c ? 1 : 0),
                    "exactly one outcome, round " + round + ": snapshot " + a + " new " + b + " swerr " + c);
                assertTrue(swerrAt(rig, 0x1A, p).size() <= 1);
                inSnapshot += a ? 1 : 0;
                inNew += b ? 1 : 0;
                faulted += c ? 1 : 0;
            }
            System.out.println("remap race: in old frame before unmap " + inSnapshot + ", new frame " + inNew
                + ", SWERR 0x1A " + faulted);
        }
    }


    // ------------------------------------------------------------------------------------- (c) abort, drain, disable



    // ----------------------------------------------------------------------------------------- (b) interrupts

    /**
     * Runs of four descriptors of A each asking for its own interrupt handle: every handler call finds its
     * descriptor's record written; every interrupt is delivered; many rounds.
     */
    @Test
    void everyInterruptOfARunFindsItsRecordWritten() throws Exception {
        try (Rig rig = new Rig()) {
            final int[] handles = {1, 2, 3, 4};
            final AtomicReferenceArray<Rec> expected = new AtomicReferenceArray<>(5);
            final AtomicInteger[] delivered = new AtomicInteger[5];
            final AtomicReference<String> violation = new AtomicReference<>();
            for (int h : handles) {
                delivered[h] = new AtomicInteger();
                rig.device.interrupts().handler(h, handle -> {
                    final Rec rec = expected.get(handle);
                    if (rec != null && rec.status() == 0 && violation.get() == null) {
                        violation.set("interrupt " + handle + " before its record");
                    }
                    delivered[handle].incrementAndGet();
                });
            }
            final long src = rig.a.buffer(PAGE, 1);
            final long dst = rig.a.as.allocate(PAGE, AddressSpace.RW_USER);
            final long lazy = rig.a.as.reserve(PAGE, PageSize.SIZE_4K);
            final int rci = DescriptorFlags.REQUEST_COMPLETION_INTERRUPT;
            for (int round = 0; round < 40; round++) {
                final Rec gate1 = rig.gate(0);
                rig.gate.awaitEntered();
                final Rec[] r = new Rec[4];
                for (int i = 0; i < 4; i++) {
                    r[i] = rig.a.record();
                    expected.set(handles[i], r[i]);
                }
                final int[] before = new int[5];
                for (int h : handles) {
                    before[h] = delivered[h].get();
                }
                // [A's gate (BOF), move, noop, move], each with its own handle
                rig.submit(0, rig.desc(0).opcode(Opcode.MEMMOVE).pasid(A).source(src).destination(lazy)
                    .transferSize(64).flags(DescriptorFlags.BLOCK_ON_FAULT | CRAV_RCR | rci).interruptHandle(1)
                    .completionAddress(r[0].va()));
                rig.submit(0, rig.desc(0).opcode(Opcode.MEMMOVE).pasid(A).source(src).destination(dst)
                    .transferSize(PAGE).flags(CRAV_RCR | rci).interruptHandle(2).completionAddress(r[1].va()));
                rig.submit(0, rig.desc(0).opcode(Opcode.NOOP).pasid(A).flags(CRAV_RCR | rci).interruptHandle(3)
                    .completionAddress(r[2].va()));
                rig.submit(0, rig.desc(0).opcode(Opcode.MEMMOVE).pasid(A).source(src).destination(dst)
                    .transferSize(PAGE).flags(CRAV_RCR | rci).interruptHandle(4).completionAddress(r[3].va()));
                rig.gate.release();
                assertTrue(gate1.await() != 0);
                rig.gate.awaitEntered();
                assertEquals(0, rig.wq(0).occupancy(), "one run of four, round " + round);
                rig.gate.release();
                assertEquals(0x01, r[3].await());
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                for (int h : handles) {
                    while (delivered[h].get() == before[h] && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    assertTrue(delivered[h].get() > before[h], "interrupt " + h + " delivered, round " + round);
                }
                assertEquals(null, violation.get(), "round " + round);
            }
            for (int h : handles) {
                assertEquals(40, rig.device.interrupts().count(h), "one raise per descriptor, handle " + h);
            }
        }
    }

    // ------------------------------------------------------------------------------------ (d) faults inside a run

    /**
     * A run [gate, move, move with unmapped source, noop with misaligned record]: the move's record 0x01, the fault's
     * 0x03 with its fault address, the misaligned one SWERR 0x1B only. Then every record is re-armed and more runs go
     * by: no record is ever written a second time.
     */
    @Test
    void laterFaultsInARunStillCompleteTheEarlierOnesExactlyOnce() throws Exception {
        try (Rig rig = new Rig()) {
            final long src = rig.a.buffer(PAGE, 2);
            final long dst = rig.a.as.allocate(PAGE, AddressSpace.RW_USER);
            final long unmapped = rig.a.as.reserve(PAGE, PageSize.SIZE_4K);
            final Rec[] r = new Rec[2];
            final long[] mis = new long[1];
            final Rec[] gates = rig.runBehindGate(0, rig.a, () -> {
                r[0] = rig.move(0, rig.a, src, dst, PAGE);
                r[1] = rig.move(0, rig.a, unmapped, dst, PAGE);
                mis[0] = rig.a.record().va() + 16;
                rig.submit(0, rig.desc(0).opcode(Opcode.NOOP).pasid(A).flags(CRAV_RCR).completionAddress(mis[0]));
            });
            rig.gate.release();
            assertEquals(0x03, r[1].await());
            rig.wq(0).drain();
            assertEquals(0x01, r[0].status());
            assertEquals(unmapped, r[1].cr().faultAddress());
            assertTrue(ClaimRunAttackTest.isPageFault(gates[1].status()));
            assertEquals(1, swerrAt(rig, 0x1B, mis[0]).size());
            assertArrayEquals(rig.a.as.read(src, PAGE), rig.a.as.read(dst, PAGE));
            final List<Rec> all = List.of(gates[0], gates[1], r[0], r[1]);
            for (Rec x : all) {
                x.cr().arm();
            }
            for (int i = 0; i < 3; i++) {
                final Rec[] s = new Rec[3];
                rig.runBehindGate(0, rig.a, () -> {
                    for (int k = 0; k < 3; k++) {
                        s[k] = rig.noop(0, rig.a);
                    }
                });
                rig.gate.release();
                assertEquals(0x01, s[2].await());
            }
            rig.wq(0).drain();
            for (Rec x : all) {
                assertEquals(0, x.status(), "a record written a second time");
            }
            assertEquals(1, rig.swerr(0x1B).size());
        }
    }

    /**
     * The SWERR register latches the first error. Run [gate, noop whose record page is unmapped (SWERR 0x1A), noop
     * with misaligned record (SWERR 0x1B), noop]: in queue order the record fault comes first, as it did before the
     * records were held back; the latched entry should be it.
     */
    @Test
    void swerrEntriesOfARunKeepQueueOrder() throws Exception {
        try (Rig rig = new Rig()) {
            final long unmapped = rig.a.as.reserve(PAGE, PageSize.SIZE_4K);
            final long[] mis = new long[1];
            final Rec[] r = new Rec[1];
            rig.runBehindGate(0, rig.a, () -> {
                rig.submit(0, rig.desc(0).opcode(Opcode.NOOP).pasid(A).flags(CRAV_RCR).completionAddress(unmapped));
                mis[0] = rig.a.record().va() + 8;
                rig.submit(0, rig.desc(0).opcode(Opcode.NOOP).pasid(A).flags(CRAV_RCR).completionAddress(mis[0]));
                r[0] = rig.noop(0, rig.a);
            });
            rig.device.swerr().clear(3);
            rig.device.swerr().clearHistory();
            rig.gate.release();
            assertEquals(0x01, r[0].await());
            rig.wq(0).drain();
            final List<Integer> codes = rig.device.swerr().history().stream().map(SwerrEntry::errorCode).toList();
            assertEquals(List.of(0x1A, 0x1B), codes, "SWERR history in queue order");
            assertEquals(0x1A, rig.device.swerr().errorCode(), "the first error in queue order is latched");
        }
    }

    // --------------------------------------------------------------------------------------- (e) Batch, Drain

    /**
     * Run [gate, noop, Batch(BOF move into an unmapped page held at the gate, noop), noop]: while the batch's first
     * descriptor waits on its page request, the gate's and the noop's records are written and the last noop's is not;
     * then the batch completes 0x05 (no fence: both processed, bytes completed 2), the inner noop 0x01.
     */
    @Test
    void aBatchInsideARunWaitsOnAPageRequestOnlyAfterTheEarlierRecords() throws Exception {
        try (Rig rig = new Rig()) {
            final long src = rig.a.buffer(PAGE, 3);
            final long lazy = rig.a.as.reserve(PAGE, PageSize.SIZE_4K);
            final long list = rig.a.as.allocate(PAGE, AddressSpace.RW_USER);
            final Rec[] inner = {rig.a.record(), rig.a.record()};
            final MemorySegment lb = MemorySegment.ofArray(new byte[128]);
            new Descriptor(lb, 0).opcode(Opcode.MEMMOVE).flags(CRAV_RCR | DescriptorFlags.BLOCK_ON_FAULT)
                .completionAddress(inner[0].va()).source(src).destination(lazy).transferSize(64);
            new Descriptor(lb, 64).opcode(Opcode.NOOP).flags(CRAV_RCR).completionAddress(inner[1].va());
            rig.a.as.write(list, lb);
            final Rec[] r = new Rec[3];
            final Rec[] gates = rig.runBehindGate(0, rig.a, () -> {
                r[0] = rig.noop(0, rig.a);
                r[1] = rig.a.record();
                rig.submit(0, rig.desc(0).opcode(Opcode.BATCH).pasid(A).source(list).transferSize(2).flags(CRAV_RCR)
                    .completionAddress(r[1].va()));
                r[2] = rig.noop(0, rig.a);
            });
            rig.gate.release();
            rig.gate.awaitEntered(); // inside the batch
            assertTrue(ClaimRunAttackTest.isPageFault(gates[1].status()), "the gate's record before the batch");
            assertEquals(0x01, r[0].status(), "the noop's record before the batch");
            assertEquals(0, r[1].status());
            assertEquals(0, r[2].status());
            rig.gate.release();
            assertEquals(0x01, r[2].await());
            rig.wq(0).drain();
            assertEquals(0x05, r[1].status());
            assertTrue(ClaimRunAttackTest.isPageFault(inner[0].status()));
            assertEquals(0x01, inner[1].status());
            assertEquals(2, r[1].cr().bytesCompleted(), "both processed");
        }
    }

    // ------------------------------------------------------------------------------- stage 2: a wait without BOF

    /**
     * A stage-2-only PASID whose host backs guest memory lazily (the handler waits, as a host paging memory in would).
     * Run [noop, move into an unbacked GPA, noop, noop] of that PASID: while the engine waits in the host's stage-2
     * handler — a wait of unbounded length, like a page request — the earlier noop's record is held back.
     */
    @Test
    void anEarlierRecordIsNotHeldBackAcrossAHostStage2Wait() throws Exception {
        try (Rig rig = new Rig()) {
            final int pasid = 9;
            final SecondLevelTables s2 = rig.iommu.newSecondLevel();
            final long gpaRecords = 0x10_0000L;
            final long gpaSrc = 0x20_0000L;
            final long gpaLazy = 0x30_0000L;
            final long hRec = rig.memory.frames().allocateFrame();
            final long hSrc = rig.memory.frames().allocateFrame();
            fill(rig, hRec, PAGE, (byte) 0);
            fill(rig, hSrc, PAGE, (byte) 0x42);
            s2.map(gpaRecords, hRec, PAGE, true);
            s2.map(gpaSrc, hSrc, PAGE, true);
            final Semaphore entered = new Semaphore(0);
            final Semaphore open = new Semaphore(0);
            s2.faultHandler((gpa, write) -> {
                if ((gpa & -PAGE) != gpaLazy) {
                    return false;
                }
                entered.release();
                try {
                    open.tryAcquire(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                final long frame = rig.memory.frames().allocateFrame();
                s2.map(gpaLazy, frame, PAGE, true);
                return true;
            });
            rig.iommu.bindSecondLevel(pasid, s2);
            final CompletionRecord[] cr = new CompletionRecord[4];
            for (int i = 0; i < 4; i++) {
                cr[i] = new CompletionRecord(rig.memory.segment(), hRec + 32L * i);
                cr[i].arm();
            }
            final Rec gate1 = rig.gate(0);
            rig.gate.awaitEntered();
            rig.submit(0, rig.desc(0).opcode(Opcode.NOOP).pasid(pasid).flags(CRAV_RCR).completionAddress(gpaRecords));
            rig.submit(0, rig.desc(0).opcode(Opcode.MEMMOVE).pasid(pasid).source(gpaSrc).destination(gpaLazy)
                .transferSize(64).flags(CRAV_RCR).completionAddress(gpaRecords + 32));
            rig.submit(0, rig.desc(0).opcode(Opcode.NOOP).pasid(pasid).flags(CRAV_RCR)
                .completionAddress(gpaRecords + 64));
            rig.submit(0, rig.desc(0).opcode(Opcode.NOOP).pasid(pasid).flags(CRAV_RCR)
                .completionAddress(gpaRecords + 96));
            rig.gate.release();
            assertTrue(gate1.await() != 0);
            try {
                assertTrue(entered.tryAcquire(10, TimeUnit.SECONDS), "the engine reached the host's stage-2 handler");
                assertEquals(0, rig.wq(0).occupancy(), "one run of four");
                Thread.sleep(100);
                assertEquals(0x01, cr[0].status(),
                    "the noop's record while the engine waits in the host's stage-2 handler");
            } finally {
                open.release(10);
            }
            rig.wq(0).drain();
            for (int i = 0; i < 4; i++) {
                assertEquals(0x01, cr[i].status(), "record " + i);
            }
        }
    }

    // ------------------------------------------------------------------------ (f) one tenant's run, another's record

    /**
     * A hostile tenant B queues runs of [noop, noop, noop, 8 MiB move] ahead of A's noops, over and over. A's record
     * waits only for what is ahead of it: B's noop records are never written after A's later-queued record.
     */
    @Test
    void aHostileTenantsRunNeverHoldsAnotherTenantsRecordBeyondFifo() throws Exception {
        try (Rig rig = new Rig()) {
            final int n = 4 << 20;
            final long src = rig.b.as.allocate(n, AddressSpace.RW_USER, PageSize.SIZE_4K, true);
            final long dst = rig.b.as.allocate(n, AddressSpace.RW_USER, PageSize.SIZE_4K, true);
            for (int round = 0; round < 6; round++) {
                final List<Rec> bs = new ArrayList<>();
                final Rec[] a = new Rec[1];
                rig.runBehindGate(0, rig.b, () -> {
                    bs.add(rig.noop(0, rig.b));
                    bs.add(rig.noop(0, rig.b));
                    bs.add(rig.move(0, rig.b, src, dst, n));
                    a[0] = rig.noop(0, rig.a);
                });
                assertEquals(1, rig.wq(0).occupancy(), "B's run of four; A's noop queued");
                rig.gate.release();
                assertEquals(0x01, a[0].await());
                for (Rec x : bs) {
                    assertEquals(0x01, x.status(), "B's record written before A's later one, round " + round);
                }
            }
        }
    }
}
