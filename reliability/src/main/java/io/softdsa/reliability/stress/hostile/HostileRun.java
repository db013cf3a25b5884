package io.softdsa.reliability.stress.hostile;

import io.softdsa.device.DeviceOptions;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.userspace.UserspaceDmaDriver;
import io.softdsa.mdev.vdev.MdevManager;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import io.softdsa.memory.HostMemory;
import io.softdsa.reliability.stress.StressOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The adversarial mode of the stress command ({@code --hostile}): hostile tenants on one host DSA (two engines in
 * one group, so every tenant shares them), for a bounded time, then the invariants.
 * <pre>
 *  wq0 user shared 32, block on fault : N-1 user processes (exit with work queued; hostile page-request handlers)
 *  wq1 user dedicated 16              : 1 user process per generation (file closed under a storing thread)
 *  wq2 kernel shared 16, PASID        : the host kernel (completion interrupts; hostile interrupt handler)
 *  wq3 mdev shared   -> guest vm-a    : block on fault; hostile guest page-request handler and MSI sink
 *  wq4 mdev dedicated-> guest vm-b    : frees its DWQ PASID, resets, cycles its WQ
 *  wq5 mdev shared   -> guest vm-c    : fuzzes BAR0, config space and portals
 * </pre>
 * A checker thread scans, every 200 ms, every pool frame, every host tenant's page tables and the PASID tables, and
 * watches every tenant's progress. A watchdog bounds the whole run: if it has not ended {@value #GRACE_SECONDS} s
 * after its time, the table is printed as it stands with the "bounded" invariant failed.
 */
public final class HostileRun {
    static final int GRACE_SECONDS = 60;
    private static final long PROGRESS_BOUND_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final int POOL_FRAMES = 3072;

    private final StressOptions options;
    private HostileContext ctx;
    private HostMemory memory;
    private HostDsa host;
    private UserspaceDmaDriver driver;
    private MdevManager mdev;
    private final List<GuestDomain> guests = new ArrayList<>();
    private final List<Tenant> tenants = new ArrayList<>();
    private final List<ProcessTenant> processes = new ArrayList<>();
    private final List<GuestTenant> guestTenants = new ArrayList<>();
    private KernelTenant kernel;
    private FuzzGuest fuzz;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean finished;
    private volatile boolean enginesChecked;
    private volatile String enginesFigure;
    private volatile String phase = "bring-up";
    private long started;

    public HostileRun(StressOptions options) {
        this.options = options;
    }

