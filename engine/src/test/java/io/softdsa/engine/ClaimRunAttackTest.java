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

/**
 * Hostile-tenant and concurrency attacks on claim runs (commit 37f18f5): a threaded engine alone in its group takes up
 * to {@link DescriptorExecutor#CLAIM_RUN} descriptors with one CAS and runs them in one duty cycle.
 * <p>
 * A run is built deterministically with a <em>gate</em>: a block-on-fault memmove of a tenant into an unmapped page
 * of its own address space, whose page request (the {@link Gate} handler) holds the engine thread until the test opens
 * it (then the request fails, and the gate completes with a page-fault status). Gate 1 (tenant G's) alone holds the
 * engine while the test queues gate 2 and up to three more descriptors; opening gate 1 makes the engine's next claim
 * take them as one run, and it stops in gate 2, the run's first descriptor, with the rest of the run taken out of the
 * WQ and not started. A run on a shared WQ keeps to one PASID (it ends before the first descriptor of another), so gate
 * 2 is a gate of the tenant whose descriptors the run is to hold ({@link Rig#runBehindGate(int, Tenant, Runnable)}):
 * then the occupancy is 0 with the run claimed. Where a test queues several tenants' descriptors behind gate 2, the
 * occupancy shows the run cut at the first PASID change and the rest still queued. Expected outcomes are computed by
 * the test (status codes of the fact sheet, bytes written by the test).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClaimRunAttackTest {
    static final int A = 5;
    static final int B = 6;
    static final int G = 7; // the gate tenant
    static final int WQ_SIZE = 16;
    /** Descriptors a run holds behind its first (gate 2): the rest of the fetch buffer. */
    static final int IN_RUN = DescriptorExecutor.CLAIM_RUN - 1;
    static final long WAIT = TimeUnit.SECONDS.toNanos(10);
    static final int CRAV_RCR = DescriptorFlags.COMPLETION_ADDRESS_VALID
        | DescriptorFlags.REQUEST_COMPLETION_RECORD;

    /** Holds every block-on-fault page request until opened once per request; then fails it. */
    static final class Gate implements PageFaultHandler {
        final Semaphore entered = new Semaphore(0);
        final Semaphore open = new Semaphore(0);

        @Override
        public int resolve(Translation context, long address, int access) {
            entered.release();
            try {
                open.tryAcquire(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return TranslationFault.PAGE_REQUEST_FAILED;
        }

        void awaitEntered() throws InterruptedException {
            assertTrue(entered.tryAcquire(10, TimeUnit.SECONDS), "the engine never reached the gate");
        }

        void release() {
            open.release();
        }
    }

    /** A completion record at a VA of a tenant's address space. */
    record Rec(long va, CompletionRecord cr) {
        int status() {
            return cr.status();
        }

        int await() {
            return cr.await(new BackoffIdleStrategy(), WAIT);
        }
    }

    /**
     * One tenant: an address space, a page of records (32 bytes each), and its gate buffers: a source and an unmapped
     * lazy reservation whose page requests the {@link Gate} holds (and fails, so it stays unmapped).
     */
    static final class Tenant {
        final int pasid;
        final AddressSpace as;
        final HostMemory memory;
        private long recordsVa;
        private int nextRecord = 128;
        private long gateSrc = -1;
        private long gateLazy;

        Tenant(ScalableModeIommu iommu, HostMemory memory, int pasid) {
            this.pasid = pasid;
            this.as = iommu.bind(pasid);
            this.memory = memory;
        }

        Rec record() {
            if (nextRecord == 128) {
                recordsVa = as.allocate(4096, AddressSpace.RW_USER);
                nextRecord = 0;
            }
            final long va = recordsVa + 32L * nextRecord++;
            final Rec r = new Rec(va, new CompletionRecord(memory.segment(), as.hostAddress(va)));
            r.cr.arm();
            return r;
        }

        /** A block-on-fault move of this tenant into its unmapped gate page: the engine blocks in it at the Gate. */
        Rec gate(Rig rig, int wq) {
            if (gateSrc == -1) {
                gateSrc = buffer(4096, pasid);
                gateLazy = as.reserve(4096, PageSize.SIZE_4K);
            }
            return rig.blockingMove(wq, this, gateSrc, gateLazy);
        }

        long buffer(int bytes, int seed) {
            final long va = as.allocate(bytes, AddressSpace.RW_USER);
            final byte[] data = new byte[bytes];
            new SplittableRandom(seed).nextBytes(data);
            as.write(va, MemorySegment.ofArray(data));
            return va;
        }
    }

    /** A threaded device over a scalable-mode IOMMU whose page requests go to the {@link Gate}. */
    static final class Rig implements AutoCloseable {
        final HostMemory memory = HostMemory.allocate(64L << 20);
        final ScalableModeIommu iommu = new ScalableModeIommu(memory);
        final Gate gate = new Gate();
        final Device device;
        final List<DsaClient> clients = new ArrayList<>();
        final Tenant g;
        final Tenant a;
        final Tenant b;

        Rig(DeviceConfig cfg, DeviceOptions extra) {
            device = Device.create(memory, cfg, extra.sva(iommu).pageFaultHandler(gate));
            device.enableAll();
            for (WorkQueue wq : device.workQueues()) {
                clients.add(DsaClient.open(device, wq.index()));
            }
            g = new Tenant(iommu, memory, G);
            a = new Tenant(iommu, memory, A);
            b = new Tenant(iommu, memory, B);
        }

        Rig() {
            this(oneEngine(ClaimRunAttackTest.wq(0, 0)), DeviceOptions.defaults());
        }

        WorkQueue wq(int i) {
            return device.wq(i);
        }

        DsaClient client(int wq) {
            for (DsaClient c : clients) {
                if (c.wq().index() == wq) {
                    return c;
                }
            }
            throw new AssertionError("no client for wq " + wq);
        }

        Descriptor desc(int wq) {
            return client(wq).descriptor();
        }

        void submit(int wq, Descriptor d) {
            assertTrue(client(wq).trySubmit(d), "WQ " + wq + " refused a descriptor");
        }

        /** A gate of tenant G: the engine blocks in it until {@link Gate#release}. */
        Rec gate(int wq) {
            return g.gate(this, wq);
        }

        /** A gate of tenant {@code t} (PASID {@code t.pasid}): a run it heads can hold {@code t}'s descriptors. */
        Rec gate(int wq, Tenant t) {
            return t.gate(this, wq);
        }

        /** A block-on-fault move of {@code t} from {@code src} into the unmapped {@code lazy}: a gate of that tenant. */
        Rec blockingMove(int wq, Tenant t, long src, long lazy) {
            final Rec r = t.record();
            submit(wq, desc(wq).opcode(Opcode.MEMMOVE).pasid(t.pasid).source(src).destination(lazy).transferSize(64)
                .flags(DescriptorFlags.BLOCK_ON_FAULT | CRAV_RCR).completionAddress(r.va));
            return r;
        }

        Rec noop(int wq, Tenant t) {
            final Rec r = t.record();
            submit(wq, desc(wq).opcode(Opcode.NOOP).pasid(t.pasid).flags(CRAV_RCR).completionAddress(r.va));
            return r;
        }

        Rec move(int wq, Tenant t, long src, long dst, int n) {
            final Rec r = t.record();
            submit(wq, desc(wq).opcode(Opcode.MEMMOVE).pasid(t.pasid).source(src).destination(dst).transferSize(n)
                .flags(CRAV_RCR).completionAddress(r.va));
            return r;
        }

        /** {@link #runBehindGate(int, Tenant, Runnable)} with gate 2 of tenant G. */
        Rec[] runBehindGate(int wq, Runnable queue) throws InterruptedException {
            return runBehindGate(wq, g, queue);
        }

        /**
         * Holds the engine in gate 1 (G's), submits gate 2 of {@code t}, runs {@code queue} (which submits what the run
         * should hold: {@code t}'s descriptors join it, up to the first of another PASID), opens gate 1, and returns
         * once the engine is in gate 2 with the run claimed.
         */
        Rec[] runBehindGate(int wq, Tenant t, Runnable queue) throws InterruptedException {
            final Rec gate1 = gate(wq);
            gate.awaitEntered();
            final Rec gate2 = gate(wq, t);
            queue.run();
            gate.release();
            assertTrue(gate1.await() != 0, "gate 1 completes");
            gate.awaitEntered();
            return new Rec[] {gate1, gate2};
        }

        List<SwerrEntry> swerr(int code) {
            return device.swerr().history().stream().filter(e -> e.errorCode() == code).toList();
        }

        @Override
        public void close() {
            gate.open.release(1000); // a failed test leaves no engine in a gate
            final long errors = device.internalErrors();
            for (DsaClient c : clients) {
                c.close();
            }
            device.close();
            memory.close();
            assertEquals(0, errors, "internal engine errors: " + device.errors().distinctErrors());
        }
    }

    static WqConfig.Builder wq(int index, int group) {
        return WqConfig.builder(index).shared().size(WQ_SIZE).threshold(WQ_SIZE).group(group).pasidEnabled(true)
            .priv(true).blockOnFault(true).maxTransferSize(1L << 31).maxBatchSize(64);
    }

    static DeviceConfig oneEngine(WqConfig.Builder... wqs) {
        final DeviceConfig.Builder b = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0));
        for (WqConfig.Builder w : wqs) {
            b.wq(w.build());
        }
        return b.build();
    }

    /** Runs {@code c} on a new thread. */
    static <T> FutureTask<T> async(Callable<T> c) {
        final FutureTask<T> f = new FutureTask<>(c);
        final Thread t = new Thread(f, "attacker");
        t.setDaemon(true);
        t.start();
        return f;
    }

    static <T> T get(FutureTask<T> f) throws Exception {
        try {
            return f.get(15, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the command hung", e);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    /** Whether {@code f} is still waiting after {@code millis}. */
    static boolean stillWaiting(FutureTask<?> f, long millis) throws InterruptedException {
        try {
            f.get(millis, TimeUnit.MILLISECONDS);
            return false;
        } catch (TimeoutException e) {
            return true;
        } catch (ExecutionException e) {
            return false;
        }
    }

    static long completionAddressOf(byte[] descriptor) {
        return new Descriptor(MemorySegment.ofArray(descriptor), 0).completionAddress();
    }

    static boolean isPageFault(int status) {
        return status == 0x03 || status == 0x04;
    }

    // ------------------------------------------------------------------------------------------------ Abort PASID

    /**
     * Abort PASID of the tenant whose descriptor is running, with other tenants' descriptors queued behind it: the run
     * ends at the PASID change (G's gate alone, A's and B's still in the WQ); the abort waits for the gate, discards
     * nothing, and the others' descriptors run.
     */
    @Test
    void abortPasidOfTheRunningTenantWaitsForItAndLetsTheOtherTenantsRun() throws Exception {
        try (Rig rig = new Rig()) {
            final Rec[] r = new Rec[3];
            final Rec[] gates = rig.runBehindGate(0, () -> {
                r[0] = rig.noop(0, rig.a);
                r[1] = rig.noop(0, rig.b);
                r[2] = rig.noop(0, rig.a);
            });
            assertEquals(3, rig.wq(0).occupancy(), "the run is G's gate alone: A's and B's stay queued");
            final FutureTask<AbortReport> abort = async(() -> rig.wq(0).abortPasid(G));
            assertTrue(stillWaiting(abort, 300), "G's gate is running: Abort PASID G waits for it");
            rig.gate.release();
            final AbortReport report = get(abort);
            assertTrue(isPageFault(gates[1].status()), "the gate completed before the abort returned");
            assertEquals(0, report.count());
            for (Rec x : r) {
                assertEquals(0x01, x.await());
            }
            assertEquals(0, rig.swerr(0xFF).size());
        }
    }

    // ------------------------------------------------------------------------------------------------ Drain, Disable

    @Test
    void drainWaitsForEveryDescriptorOfTheRun() throws Exception {
        try (Rig rig = new Rig()) {
            final long src = rig.a.buffer(3 * 4096, 3);
            final long dst = rig.a.as.allocate(3 * 4096, AddressSpace.RW_USER);
            final Rec[] r = new Rec[3];
            rig.runBehindGate(0, rig.a, () -> {
                for (int i = 0; i < 3; i++) {
                    r[i] = rig.move(0, rig.a, src + 4096L * i, dst + 4096L * i, 4096);
                }
            });
            assertEquals(0, rig.wq(0).occupancy(), "A's gate and A's three moves are one run");
            final FutureTask<int[]> drain = async(() -> {
                rig.wq(0).drain();
                return Arrays.stream(r).mapToInt(Rec::status).toArray(); // what the drain's caller sees
            });
            assertTrue(stillWaiting(drain, 300), "Drain WQ returned while the run's gate ran");
            rig.gate.release();
            assertArrayEquals(new int[] {1, 1, 1}, get(drain), "every descriptor of the run completed before Drain");
            assertArrayEquals(rig.a.as.read(src, 3 * 4096), rig.a.as.read(dst, 3 * 4096));
        }
    }

    @Test
    void disableWqWaitsForEveryDescriptorOfTheRunThenRefuses() throws Exception {
        try (Rig rig = new Rig()) {
            final Rec[] r = new Rec[3];
            rig.runBehindGate(0, rig.a, () -> {
                for (int i = 0; i < 3; i++) {
                    r[i] = rig.noop(0, rig.a);
                }
            });
            assertEquals(0, rig.wq(0).occupancy(), "one run");
            final FutureTask<int[]> disable = async(() -> {
                rig.wq(0).disable();
                return Arrays.stream(r).mapToInt(Rec::status).toArray();
            });
            assertTrue(stillWaiting(disable, 300));
            rig.gate.release();
            assertArrayEquals(new int[] {1, 1, 1}, get(disable));
            assertFalse(rig.client(0).trySubmit(rig.desc(0).opcode(Opcode.NOOP).pasid(A)), "disabled: retry");
            rig.wq(0).enable();
            assertEquals(0x01, rig.noop(0, rig.a).await(), "enabled again, it runs");
        }
    }

    /**
     * Abort WQ with a run in flight and more queued: the gate in progress completes; the run's unstarted
     * descriptors ({@link #IN_RUN}) and the five still queued are all discarded (SWERR 0xFF each, no record), each exactly once, reported
     * in queue order (the run's first, then the WQ's), and the abort returns only after the engine has passed the run.
     */
    @Test
    void abortWqWithARunInFlightCompletesEveryDescriptorExactlyOnce() throws Exception {
        try (Rig rig = new Rig()) {
            final List<Rec> all = new ArrayList<>();
            final Rec[] gates = rig.runBehindGate(0, rig.a, () -> {
                for (int i = 0; i < IN_RUN + 5; i++) { // the rest of the run, five left queued
                    all.add(rig.noop(0, rig.a));
                }
            });
            assertEquals(5, rig.wq(0).occupancy());
            final FutureTask<AbortReport> abort = async(() -> rig.wq(0).abort());
            assertTrue(stillWaiting(abort, 300), "Abort WQ waits for the running gate");
            rig.gate.release();
            final AbortReport report = get(abort);
            final int[] atReturn = all.stream().mapToInt(Rec::status).toArray(); // read as the abort returned
            assertTrue(isPageFault(gates[1].status()), "the gate in progress completed: " + gates[1].status());
            assertArrayEquals(new int[IN_RUN + 5], atReturn, "the run's unstarted ones and the queued five did not run");
            final List<Long> reported = report.descriptors().stream().map(ClaimRunAttackTest::completionAddressOf)
                .toList();
            assertEquals(all.stream().map(Rec::va).toList(), reported,
                "each reported once, in queue order: the run's, then the WQ's five");
            final List<SwerrEntry> swerr = rig.swerr(0xFF);
            assertEquals(Set.copyOf(reported), swerr.stream().map(e -> completionAddressOf(e.descriptor()))
                .collect(java.util.stream.Collectors.toSet()));
            assertEquals(IN_RUN + 5, swerr.size(), "one SWERR entry each");
            assertTrue(swerr.stream().allMatch(e -> e.pasid() == A));
            rig.wq(0).drain();
            assertArrayEquals(new int[IN_RUN + 5], all.stream().mapToInt(Rec::status).toArray(),
                "none runs later either");
            assertEquals(0x01, rig.noop(0, rig.a).await(), "the WQ stays enabled and runs what comes next");
            assertEquals(IN_RUN + 5, rig.swerr(0xFF).size());
        }
    }

    /** Migration capture with a run in flight: the queued ones are captured unrun; Drain then waits out the run. */
    @Test
    void captureQueuedWithARunInFlightTakesOnlyWhatIsQueuedAndDrainWaitsForTheRun() throws Exception {
        try (Rig rig = new Rig()) {
            final List<Rec> all = new ArrayList<>();
            rig.runBehindGate(0, rig.a, () -> {
                for (int i = 0; i < IN_RUN + 2; i++) {
                    all.add(rig.noop(0, rig.a));
                }
            });
            final List<byte[]> captured = rig.wq(0).captureQueued();
            assertEquals(2, captured.size());
            assertEquals(all.get(IN_RUN).va(), completionAddressOf(captured.get(0)));
            assertEquals(all.get(IN_RUN + 1).va(), completionAddressOf(captured.get(1)));
            final FutureTask<int[]> drain = async(() -> {
                rig.wq(0).drain();
                return all.stream().mapToInt(Rec::status).toArray();
            });
            assertTrue(stillWaiting(drain, 200));
            rig.gate.release();
            final int[] expected = new int[IN_RUN + 2];
            Arrays.fill(expected, 0, IN_RUN, 0x01); // the run's ran; the captured two did not
            assertArrayEquals(expected, get(drain));
            assertEquals(0, rig.device.swerr().history().size(), "capture reports nothing");
            // resubmitted, the captured ones run once
            for (byte[] d : captured) {
                rig.submit(0, rig.desc(0).copyFrom(new Descriptor(MemorySegment.ofArray(d), 0)));
            }
            assertEquals(0x01, all.get(IN_RUN).await());
            assertEquals(0x01, all.get(IN_RUN + 1).await());
        }
    }

    @Test
    void deviceDisableWithARunInFlightWaitsThenTheDeviceReconfiguresAndRuns() throws Exception {
        try (Rig rig = new Rig()) {
            final Rec[] r = new Rec[3];
            rig.runBehindGate(0, rig.b, () -> {
                for (int i = 0; i < 3; i++) {
                    r[i] = rig.noop(0, rig.b);
                }
            });
            assertEquals(0, rig.wq(0).occupancy(), "B's gate and B's three are one run");
            final FutureTask<int[]> disable = async(() -> {
                rig.device.disable();
                return Arrays.stream(r).mapToInt(Rec::status).toArray();
            });
            assertTrue(stillWaiting(disable, 300));
            rig.gate.release();
            assertArrayEquals(new int[] {1, 1, 1}, get(disable));
            // two engines now (one claim each), then one again (runs)
            for (int engines : new int[] {2, 1}) {
                rig.device.configure(DeviceConfig.builder("dsa0")
                    .group(engines == 2 ? GroupConfig.of(0, 0, 1) : GroupConfig.of(0, 0)).wq(wq(0, 0).build()).build());
                rig.device.enableAll();
                final List<Rec> more = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    more.add(rig.noop(0, i % 2 == 0 ? rig.a : rig.b));
                }
                for (Rec x : more) {
                    assertEquals(0x01, x.await());
                }
                rig.device.disable();
            }
            rig.device.enableAll();
        }
    }

    /**
     * Device disable-aborting with a run in flight: the gate in progress completes; the run's unstarted
     * descriptors and the four still queued are discarded, each reported once (in queue order) with one SWERR 0xFF.
     */
    @Test
    void deviceDisableAbortingWithARunInFlightCompletesEachExactlyOnce() throws Exception {
        try (Rig rig = new Rig()) {
            final List<Rec> all = new ArrayList<>();
            final Rec[] gates = rig.runBehindGate(0, rig.a, () -> {
                for (int i = 0; i < IN_RUN + 4; i++) {
                    all.add(rig.noop(0, rig.a));
                }
            });
            assertEquals(4, rig.wq(0).occupancy(), "the rest of the run taken, four queued");
            final FutureTask<List<AbortReport>> disable = async(() -> rig.device.disableAborting());
            assertTrue(stillWaiting(disable, 300));
            rig.gate.release();
            final List<AbortReport> reports = get(disable);
            assertTrue(isPageFault(gates[1].status()), "the gate in progress completed: " + gates[1].status());
            final List<Long> aborted = new ArrayList<>();
            reports.forEach(rep -> rep.descriptors().forEach(d -> aborted.add(completionAddressOf(d))));
            assertEquals(all.stream().map(Rec::va).toList(), aborted,
                "the run's unstarted ones and the four queued, each once, in queue order");
            for (Rec x : all) {
                assertEquals(0, x.status(), "discarded, no record");
            }
            assertEquals(IN_RUN + 4, rig.swerr(0xFF).size(), "one SWERR entry each");
            rig.device.enableAll();
            assertEquals(0x01, rig.noop(0, rig.a).await(), "enabled again, it runs");
        }
    }

    // ------------------------------------------------------------------------------------------------ inside a run

    /**
     * A run of [gate, record address unmapped, bad interrupt handle, memmove]: the second writes SWERR 0x1A (no
     * record), the third its record 0x19, the move still succeeds with the right bytes.
     */
    @Test
    void aFaultingRecordAndABadInterruptHandleDoNotDisturbTheRestOfTheRun() throws Exception {
        try (Rig rig = new Rig()) {
            final long unmappedRecord = rig.a.as.reserve(4096, PageSize.SIZE_4K);
            final long src = rig.a.buffer(4096, 4);
            final long dst = rig.a.as.allocate(4096, AddressSpace.RW_USER);
            final Rec[] r = new Rec[2];
            rig.runBehindGate(0, rig.a, () -> {
                rig.submit(0, rig.desc(0).opcode(Opcode.NOOP).pasid(A).flags(CRAV_RCR)
                    .completionAddress(unmappedRecord));
                r[0] = rig.a.record();
                rig.submit(0, rig.desc(0).opcode(Opcode.NOOP).pasid(A)
                    .flags(CRAV_RCR | DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(1000)
                    .completionAddress(r[0].va()));
                r[1] = rig.move(0, rig.a, src, dst, 4096);
            });
            assertEquals(0, rig.wq(0).occupancy());
            rig.gate.release();
            assertEquals(0x01, r[1].await());
            assertEquals(0x19, r[0].status(), "invalid interrupt handle");
            rig.wq(0).drain();
            final List<SwerrEntry> faults = rig.swerr(0x1A);
            assertEquals(1, faults.size());
            assertEquals(unmappedRecord, completionAddressOf(faults.getFirst().descriptor()));
            assertEquals(A, faults.getFirst().pasid());
            assertArrayEquals(rig.a.as.read(src, 4096), rig.a.as.read(dst, 4096));
            assertEquals(0, rig.swerr(0xFF).size());
        }
    }

    /** A Drain descriptor inside a run: it completes after the earlier ones, before the later; readback faults too. */
    @Test
    void aDrainDescriptorInsideARunBehaves() throws Exception {
        try (Rig rig = new Rig()) {
            final long src = rig.a.buffer(8192, 5);
            final long dst = rig.a.as.allocate(8192, AddressSpace.RW_USER);
            final long unmapped = rig.a.as.reserve(4096, PageSize.SIZE_4K);
            final Rec[] r = new Rec[3];
            rig.runBehindGate(0, rig.a, () -> {
                r[0] = rig.move(0, rig.a, src, dst, 4096);
                r[1] = rig.a.record();
                rig.submit(0, rig.desc(0).opcode(Opcode.DRAIN).pasid(A).flags(CRAV_RCR).completionAddress(r[1].va()));
                r[2] = rig.move(0, rig.a, src + 4096, dst + 4096, 4096);
            });
            assertEquals(0, rig.wq(0).occupancy(), "the Drain descriptor is inside the run");
            rig.gate.release();
            assertEquals(0x01, r[2].await());
            assertEquals(0x01, r[1].status());
            assertEquals(0x01, r[0].status());
            assertArrayEquals(rig.a.as.read(src, 8192), rig.a.as.read(dst, 8192));
            // a Drain with a readback of an unmapped address in a run: 0x1F, and the run goes on
            final Rec[] s = new Rec[3];
            rig.runBehindGate(0, rig.a, () -> {
                s[0] = rig.noop(0, rig.a);
                s[1] = rig.a.record();
                rig.submit(0, rig.desc(0).opcode(Opcode.DRAIN).pasid(A)
                    .flags(CRAV_RCR | DescriptorFlags.DRAIN_READBACK1).source(unmapped).completionAddress(s[1].va()));
                s[2] = rig.noop(0, rig.a);
            });
            assertEquals(0, rig.wq(0).occupancy());
            rig.gate.release();
            assertEquals(0x01, s[2].await());
            assertEquals(0x1F, s[1].status());
            assertEquals(0x01, s[0].status());
        }
    }

    /**
     * A hostile tenant's descriptors queued right behind its victim's, for the same engine: B moves from a VA mapped only
     * in A's space (which A's move just before it translated, so any IOTLB entry is hot), and writes to a VA mapped only
     * in A's space. The run ends at the PASID change ([A's gate, A's move], B's two queued: they are the engine's next
     * run); both of B's fault; A's memory keeps its bytes and B's destination gets nothing.
     */
    @Test
    void tenantsInOneRunStayInTheirOwnAddressSpaces() throws Exception {
        try (Rig rig = new Rig()) {
            rig.a.as.allocate(64 * 4096, AddressSpace.RW_USER); // A's VAs beyond anything B maps
            final long secret = rig.a.buffer(4096, 6);
            final long aDst = rig.a.as.allocate(4096, AddressSpace.RW_USER);
            final long bDst = rig.b.as.allocate(4096, AddressSpace.RW_USER);
            final long bSrc = rig.b.buffer(4096, 7);
            assertEquals(-1, rig.b.as.hostAddress(secret), "the secret's VA is not mapped for B");
            assertEquals(-1, rig.b.as.hostAddress(aDst));
            final byte[] secretBytes = rig.a.as.read(secret, 4096);
            final byte[] bDstBefore = rig.b.as.read(bDst, 4096);
            final Rec[] r = new Rec[3];
            rig.runBehindGate(0, rig.a, () -> {
                r[0] = rig.move(0, rig.a, secret, aDst, 4096);
                r[1] = rig.move(0, rig.b, secret, bDst, 4096); // read A's VA
                r[2] = rig.move(0, rig.b, bSrc, secret, 4096); // overwrite A's VA
            });
            assertEquals(2, rig.wq(0).occupancy(), "the run ends before B's first descriptor: B's two stay queued");
            rig.gate.release();
            assertEquals(0x01, r[0].await());
            assertTrue(isPageFault(r[1].await()), "B reading A's VA faults: " + r[1].status());
            assertTrue(isPageFault(r[2].await()), "B writing A's VA faults: " + r[2].status());
            assertArrayEquals(secretBytes, rig.a.as.read(aDst, 4096));
            assertArrayEquals(secretBytes, rig.a.as.read(secret, 4096), "A's memory unchanged");
            assertArrayEquals(bDstBefore, rig.b.as.read(bDst, 4096), "nothing of A's reached B");
        }
    }

    // ------------------------------------------------------------------------------------------------ priority

    /**
     * Two WQs of one group: when the engine leaves a low-priority descriptor, it serves the high-priority WQ first
     * (a whole run of it) even though the low WQ had more queued first.
     */
    @Test
    void theHighPriorityWqIsServedFirstAfterARun() throws Exception {
        final DeviceConfig cfg = oneEngine(wq(0, 0).priority(1), wq(1, 0).priority(10));
        try (Rig rig = new Rig(cfg, DeviceOptions.defaults())) {
            final Rec gate1 = rig.gate(0); // low
            rig.gate.awaitEntered();
            final List<Rec> low = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                low.add(rig.noop(0, rig.a));
            }
            final Rec highGate = rig.gate(1, rig.b); // B's: B's descriptors behind it join its run
            final List<Rec> high = new ArrayList<>();
            for (int i = 0; i < IN_RUN + 3; i++) {
                high.add(rig.noop(1, rig.b));
            }
            rig.gate.release();
            gate1.await();
            rig.gate.awaitEntered(); // the engine went to the high WQ's gate
            assertEquals(0, highGate.status());
            for (Rec x : low) {
                assertEquals(0, x.status(), "a low-priority descriptor ran before the high WQ's");
            }
            assertEquals(3, rig.wq(1).occupancy(), "a whole run taken from the high WQ");
            rig.gate.release();
            for (Rec x : high) {
                assertEquals(0x01, x.await());
            }
            for (Rec x : low) {
                assertEquals(0x01, x.await());
            }
        }
    }


    /** A Batch inside a run: its list buffer is not the fetch buffer, so the descriptors after it in the run run as queued. */
    @Test
    void aBatchInsideARunLeavesTheRestOfTheRunIntact() throws Exception {
        try (Rig rig = new Rig()) {
            final long src = rig.a.buffer(4 * 4096, 8);
            final long dst = rig.a.as.allocate(4 * 4096, AddressSpace.RW_USER);
            final long list = rig.a.as.allocate(4096, AddressSpace.RW_USER);
            final Rec[] inner = {rig.a.record(), rig.a.record()};
            final MemorySegment listBytes = MemorySegment.ofArray(new byte[2 * 64]);
            for (int i = 0; i < 2; i++) {
                new Descriptor(listBytes, 64L * i).opcode(Opcode.MEMMOVE).flags(CRAV_RCR)
                    .completionAddress(inner[i].va()).source(src + 4096L * i).destination(dst + 4096L * i)
                    .transferSize(4096);
            }
            rig.a.as.write(list, listBytes);
            final Rec[] r = new Rec[3];
            rig.runBehindGate(0, rig.a, () -> {
                r[0] = rig.a.record();
                rig.submit(0, rig.desc(0).opcode(Opcode.BATCH).pasid(A).source(list).transferSize(2).flags(CRAV_RCR)
                    .completionAddress(r[0].va()));
                r[1] = rig.move(0, rig.a, src + 2 * 4096, dst + 2 * 4096, 4096);
                r[2] = rig.move(0, rig.a, src + 3 * 4096, dst + 3 * 4096, 4096);
            });
            assertEquals(0, rig.wq(0).occupancy());
            rig.gate.release();
            assertEquals(0x01, r[2].await());
            assertEquals(0x01, r[1].status());
            assertEquals(0x01, r[0].status());
            assertEquals(0x01, inner[0].status());
            assertEquals(0x01, inner[1].status());
            assertArrayEquals(rig.a.as.read(src, 4 * 4096), rig.a.as.read(dst, 4 * 4096));
        }
    }

    /** Invoked engines (Threading.INVOKER) still run one descriptor per duty cycle, even alone in their group. */
    @Test
    void anInvokedEngineAloneInItsGroupRunsOneDescriptorPerDutyCycle() {
        try (HostMemory memory = HostMemory.allocate(16L << 20);
             Device dsa = Device.create(memory, DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
                 .wq(WqConfig.builder(0).shared().size(WQ_SIZE).group(0).build()).build(),
                 DeviceOptions.defaults().threading(io.softdsa.device.Threading.INVOKER));
             DsaClient client = DsaClient.open(dsa, 0)) {
            dsa.enableAll();
            final List<CompletionRecord> records = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                final CompletionRecord cr = client.completionRecord();
                records.add(cr);
                assertTrue(client.trySubmit(client.descriptor().opcode(Opcode.NOOP).flags(CRAV_RCR)
                    .completionAddress(cr.address())));
            }
            for (int i = 0; i < 6; i++) {
                assertEquals(1, dsa.invokeEngines(), "duty cycle " + i);
                assertEquals(5 - i, dsa.wq(0).occupancy());
                for (int k = 0; k < 6; k++) {
                    assertEquals(k <= i ? 0x01 : 0, records.get(k).status(), "after duty cycle " + i);
                }
            }
            assertEquals(0, dsa.invokeEngines());
            assertEquals(0, dsa.internalErrors());
        }
    }

    /**
     * A run's completions are written together after its last operation, but never held across a wait: before a
     * descriptor that may block on a page request, the earlier ones' records are written. Run [A noop, A noop, A's
     * blocking move, A noop] behind G's gate: while the engine is blocked in the move, the two noops' records are
     * there and the last noop's is not.
     */
    @Test
    void aRunsEarlierRecordsAreWrittenBeforeItsNextDescriptorBlocksOnAPageRequest() throws Exception {
        try (Rig rig = new Rig()) {
            final Rec gate1 = rig.gate(0);
            rig.gate.awaitEntered();
            final Rec r1 = rig.noop(0, rig.a);
            final Rec r2 = rig.noop(0, rig.a);
            final Rec blocking = rig.gate(0, rig.a);
            final Rec r4 = rig.noop(0, rig.a);
            rig.gate.release();
            assertTrue(gate1.await() != 0, "gate 1 completes");
            rig.gate.awaitEntered(); // the engine is in A's blocking move: the run [r1, r2, blocking, r4] is claimed
            assertEquals(0, rig.wq(0).occupancy(), "one run of A's four");
            assertEquals(0x01, r1.status(), "written before the blocking descriptor ran");
            assertEquals(0x01, r2.status(), "written before the blocking descriptor ran");
            assertEquals(0, blocking.status());
            assertEquals(0, r4.status(), "not run yet");
            rig.gate.release();
            assertTrue(blocking.await() != 0);
            assertEquals(0x01, r4.await());
            rig.wq(0).drain();
        }
    }

}
