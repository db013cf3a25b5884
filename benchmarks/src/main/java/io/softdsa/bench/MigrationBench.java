package io.softdsa.bench;

import io.softdsa.bench.support.Pipeline;
import io.softdsa.bench.support.Slot;
import io.softdsa.completion.CompletionRecordLayout;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.migration.DmaLogging;
import io.softdsa.mdev.migration.MigrationState;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.MdevManager;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import io.softdsa.mdev.vmm.MigrationOptions;
import io.softdsa.mdev.vmm.MigrationReport;
import io.softdsa.mdev.vmm.MigrationTestbed;
import io.softdsa.memory.HostMemory;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Live-migration figures in one JVM:
 * <ol>
 * <li><b>Downtime against queue depth and guest PASIDs</b>: a guest running the mixed workload in a loop with
 *     {@code depth} ∈ {1, 16, 32 (the WQ size)} descriptors in flight from {@code pasids} ∈ {1, 8, 64} guest
 *     processes migrates between two hosts {@code reps} times (back and forth, pre-copy to convergence, an unlimited
 *     link); the table has the median and the largest guest downtime (vCPUs paused → resumed) and device downtime
 *     (source stopping for STOP_COPY → destination RUNNING), the median of its two largest parts — the source's
 *     quiesce (its arc into STOP_COPY) and the destination's restore (RESUMING → STOP) — and the median
 *     device-state stream size.</li>
 * <li><b>Dirty-logging overhead</b>: a pipelined memmove through a virtual device in a guest (nested translation,
 *     16 in flight), measured in turn with DMA logging off, on ({@code DMA_LOGGING_START} over all guest RAM: the
 *     walker sets stage-2 dirty bits), and on with a VMM thread reporting and clearing the whole log every
 *     {@value #HARVEST_MILLIS} ms as a pre-copy loop does (each report clears dirty bits and invalidates the IOTLB),
 *     in {@value #TRIPLES} interleaved triples (off, on, on+report back to back); each mode's ratio to the off run of
 *     its own triple, median and range over the triples, as QuickRun reports its pairs.</li>
 * </ol>
 * Pre-copy convergence for a write-heavy guest is in {@code ./softdsa migrate}'s report (its round table).
 * <pre>
 * java ... -cp benchmarks.jar io.softdsa.bench.MigrationBench [--reps N] [--seconds S] [--quick]
 *     [--only downtime|logging]
 * </pre>
 */
public final class MigrationBench {
    private static final int[] DEPTHS = {1, 16, MigrationTestbed.WQ_SIZE};
    private static final int[] PASIDS = {1, 8, 64};
    private static final int LOOP_OPS = 256;
    /** How often the "on+report" runs harvest the DMA log (a pre-copy loop's pace). */
    private static final long HARVEST_MILLIS = 10;
    /** Interleaved off / on / on+report triples per size. */
    private static final int TRIPLES = 5;

    private MigrationBench() {
    }

    public static void main(String[] args) throws Exception {
        int reps = 5;
        double seconds = 2;
        String only = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--only" -> only = args[++i];
                case "--quick" -> {
                    reps = 3;
                    seconds = 1;
                }
                default -> {
                    System.err.println("usage: MigrationBench [--reps N] [--seconds S] [--quick] "
                        + "[--only downtime|logging]");
                    System.exit(2);
                }
            }
        }
        System.out.printf(Locale.ROOT, "softdsa live migration — %s, %d CPUs, %s%n%n", java.time.LocalDateTime.now()
            .withNano(0), Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
        if (!only.equals("logging")) {
            downtimeTable(reps);
            System.out.println();
        }
        if (!only.equals("downtime")) {
            dirtyLoggingOverhead(seconds);
        }
    }

    /**
     * Two hosts and a guest on the first whose workload runs in a loop
     * ({@link io.softdsa.mdev.vmm.GuestWorkload#repeat}) with {@code depth} in flight from {@code pasids} processes, already busy when this returns.
     */
    public static MigrationTestbed busyGuest(int depth, int pasids, long seed) {
        final MigrationTestbed bed = MigrationTestbed.open(MigrationTestbed.Config.of(LOOP_OPS, depth, pasids, seed));
        bed.workload().repeat().start();
        if (!bed.workload().awaitCompleted(64, TimeUnit.SECONDS.toNanos(60))) {
            bed.close();
            throw new IllegalStateException("the guest workload did not get going");
        }
        return bed;
    }

    private static void downtimeTable(int reps) throws Exception {
        try (MigrationTestbed warm = busyGuest(16, 4, 1)) { // the JIT's first switchover is not a row's
            for (int i = 0; i < 3; i++) {
                warm.migrate(MigrationOptions.DEFAULTS);
            }
        }
        System.out.printf(Locale.ROOT, "downtime per migration, %d migrations per row (median / max)%n", reps);
        System.out.printf(Locale.ROOT, "%5s %6s %22s %22s %10s %10s %10s %7s%n", "depth", "PASIDs",
            "guest (vCPUs) ms", "device ms", "quiesce ms", "restore ms", "stream", "rounds");
        for (int depth : DEPTHS) {
            for (int pasids : PASIDS) {
                final long[] vcpu = new long[reps];
                final long[] device = new long[reps];
                final long[] stream = new long[reps];
                final long[] rounds = new long[reps];
                final long[] quiesce = new long[reps];
                final long[] restore = new long[reps];
                try (MigrationTestbed bed = busyGuest(depth, pasids, 31L * depth + pasids)) {
                    for (int r = 0; r < reps; r++) {
                        final MigrationReport m = bed.migrate(MigrationOptions.DEFAULTS);
                        vcpu[r] = m.vcpuDowntimeNanos();
                        device[r] = m.deviceDowntimeNanos();
                        stream[r] = m.deviceStopCopyBytes();
                        rounds[r] = m.rounds().size() - 1;
                        quiesce[r] = arc(m, MigrationReport.Side.SOURCE, MigrationState.STOP_COPY);
                        restore[r] = arc(m, MigrationReport.Side.DESTINATION, MigrationState.STOP);
                        final long done = bed.workload().completed();
                        bed.workload().awaitCompleted(done + 32, TimeUnit.SECONDS.toNanos(30)); // busy again
                    }
                    if (!bed.workload().failures().isEmpty()) {
                        throw new IllegalStateException("guest failures: " + bed.workload().failures());
                    }
                }
                System.out.printf(Locale.ROOT, "%5d %6d %10.2f / %9.2f %10.2f / %9.2f %10.2f %10.2f %8d B %7d%n",
                    depth, pasids, median(vcpu) / 1e6, max(vcpu) / 1e6, median(device) / 1e6, max(device) / 1e6,
                    median(quiesce) / 1e6, median(restore) / 1e6, median(stream), median(rounds));
            }
        }
    }

    private static void dirtyLoggingOverhead(double seconds) throws Exception {
        System.out.printf(Locale.ROOT, "dirty-logging overhead: pipelined memmove through a virtual device, %d "
            + "interleaved triples of %.1f s runs: logging off / on (DMA_LOGGING_START, no report) / on with a report "
            + "of all guest RAM every %d ms; ratios to the same triple's off run: median (min-max)%n", TRIPLES,
            seconds / 2, HARVEST_MILLIS);
        System.out.printf(Locale.ROOT, "%8s %12s %12s %12s %22s %22s %10s%n", "size", "off", "on", "on+report",
            "on/off", "on+report/off", "reports/s");
        for (int size : new int[] {4096, 65536}) {
            final double[][] rate = new double[3][TRIPLES];
            final double[] harvests = new double[TRIPLES];
            try (LoggedGuest g = new LoggedGuest(size)) {
                for (int mode = 0; mode < 3; mode++) {
                    g.measure(mode, 0.3); // warm-up
                }
                for (int t = 0; t < TRIPLES; t++) {
                    for (int mode = 0; mode < 3; mode++) { // off, on, on+report, back to back: a drift hits all
                        rate[mode][t] = g.measure(mode, seconds / 2);
                    }
                    harvests[t] = g.lastHarvestRate;
                }
            }
            final double[] on = new double[TRIPLES];
            final double[] report = new double[TRIPLES];
            for (int t = 0; t < TRIPLES; t++) {
                on[t] = rate[1][t] / rate[0][t];
                report[t] = rate[2][t] / rate[0][t];
            }
            System.out.printf(Locale.ROOT, "%5d KiB %7.2f GB/s %7.2f GB/s %7.2f GB/s %22s %22s %10.0f%n",
                size >> 10, median(rate[0]) * size / 1e9, median(rate[1]) * size / 1e9, median(rate[2]) * size / 1e9,
                ratio(on), ratio(report), median(harvests));
        }
    }

    private static String ratio(double[] r) {
        return String.format(Locale.ROOT, "%.3fx (%.2f-%.2f)", median(r), Arrays.stream(r).min().orElse(0),
            Arrays.stream(r).max().orElse(0));
    }

    private static double median(double[] v) {
        final double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** A guest with a virtual DSA and a pipelined memmove of its own, dirty logging switchable. */
    private static final class LoggedGuest implements AutoCloseable {
        private static final long RAM = 64L << 20;
        private final HostMemory memory = HostMemory.allocate(256L << 20);
        private final HostDsa host;
        private final MdevManager mdev;
        private final GuestDomain guest;
        private final VirtualDsa vdsa;
        private final GuestDriver driver;
        private final GuestProcess app;
        private final Pipeline pipeline;
        double lastHarvestRate;

        LoggedGuest(int size) {
            host = HostDsa.start(memory, DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
                .wq(WqConfig.builder(0).shared().size(32).threshold(32).group(0).type(HostDsa.TYPE_MDEV)
                    .maxTransferSize(1L << 30).maxBatchSize(1024).build())
                .build(), DeviceOptions.defaults().busySpin());
            mdev = new MdevManager(host);
            guest = GuestDomain.createMigratable(host, "bench-vm", RAM, false);
            vdsa = mdev.create(VdevType.SHARED_WQ, guest);
            driver = new GuestDriver(vdsa, guest);
            driver.bringUp(true, DeviceSetup.oneGroup(1, new WqSetup(0, false, 32, 32, 10, false, true, 0, false,
                30, 5, 0)));
            app = driver.newProcess("bench");
            final long src = app.allocate(size);
            final long dst = app.allocate(size);
            final Slot[] slots = new Slot[Pipeline.DEFAULT_WINDOW];
            final long records = app.allocate((long) CompletionRecordLayout.LENGTH * slots.length);
            final int pasid = app.pasid();
            final Slot.Submitter enqcmd = d -> vdsa.portalWrite(0x1000, d.segment(), d.offset(),
                PortalInstruction.ENQCMD, pasid) == PortalResult.ACCEPTED;
            for (int i = 0; i < slots.length; i++) {
                final long va = records + (long) i * CompletionRecordLayout.LENGTH;
                final Descriptor d = driver.descriptor().opcode(Opcode.MEMMOVE).source(src).destination(dst)
                    .transferSize(size).completionAddress(va)
                    .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD);
                slots[i] = new Slot(d, app.completionRecord(va), guest.memory().hostSegment(), enqcmd);
            }
            final byte[] data = new byte[size];
            new SplittableRandom(7).nextBytes(data);
            app.write(src, data);
            slots[0].execute();
            if (!Arrays.equals(app.read(dst, size), data)) {
                throw new IllegalStateException("virtual device: destination differs from the source");
            }
            pipeline = new Pipeline(slots);
        }

        /**
         * Descriptors per second over {@code seconds}: mode 0 logging off, 1 logging on, 2 logging on and a VMM
         * thread reporting (and clearing) the whole log every {@link MigrationBench#HARVEST_MILLIS} ms.
         */
        double measure(int mode, double seconds) throws Exception {
            final DmaLogging log = vdsa.migration().dmaLogging();
            final AtomicLong harvested = new AtomicLong();
            final AtomicBoolean stop = new AtomicBoolean();
            Thread vmm = null;
            if (mode > 0) {
                log.start(4096, List.of(new DmaLogging.Range(0, RAM)));
            }
            if (mode == 2) {
                vmm = new Thread(() -> {
                    while (!stop.get()) { // volatile load, pairs with the measuring thread's set
                        try {
                            log.report(0, RAM, 4096);
                            harvested.incrementAndGet();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                        LockSupport.parkNanos(HARVEST_MILLIS * 1_000_000);
                    }
                }, "vmm-harvest");
                vmm.setDaemon(true);
                vmm.start();
            }
            pipeline.start();
            long done = 0;
            final long start = System.nanoTime();
            final long end = start + (long) (seconds * 1e9);
            while (true) {
                pipeline.step();
                done++;
                if ((done & 63) == 0 && System.nanoTime() > end) {
                    break;
                }
            }
            final double elapsed = (System.nanoTime() - start) / 1e9;
            pipeline.drain();
            if (vmm != null) {
                stop.set(true);
                vmm.join();
                lastHarvestRate = harvested.get() / elapsed;
            }
            if (mode > 0) {
                log.stop();
            }
            return done / elapsed;
        }

        @Override
        public void close() {
            app.close();
            driver.close();
            vdsa.close();
            guest.close();
            mdev.close();
            host.close();
            memory.close();
        }
    }

    /** The duration of the arc of {@code side} that ended in {@code to} during the downtime (the last one). */
    private static long arc(MigrationReport m, MigrationReport.Side side, MigrationState to) {
        long nanos = 0;
        for (MigrationReport.Arc a : m.arcs(side)) {
            if (a.to() == to) {
                nanos = a.nanos();
            }
        }
        return nanos;
    }

    private static long median(long[] v) {
        final long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static long max(long[] v) {
        return Arrays.stream(v).max().orElse(0);
    }
}