    /** Runs with the watchdog: returns the report within {@code seconds + GRACE_SECONDS}, whatever the device does. */
    public static HostileReport execute(StressOptions options) {
        final HostileRun run = new HostileRun(options);
        final AtomicReference<HostileReport> result = new AtomicReference<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread t = Thread.ofPlatform().daemon().name("hostile-run").start(() -> {
            try {
                result.set(run.run());
            } catch (Throwable e) {
                failure.set(e);
                e.printStackTrace(); // a failure of the harness itself, not a verdict: show where
            }
        });
        try {
            t.join(TimeUnit.SECONDS.toMillis(options.seconds() + GRACE_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (result.get() != null) {
            return result.get();
        }
        final String why = failure.get() != null ? "the run failed: " + failure.get()
            : "the run did not end within " + (options.seconds() + GRACE_SECONDS) + " s (stuck in: " + run.phase + ")";
        return run.report(why);
    }

    /** The run itself (no watchdog). */
    public HostileReport run() {
        memory = HostMemory.allocate(384L << 20);
        bringUp();
        started = System.nanoTime();
        phase = "running";
        for (Tenant tn : tenants) {
            threads.add(Thread.ofPlatform().daemon().name("hostile-" + tn.name).start(tn));
        }
        threads.add(Thread.ofPlatform().daemon().name("hostile-fuzz").start(fuzz));
        threads.add(Thread.ofPlatform().daemon().name("hostile-remapper").start(this::remapLoop));
        final Thread checker = Thread.ofPlatform().daemon().name("hostile-checker").start(this::checkLoop);
        final Thread progress = Thread.ofPlatform().daemon().name("hostile-progress").start(this::progressLoop);
        sleepUntil(ctx.stopAt);
        ctx.stop();
        phase = "tenants draining";
        final long drainEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(ctx.drainSeconds() + 3);
        for (Thread t : threads) {
            joinUntil(t, drainEnd);
        }
        boolean stuck = false;
        for (int i = 0; i < tenants.size(); i++) {
            if (threads.get(i).isAlive()) {
                stuck = true;
                ctx.violations().violated(Violations.Invariant.PROGRESS, tenants.get(i).name + " still stuck "
                    + ctx.drainSeconds() + " s after the run (in: " + where(threads.get(i)) + "; stalled: "
                    + stalledNames() + ")");
            }
        }
        if (!stuck) {
            phase = "device drain";
            if (!bounded("drain all", 10, () -> host.device().drainAll())) {
                stuck = true;
                ctx.violations().violated(Violations.Invariant.PROGRESS, "Drain All did not return within 10 s");
            }
        }
        phase = "final checks";
        finished = true;
        join(checker, 10);
        join(progress, 2);
        if (!bounded("final checks", 15, () -> {
            for (Tenant tn : tenants) {
                tn.finalCheck();
            }
            checkOnce();
            kernel.checkInterrupts();
            final long misc = host.device().interrupts().count(0);
            if (misc != 0) {
                ctx.violations().violated(Violations.Invariant.INTERRUPTS, "host handle 0 (held by no tenant) raised "
                    + misc + " times");
            }
        })) {
            ctx.violations().violated(Violations.Invariant.BOUNDED, "the final checks did not end within 15 s");
        }
        final HostileReport report = report(null);
        if (stuck) {
            // a hung device: leave it to its daemon threads (closing memory under them could crash the JVM)
            return report;
        }
        phase = "teardown";
        if (!bounded("teardown", 10, this::teardown)) {
            ctx.violations().violated(Violations.Invariant.BOUNDED, "teardown did not end within 10 s");
            return report(null);
        }
        return report;
    }

    private void bringUp() {
        final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0, 1))
            .wq(WqConfig.builder(0).shared().size(32).threshold(32).group(0).type(HostDsa.TYPE_USER).name("app")
                .blockOnFault(true).maxTransferSize(1L << 20).maxBatchSize(32).build())
            .wq(WqConfig.builder(1).dedicated().size(16).group(0).type(HostDsa.TYPE_USER).name("dwq")
                .maxTransferSize(1L << 20).maxBatchSize(32).build())
            .wq(WqConfig.builder(2).shared().size(16).threshold(16).group(0).type(HostDsa.TYPE_KERNEL).name("kern")
                .pasidEnabled(true).maxTransferSize(1L << 20).maxBatchSize(32).build())
            .wq(mdevWq(3, false)).wq(mdevWq(4, true)).wq(mdevWq(5, false))
            .build();
        host = HostDsa.start(memory, cfg, DeviceOptions.defaults().threadFactory(r -> {
            final Thread t = new Thread(r);
            t.setDaemon(true); // a hung engine must not keep the JVM alive after the watchdog
            return t;
        }));
        host.iommu().pageRequests().timeout(TimeUnit.SECONDS.toNanos(1));
        final Violations v = new Violations();
        final FramePool pool = new FramePool(memory, POOL_FRAMES, v);
        final PasidTableCheck pasids = new PasidTableCheck(memory.segment(),
            host.iommu().pasidTable().directoryAddress(), v);
        ctx = new HostileContext(options.seconds(), pool, pasids, v);
        driver = new UserspaceDmaDriver(host);
        mdev = new MdevManager(host);
        final SplittableRandom seeds = new SplittableRandom(options.seed());
        final int users = Math.max(2, options.producers());
        for (int i = 1; i < users; i++) {
            final ProcessTenant p = new ProcessTenant(i, ctx, seeds.split(), host, driver, false, i == 1);
            processes.add(p);
            tenants.add(p);
        }
        final ProcessTenant dwq = new ProcessTenant(users, ctx, seeds.split(), host, driver, true, false);
        processes.add(dwq);
        tenants.add(dwq);
        kernel = new KernelTenant(20, ctx, seeds.split(), host, 2, true);
        tenants.add(kernel);
        final GuestDomain a = guest("vm-a");
        final GuestDomain b = guest("vm-b");
        final GuestDomain c = guest("vm-c");
        final VirtualDsa va = mdev.create(VdevType.SHARED_WQ, a);
        final VirtualDsa vb = mdev.create(VdevType.DEDICATED_WQ, b);
        final VirtualDsa vc = mdev.create(VdevType.SHARED_WQ, c);
        final GuestTenant ga = new GuestTenant(21, ctx, seeds.split(), a, va, false, true, false);
        final GuestTenant gb = new GuestTenant(22, ctx, seeds.split(), b, vb, true, false, true);
        guestTenants.add(ga);
        guestTenants.add(gb);
        tenants.add(ga);
        tenants.add(gb);
        fuzz = new FuzzGuest(ctx, seeds.split(), c, vc);
    }

    private GuestDomain guest(String name) {
        ctx.pasids.lock();
        try {
            final GuestDomain g = GuestDomain.create(host, name, 48L << 20, false);
            // the VMM bounds its guest's page responses as the host bounds its processes' (the default is 30 s):
            // a guest that never answers then holds an engine for 1 s, and Drain All's 10 s bound means something
            g.iommu().pageRequestTimeout(TimeUnit.SECONDS.toNanos(1));
            guests.add(g);
            return g;
        } finally {
            ctx.pasids.changed("guest " + name + " created");
        }
    }

    private static WqConfig mdevWq(int index, boolean dedicated) {
        // the guest driver's Linux defaults: 2 MiB transfers, batches of 32
        final WqConfig.Builder b = WqConfig.builder(index).size(16).group(0).type(HostDsa.TYPE_MDEV)
            .maxTransferSize(1L << 21).maxBatchSize(32);
        return (dedicated ? b.dedicated() : b.shared().threshold(16)).build();
    }

    // ---------------------------------------------------------------- the remapper

    /** A thread doing unmap/poison/remap of pages under running descriptors of the block-on-fault processes. */
    private void remapLoop() {
        final SplittableRandom rr = new SplittableRandom(options.seed() ^ 0x5EED);
        while (ctx.running()) {
            if (ctx.on(Attacks.Kind.POISON_REMAP)) {
                final ProcessTenant p = processes.get(rr.nextInt(processes.size()));
                if (p.remapInFlight(rr)) {
                    ctx.attacks().count(Attacks.Kind.POISON_REMAP);
                    ctx.attacks().count(Attacks.Kind.REMAPPER_THREAD);
                }
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
    }

    // ---------------------------------------------------------------- the checker

    private void checkLoop() {
        while (!finished) {
            checkOnce();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    /** Its own thread, reading only volatiles: a checker stuck on a hung tenant can never silence it. */
    private void progressLoop() {
        final boolean[] reported = new boolean[tenants.size()];
        while (!finished) {
            final long now = System.nanoTime();
            for (int i = 0; i < tenants.size(); i++) {
                final Tenant tn = tenants.get(i);
                final boolean late = ctx.running() && !tn.stalled && now - tn.lastProgress > PROGRESS_BOUND_NANOS;
                if (late && !reported[i]) {
                    ctx.violations().violated(Violations.Invariant.PROGRESS, tn.name + " made no progress for "
                        + (now - tn.lastProgress) / 1_000_000 + " ms at " + (now - started) / 1_000_000_000 + " s ("
                        + "last attack in it: " + tn.lastAttack + "; stalled: " + stalledNames() + "; its thread in: "
                        + where(threads.get(i)) + ")");
                }
                reported[i] = late;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    private String stalledNames() {
        final StringBuilder b = new StringBuilder();
        for (Tenant tn : tenants) {
            if (tn.stalled) {
                b.append(tn.name).append(' ');
            }
        }
        return b.length() == 0 ? "none" : b.toString().trim();
    }

    private void checkOnce() {
        ctx.pool.scan();
        ctx.canaryScans.increment();
        for (HostSpace s : ctx.spaces) {
            ctx.pageTableLeavesChecked.add(s.checkPageTables());
        }
        ctx.pasids.check();
    }

    // ---------------------------------------------------------------- report

    private HostileReport report(String watchdog) {
        final HostileContext c = ctx;
        final HostileReport rep = new HostileReport(String.format(
            "softdsa stress --hostile: %d s, seed %d, %d user processes (1 on the dedicated WQ), the host kernel, "
                + "2 guests + 1 fuzzing guest, 2 engines", options.seconds(), options.seed(), processes.size()),
            c == null ? java.util.Map.of() : c.attacks().table());
        if (c == null) {
            rep.verdict(new HostileReport.Verdict("bring-up", watchdog == null ? "failed" : watchdog, 1, List.of()));
            return rep;
        }
        if (watchdog != null) {
            c.violations().violated(Violations.Invariant.BOUNDED, watchdog);
        }
        final double secs = (System.nanoTime() - c.startedAt) / 1e9;
        rep.figure("run time", String.format("%.1f s", secs));
        rep.figure("descriptors accepted", c.accepted.sum());
        rep.figure("descriptors completed", c.completed.sum() + " (" + String.format("%.0f/s", c.completed.sum()
            / Math.max(1, secs)) + ")");
        rep.figure("results verified", c.verified.sum());
        rep.figure("completion statuses", c.statusHistogram());
        rep.figure("partial completions resumed", c.resumed.sum());
        rep.figure("page requests (host + guest)", c.pageRequests.sum());
        rep.figure("ENQCMD retries", c.retries.sum());
        rep.figure("abandoned (in flight at exit / reset / free)", c.abandoned.sum());
        rep.figure("dropped, reported in SWERR", c.droppedReported.sum());
        rep.figure("in flight in stalled tenants at the end", c.stalledInFlight.sum());
        rep.figure("canary scans (" + c.pool.size() + " pool frames each)", c.canaryScans.sum());
        rep.figure("page-table leaves compared with the shadow", c.pageTableLeavesChecked.sum());
        rep.figure("PASID-table comparisons (skipped: a change under way)", c.pasids.checks() + " ("
            + c.pasids.skipped() + ")");
        if (kernel != null) {
            rep.figure("kernel interrupts requested / handled", kernel.interruptsRequested() + " / "
                + kernel.interruptsHandled());
        }
        if (fuzz != null) {
            rep.figure("exceptions the fuzzing guest got", fuzz.exceptions());
        }
        rep.figure("stalled tenants (own handler blocks)", stalledNames());
        final StringBuilder per = new StringBuilder();
        for (Tenant tn : tenants) {
            per.append(tn.name).append('=').append(tn.completions()).append(' ');
        }
        rep.figure("completions per tenant", per.toString().trim());
        if (host != null && !enginesChecked) {
            enginesChecked = true;
            final long alive = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("softdsa-dsa0-engine") && t.isAlive()).count();
            final int engines = 2;
            final long internal = host.device().internalErrors();
            if (alive != engines || internal != 0) {
                c.violations().violated(Violations.Invariant.ENGINES, alive + "/" + engines
                    + " engine threads alive, " + internal + " internal errors");
            }
            enginesFigure = alive + "/" + engines + " / " + internal;
        }
        if (enginesFigure != null) {
            rep.figure("engine threads alive / internal errors", enginesFigure);
        }
        for (Violations.Invariant i : Violations.Invariant.values()) {
            final String figures = switch (i) {
                case CANARY -> c.canaryScans.sum() + " scans";
                case ISOLATION, RESULTS -> c.verified.sum() + " verified";
                case EXACTLY_ONCE -> c.completed.sum() + " completions";
                case NOT_LOST -> c.lost.sum() + " lost";
                case INTERRUPTS -> kernel == null ? "" : kernel.interruptsHandled() + " kernel interrupts";
                case PROGRESS -> "bound " + PROGRESS_BOUND_NANOS / 1_000_000_000 + " s";
                case ENGINES -> "";
                case BOUNDED -> "seconds + " + GRACE_SECONDS + " s";
            };
            rep.verdict(new HostileReport.Verdict(i.text, figures, c.violations().count(i), c.violations().notes(i)));
        }
        rep.sources(c.violations().bySource());
        return rep;
    }

    // ---------------------------------------------------------------- teardown and helpers

    private void teardown() {
        for (GuestTenant g : guestTenants) {
            g.closeAll();
        }
        if (fuzz != null) {
            fuzz.close();
        }
        for (ProcessTenant p : processes) {
            if (p.process() != null) {
                p.process().close();
            }
        }
        mdev.close();
        for (GuestDomain g : guests) {
            try {
                g.close();
            } catch (RuntimeException ignored) {
                // a guest torn down hostilely
            }
        }
        driver.close();
        host.close();
        memory.close();
    }

    private static boolean bounded(String what, int seconds, Runnable r) {
        final Thread t = Thread.ofPlatform().daemon().name("hostile-" + what).start(() -> {
            try {
                r.run();
            } catch (RuntimeException | Error ignored) {
                // reported through the invariants
            }
        });
        if (join(t, seconds)) {
            return true;
        }
        // a hang is only useful with the place it hangs in: every thread's stack, once, on stderr
        System.err.println("softdsa stress --hostile: '" + what + "' did not end within " + seconds + " s; threads:");
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            System.err.println("  \"" + e.getKey().getName() + "\" " + e.getKey().getState());
            for (StackTraceElement f : e.getValue()) {
                System.err.println("      at " + f);
            }
        }
        return false;
    }

    private static void sleepUntil(long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(left, 100_000_000L));
        }
    }

    /** The innermost frames of {@code t} outside the harness, for a note on where a tenant is stuck. */
    private static String where(Thread t) {
        final StringBuilder b = new StringBuilder();
        int n = 0;
        for (StackTraceElement e : t.getStackTrace()) {
            if (n++ == 4) {
                break;
            }
            b.append(n == 1 ? "" : " < ").append(e.getClassName().replaceAll(".*\\.", "")).append('.')
                .append(e.getMethodName());
        }
        return b.toString();
    }

    private static void joinUntil(Thread t, long deadline) {
        final long left = deadline - System.nanoTime();
        if (left > 0) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
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
