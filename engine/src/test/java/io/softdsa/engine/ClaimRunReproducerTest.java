package io.softdsa.engine;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.AbortReport;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
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
import io.softdsa.memory.HostMemory;
import io.softdsa.telemetry.CountersFileReader;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static io.softdsa.engine.ClaimRunAttackTest.*;

/**
 * Regression tests for what {@link ClaimRunAttackTest}'s attacks found in claim runs (they failed on 37f18f5): the rig,
 * the gate and the helpers are that class's.
 * <ul>
 * <li>Abort PASID returned while descriptors of its PASID, queued before the call, sat in an engine's claimed run
 * behind a descriptor of another PASID; the filter was then cleared and they ran instead of being discarded (the
 * engine's tag reported the running descriptor's PASID only). Guarded now by runs that keep to one PASID on a shared
 * WQ (the run ends at the first PASID change, the rest stays in the WQ) and by the engine discarding a run's
 * unstarted descriptors of the aborted PASID.</li>
 * <li>The occupancy high-water mark exceeded the WQ size when an Abort WQ took descriptors beside the engine (the
 * engine sampled {@code tail - runEnd}; now {@code tail - head}).</li>
 * <li>The stress test races producers, runs and Drain / Abort WQ / Abort PASID for exactly-once outcomes.</li>
 * </ul>
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClaimRunReproducerTest {
    @TempDir
    Path dir;

    /**
     * Guards against Abort PASID A returning while three of A's descriptors, queued before the call, sat unstarted in
     * a run behind another tenant's running descriptor (G's gate) and then ran (on 37f18f5 the run was [G's gate, A,
     * A, A] and the abort did not wait for G's gate). Now the run ends at the PASID change — G's gate alone, A's three
     * still in the WQ — and A's three are discarded (SWERR 0xFF each, no record, in the report), whether the abort
     * waits for the gate or not. Then the same with A's three in a run behind A's own gate: Abort PASID A waits for
     * the gate and discards the rest of the run, while B's descriptor queued behind runs.
     */
    @Test
    void abortPasidDiscardsItsDescriptorsTakenIntoARunBehindAnotherTenant() throws Exception {
        try (Rig rig = new Rig()) {
            final Rec[] a = new Rec[3];
            rig.runBehindGate(0, () -> {
                for (int i = 0; i < 3; i++) {
                    a[i] = rig.noop(0, rig.a);
                }
            });
            assertEquals(3, rig.wq(0).occupancy(), "the run ends at the PASID change: G's gate alone, A's three queued");
            final int[] atReturn = new int[3];
            final FutureTask<AbortReport> abort = async(() -> {
                final AbortReport r = rig.wq(0).abortPasid(A);
                for (int i = 0; i < 3; i++) {
                    atReturn[i] = a[i].status(); // what the caller of Abort PASID sees when it returns
                }
                return r;
            });
            final boolean waited = stillWaiting(abort, 300);
            rig.gate.release();
            final AbortReport report = get(abort);
            rig.wq(0).drain();
            final int[] statuses = Arrays.stream(a).mapToInt(Rec::status).toArray();
            assertArrayEquals(new int[] {0, 0, 0}, statuses,
                "A's queued descriptors must not run (abortPasid " + (waited ? "waited" : "returned at once")
                    + ", reported " + report.count() + "; statuses when it returned " + Arrays.toString(atReturn) + ")");
            assertEquals(Arrays.stream(a).map(Rec::va).toList(),
                report.descriptors().stream().map(ClaimRunAttackTest::completionAddressOf).toList());
            assertEquals(3, rig.swerr(0xFF).size());
            assertEquals(3, rig.swerr(0xFF).stream().filter(e -> e.pasid() == A).count());

            // A's descriptors in a run behind A's own gate, B's queued after it: the run is [A's gate, A, A, A]
            final Rec[] inRun = new Rec[3];
            final Rec[] b = new Rec[1];
            final Rec[] gates = rig.runBehindGate(0, rig.a, () -> {
                for (int i = 0; i < 3; i++) {
                    inRun[i] = rig.noop(0, rig.a);
                }
                b[0] = rig.noop(0, rig.b);
            });
            assertEquals(1, rig.wq(0).occupancy(), "A's gate and A's three are one run, B's queued");
            final FutureTask<AbortReport> abort2 = async(() -> rig.wq(0).abortPasid(A));
            assertTrue(stillWaiting(abort2, 300), "A's gate is running: Abort PASID A waits for it");
            rig.gate.release();
            final AbortReport report2 = get(abort2);
            final int[] inRunAtReturn = Arrays.stream(inRun).mapToInt(Rec::status).toArray();
            assertTrue(isPageFault(gates[1].status()), "the gate in progress completed: " + gates[1].status());
            assertEquals(0x01, b[0].await(), "B's descriptor runs");
            rig.wq(0).drain();
            assertArrayEquals(new int[3], inRunAtReturn, "A's unstarted descriptors of the run did not run");
            assertArrayEquals(new int[3], Arrays.stream(inRun).mapToInt(Rec::status).toArray());
            assertEquals(Arrays.stream(inRun).map(Rec::va).toList(),
                report2.descriptors().stream().map(ClaimRunAttackTest::completionAddressOf).toList());
            assertEquals(6, rig.swerr(0xFF).size());
            assertEquals(6, rig.swerr(0xFF).stream().filter(e -> e.pasid() == A).count());
        }
    }

    /**
     * Guards against the same hole once the abort did wait: on 37f18f5, [B's blocking move, A's blocking move, B2]
     * (behind gate 1) was one run; Abort PASID B started while B's first descriptor ran and rightly waited for it, but
     * once A's descriptor ran (blocked on its page request) the abort returned, although B2 — queued before the call —
     * had not run; the filter was gone by the time the engine reached B2, which then ran instead of being discarded.
     * Now the runs end at each PASID change ([B1], then [A1], B2 still queued), and B2 is discarded (status 0, one
     * SWERR 0xFF of PASID B, the one descriptor reported), while B1 and A1 complete.
     */
    @Test
    void abortPasidDiscardsItsDescriptorQueuedInARunAfterAnotherTenantsStarted() throws Exception {
        try (Rig rig = new Rig()) {
            final long bSrc = rig.b.buffer(4096, 2);
            final long bLazy = rig.b.as.reserve(4096, PageSize.SIZE_4K);
            final long aSrc = rig.a.buffer(4096, 3);
            final long aLazy = rig.a.as.reserve(4096, PageSize.SIZE_4K);
            final Rec gate1 = rig.gate(0);
            rig.gate.awaitEntered();
            final Rec b1 = rig.blockingMove(0, rig.b, bSrc, bLazy);
            final Rec a1 = rig.blockingMove(0, rig.a, aSrc, aLazy);
            final Rec b2 = rig.noop(0, rig.b);
            rig.gate.release();
            gate1.await();
            rig.gate.awaitEntered(); // in B's first descriptor
            assertEquals(2, rig.wq(0).occupancy(), "the run ends before A's descriptor: [b1], with a1 and b2 queued");
            final int[] b2AtReturn = new int[1];
            final FutureTask<AbortReport> abort = async(() -> {
                final AbortReport r = rig.wq(0).abortPasid(B);
                b2AtReturn[0] = b2.status();
                return r;
            });
            assertTrue(stillWaiting(abort, 200), "B's descriptor is running: Abort PASID B waits for it");
            rig.gate.release(); // b1 ends (a page fault); the engine blocks in A's descriptor
            rig.gate.awaitEntered();
            assertEquals(1, rig.wq(0).occupancy(), "the run [a1] ends before B2, still queued");
            final boolean waited = stillWaiting(abort, 300);
            rig.gate.release();
            final AbortReport report = get(abort);
            rig.wq(0).drain();
            assertTrue(isPageFault(b1.status()), "B's running descriptor completed: " + b1.status());
            assertTrue(isPageFault(a1.status()), "A's descriptor ran: " + a1.status());
            assertEquals(0, b2.status(), "B2, queued before Abort PASID B, must be discarded (the abort "
                + (waited ? "waited for A's descriptor" : "returned while A's descriptor ran, B2 not yet run: status "
                + b2AtReturn[0]) + "; reported " + report.count() + ")");
            assertEquals(0, b2AtReturn[0], "B2 had not run when the abort returned");
            assertEquals(List.of(b2.va()),
                report.descriptors().stream().map(ClaimRunAttackTest::completionAddressOf).toList());
            assertEquals(1, rig.swerr(0xFF).size());
            assertEquals(B, rig.swerr(0xFF).getFirst().pasid());
            assertEquals(0x01, rig.noop(0, rig.b).await(), "B's descriptors submitted after the abort run");
        }
    }

    private static long counter(Path file, String suffix) {
        try (CountersFileReader r = CountersFileReader.open(file)) {
            final CountersReader c = r.counters();
            final AtomicLong v = new AtomicLong(Long.MIN_VALUE);
            c.forEach((int id, String label) -> {
                if (label.startsWith("dsa0 wq0.0") && label.endsWith(suffix)) {
                    v.set(c.getCounterValue(id));
                }
            });
            assertNotEquals(Long.MIN_VALUE, v.get(), "no counter " + suffix);
            return v.get();
        }
    }

    /**
     * Guards against the occupancy high-water mark exceeding the WQ size: on 37f18f5 the engine's first dispatch
     * sampled occupancy as tail - (end of its run); an Abort WQ that took queued descriptors while it ran moved head
     * past that end, the WQ refilled to its size above head, and the sample counted the aborted ones as well (31 for a
     * WQ of 16). The sample is now tail - head: at most the WQ size.
     */
    @Test
    void occupancyHighWaterStaysWithinTheWqSizeWhenAnAbortRunsBesideTheEngine() throws Exception {
        final Path file = dir.resolve("dsa.counters");
        try (Rig rig = new Rig(oneEngine(wq(0, 0)), DeviceOptions.defaults().countersFile(file))) {
            final Rec gate1 = rig.gate(0); // the engine's first dispatch: its count samples occupancy
            rig.gate.awaitEntered();
            for (int i = 0; i < WQ_SIZE; i++) {
                rig.noop(0, rig.a);
            }
            final FutureTask<AbortReport> abort = async(() -> rig.wq(0).abort());
            while (rig.wq(0).occupancy() != 0) {
                Thread.onSpinWait(); // the abort took them all, and waits for the gate
            }
            final List<Rec> refill = new ArrayList<>();
            for (int i = 0; i < WQ_SIZE; i++) {
                refill.add(rig.noop(0, rig.a));
            }
            assertEquals(WQ_SIZE, rig.wq(0).occupancy(), "really full, never more");
            rig.gate.release();
            assertEquals(WQ_SIZE, get(abort).count());
            gate1.await();
            for (Rec x : refill) {
                assertEquals(0x01, x.await());
            }
            rig.wq(0).drain();
            final long highWater = counter(file, "occupancy high-water mark");
            assertTrue(highWater <= WQ_SIZE, "occupancy high-water " + highWater + " > WQ size " + WQ_SIZE);
        }
    }

    // ------------------------------------------------------------------------------------------------ stress

    /**
     * Two producers (each submits blocks of four descriptors of one PASID, three PASIDs in turn: runs of one PASID form,
     * and are cut where blocks, or the two producers, interleave), one threaded engine (runs; with two,
     * one claim each: the control), and a commander issuing Drain, Abort WQ and Abort PASID in a loop, over the
     * pass-through IOMMU: every accepted descriptor either has its success record or was reported discarded (with one
     * SWERR entry each), never both, never neither; after each Abort WQ returns, every descriptor accepted before the
     * call is done or reported, and after each Abort PASID, every one of that PASID. The engine counts what it
     * discarded (all of Abort PASID's, and those of Abort WQ's it took before the abort and had not started) among
     * its completed descriptors, the ones an Abort WQ took from the ring not.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} engine(s)")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void exactlyOnceUnderProducersAndCommandsRacingRuns(int engines) throws Exception {
        final int perProducer = 6000;
        final int producers = 2;
        final int total = perProducer * producers;
        final DeviceConfig cfg = DeviceConfig.builder("dsa0")
            .group(engines == 1 ? GroupConfig.of(0, 0) : GroupConfig.of(0, 0, 1))
            .wq(WqConfig.builder(0).shared().size(WQ_SIZE).threshold(WQ_SIZE).group(0).build()).build();
        try (HostMemory memory = HostMemory.allocate(32L << 20);
             Device dsa = Device.create(memory, cfg, DeviceOptions.defaults())) {
            dsa.enableAll();
            final var records = memory.allocateBuffer(32L * total);
            final var src = memory.allocateBuffer(256L * total);
            final var dst = memory.allocateBuffer(256L * total);
            final MemorySegment mem = memory.segment();
            for (long i = 0; i < 256L * total; i += 8) {
                src.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, i, i * 0x9E3779B97F4A7C15L);
            }
            // accepted[n]: descriptor n was accepted (set by its producer after ENQCMD said yes)
            final java.util.concurrent.atomic.AtomicIntegerArray accepted =
                new java.util.concurrent.atomic.AtomicIntegerArray(total);
            final Set<Long> reported = java.util.concurrent.ConcurrentHashMap.newKeySet();
            final AtomicInteger duplicates = new AtomicInteger();
            final AtomicLong pasidDiscarded = new AtomicLong();
            final AtomicLong wqDiscarded = new AtomicLong();
            final AtomicBoolean producing = new AtomicBoolean(true);
            final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
            final List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                final int producer = p;
                threads.add(Thread.ofPlatform().start(() -> {
                    try (DsaClient client = DsaClient.open(dsa, 0)) {
                        final Descriptor d = client.descriptor();
                        for (int i = 0; i < perProducer; i++) {
                            final int n = producer * perProducer + i;
                            final int pasid = pasidOf(n);
                            d.clear().opcode(n % 5 == 0 ? Opcode.MEMMOVE : Opcode.NOOP).pasid(pasid).flags(CRAV_RCR)
                                .completionAddress(records.address() + 32L * n);
                            if (n % 5 == 0) {
                                d.source(src.address() + 256L * n).destination(dst.address() + 256L * n)
                                    .transferSize(256);
                            }
                            while (!client.trySubmit(d)) {
                                Thread.onSpinWait();
                            }
                            accepted.set(n, 1);
                        }
                    }
                }));
            }
            final Thread commander = Thread.ofPlatform().start(() -> {
                final SplittableRandom rnd = new SplittableRandom(42);
                while (producing.get()) {
                    final int what = rnd.nextInt(4);
                    if (what == 0) {
                        dsa.wq(0).drain();
                    } else if (what == 1) {
                        final int[] before = new int[total];
                        for (int n = 0; n < total; n++) {
                            before[n] = accepted.get(n);
                        }
                        final AbortReport r = dsa.wq(0).abort();
                        wqDiscarded.addAndGet(r.count());
                        collect(r, reported, duplicates);
                        for (int n = 0; n < total; n++) {
                            if (before[n] == 1) {
                                final long cr = records.address() + 32L * n;
                                if (mem.get(ValueLayout.JAVA_BYTE, cr) == 0 && !reported.contains(cr)) {
                                    violations.add("descriptor " + n
                                        + " accepted before Abort WQ was neither done nor discarded when it returned");
                                }
                            }
                        }
                    } else {
                        final int pasid = 1 + rnd.nextInt(3);
                        final int[] before = new int[total];
                        for (int n = 0; n < total; n++) {
                            before[n] = accepted.get(n);
                        }
                        final AbortReport r = dsa.wq(0).abortPasid(pasid);
                        pasidDiscarded.addAndGet(r.count());
                        collect(r, reported, duplicates);
                        for (int n = 0; n < total; n++) {
                            if (before[n] == 1 && pasidOf(n) == pasid) {
                                final long cr = records.address() + 32L * n;
                                if (mem.get(ValueLayout.JAVA_BYTE, cr) == 0 && !reported.contains(cr)) {
                                    violations.add("descriptor " + n + " of PASID " + pasid
                                        + " accepted before abortPasid was neither done nor discarded when it returned");
                                }
                            }
                        }
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
            });
            for (Thread t : threads) {
                t.join();
            }
            producing.set(false);
            commander.join();
            dsa.wq(0).drain();
            assertEquals(0, duplicates.get(), "a descriptor reported discarded twice");
            int done = 0;
            for (int n = 0; n < total; n++) {
                final long cr = records.address() + 32L * n;
                final int status = mem.get(ValueLayout.JAVA_BYTE, cr) & 0xFF;
                final boolean discarded = reported.contains(cr);
                assertTrue((status != 0) != discarded, "descriptor " + n + ": record " + status + ", discarded "
                    + discarded);
                if (status != 0) {
                    assertEquals(0x01, status, "descriptor " + n);
                    done++;
                    if (n % 5 == 0) {
                        assertEquals(-1, MemorySegment.mismatch(src.segment(), 256L * n, 256L * n + 256,
                            dst.segment(), 256L * n, 256L * n + 256), "descriptor " + n + "'s bytes");
                    }
                }
            }
            // the engines count what they completed, not what an abort had them discard
            assertEquals(done, dsa.completedDescriptors(), "completions counted once, discards not at all");
            assertEquals(reported.size(), dsa.swerr().totalErrors(), "one SWERR entry per discarded descriptor");
            assertEquals(List.of(), violations.subList(0, Math.min(5, violations.size())));
            assertEquals(0, dsa.internalErrors());
        }
    }

    /** Descriptor {@code n}'s PASID: blocks of four consecutive descriptors share one, 1 to 3 in turn. */
    private static int pasidOf(int n) {
        return 1 + (n / 4) % 3;
    }

    private static void collect(AbortReport r, Set<Long> reported, AtomicInteger duplicates) {
        for (byte[] d : r.descriptors()) {
            if (!reported.add(completionAddressOf(d))) {
                duplicates.incrementAndGet();
            }
        }
    }
}
