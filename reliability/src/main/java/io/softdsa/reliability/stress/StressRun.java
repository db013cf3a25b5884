package io.softdsa.reliability.stress;

import io.softdsa.memory.HostMemory;
import io.softdsa.memory.Page;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * <p>
 * This class runs the timeline; the jobs are the set-up ({@link StressRig}), the workload ({@link Producer}), the
 * chaos ({@link Chaos}), the device's callbacks ({@link DeviceEvents}), the checking ({@link ResultCheck},
 * {@link Canaries}), the accounting ({@link StressLedger}) and the reporting ({@link StressVerdict}).
 */
public final class StressRun {
    static final int SLOTS = 8;
    static final int MAX_SIZE = 32 * 1024;
    static final byte CANARY = (byte) 0xC5;
    static final int SHARED_WQ = 0;
    static final int DEDICATED_WQ = 1;
    static final int DWQ_PASID = 0x7000;
    static final int CANARY_FRAMES = 64;
    static final long PAGE = Page.SIZE;

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
    private final StressLedger ledger = new StressLedger();
    private volatile boolean running = true;

    public StressRun(StressOptions options) {
        this.options = options;
        this.report = new StressReport(options);
    }

    public StressReport run() {
        final HostMemory memory = HostMemory.allocate(256L << 20);
        try {
            return runOn(new StressRig(memory, options.engines()));
        } finally {
            memory.close();
        }
    }

    private StressReport runOn(StressRig rig) {
        final DeviceEvents events = new DeviceEvents(ledger);
        rig.device.swerr().listener(events::onSwerr);
        rig.iommu.pageRequests().handler(events::onPageRequest);
        rig.device.enableAll();

        final SplittableRandom seeds = new SplittableRandom(options.seed());
        final List<Producer> producers = new ArrayList<>();
        for (int p = 0; p < options.producers(); p++) {
            rig.addCanaryFrames(CANARY_FRAMES / options.producers());
            final boolean dedicated = p == 0;
            final int pasid = dedicated ? DWQ_PASID : 0x100 + p;
            final Producer producer = new Producer(rig, ledger, () -> running, p, pasid, dedicated, seeds.split());
            producers.add(producer);
            events.add(producer);
        }
        final long start = System.nanoTime();
        final List<Thread> threads = new ArrayList<>();
        for (Producer p : producers) {
            threads.add(Thread.ofPlatform().name("stress-producer-" + p.index).start(p));
        }
        final Chaos chaos = new Chaos(rig.device, ledger, seeds.split(), () -> running);
        final Thread chaosThread = Thread.ofPlatform().name("stress-chaos").start(chaos);
        sleepUntil(start + TimeUnit.SECONDS.toNanos(options.seconds()));
        running = false;
        join(chaosThread, 60);
        chaos.ensureEnabled();
        boolean allJoined = true;
        for (Thread t : threads) {
            allJoined &= join(t, 60);
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        rig.device.drainAll();
        final long aliveEngines = Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().startsWith("softdsa-dsa0-engine") && t.isAlive()).count();
        long lost = 0;
        long sourcesChanged = 0;
        for (Producer p : producers) {
            lost += p.inFlight();
            sourcesChanged += p.sourcesChanged();
        }
        final StressVerdict.EndState end = new StressVerdict.EndState(seconds, lost, allJoined, aliveEngines,
            options.engines(), rig.canaryFramesHit(), sourcesChanged, rig.device.completedDescriptors(),
            rig.device.internalErrors(), rig.device.swerr().totalErrors());
        rig.close();
        StressVerdict.report(report, ledger, end);
        return report;
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
