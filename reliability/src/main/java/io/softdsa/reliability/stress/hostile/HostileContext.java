package io.softdsa.reliability.stress.hostile;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/** What every tenant and checker of one hostile run shares: the clock, the counters, the checkers. */
final class HostileContext {
    private final Violations violations;
    private final Attacks attacks = new Attacks();
    private volatile boolean running = true;
    final long stopAt;
    /**
     * False only for the harness's own calibration ({@code -Dsoftdsa.hostile.attacks=false}): the same tenants and
     * checkers with every attack off, which must hold every invariant on a correct device.
     */
    final boolean attacksOn = !"false".equals(System.getProperty("softdsa.hostile.attacks"));
    /**
     * False with {@code -Dsoftdsa.hostile.errors=false}: handlers throw only RuntimeExceptions. On a device that an
     * Error kills in the first second, this shows what the other attacks find.
     */
    final boolean errorsOn = !"false".equals(System.getProperty("softdsa.hostile.errors"));
    /** Attacks left out ({@code -Dsoftdsa.hostile.skip=PR_BLOCK,IRQ_BLOCK}, names of {@link Attacks.Kind}). */
    private final Set<String> skip = Set.of(System.getProperty("softdsa.hostile.skip", "").split(","));
    final long startedAt = System.nanoTime();
    final FramePool pool;
    final PasidTableCheck pasids;
    final Set<HostSpace> spaces = ConcurrentHashMap.newKeySet();
    final Set<Integer> freedPasids = ConcurrentHashMap.newKeySet();
    /** Where late page responses and other deferred hostile work run (daemon threads, never an engine's). */
    final ScheduledExecutorService later = Executors.newScheduledThreadPool(2, r -> {
        final Thread t = new Thread(r, "hostile-later");
        t.setDaemon(true);
        return t;
    });

    final LongAdder accepted = new LongAdder();
    final LongAdder completed = new LongAdder();
    final LongAdder abandoned = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder resumed = new LongAdder();
    final LongAdder verified = new LongAdder();
    final LongAdder droppedReported = new LongAdder();
    final LongAdder lost = new LongAdder();
    final LongAdder stalledInFlight = new LongAdder();
    final LongAdder pageRequests = new LongAdder();
    final LongAdder canaryScans = new LongAdder();
    final LongAdder pageTableLeavesChecked = new LongAdder();
    private final AtomicLongArray statuses = new AtomicLongArray(128);

    HostileContext(long seconds, FramePool pool, PasidTableCheck pasids, Violations violations) {
        this.violations = violations;
        this.stopAt = startedAt + TimeUnit.SECONDS.toNanos(seconds);
        this.pool = pool;
        this.pasids = pasids;
    }

    Violations violations() {
        return violations;
    }

    Attacks attacks() {
        return attacks;
    }

    boolean running() {
        return running;
    }

    void stop() {
        running = false;
    }

    /** How long tenants may take to see what they have in flight complete after the run. */
    int drainSeconds() {
        return 5;
    }

    void status(int code) {
        statuses.incrementAndGet(code & 0x7F);
    }

    String statusHistogram() {
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < statuses.length(); i++) {
            if (statuses.get(i) != 0) {
                b.append(String.format("0x%02x=%d ", i, statuses.get(i)));
            }
        }
        return b.toString().trim();
    }

    /** A handler that "blocks forever": sleeps until the run is over (and its drain), then returns. */
    void blockForTheRun() {
        final long until = stopAt + TimeUnit.SECONDS.toNanos(drainSeconds() + 2);
        long left;
        while ((left = until - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(left, 100_000_000L));
        }
    }

    /** Whether attack {@code k} is carried out in this run. */
    boolean on(Attacks.Kind k) {
        final boolean error = k == Attacks.Kind.PR_THROW_ASSERTION || k == Attacks.Kind.PR_THROW_OOM
            || k == Attacks.Kind.IRQ_THROW_ASSERTION || k == Attacks.Kind.IRQ_THROW_OOM;
        return attacksOn && !skip.contains(k.name()) && (errorsOn || !error);
    }

    /** Throws one of RuntimeException, AssertionError, OutOfMemoryError (thrown, not real), chosen by {@code k}. */
    void hostileThrow(int k, String where) {
        switch (errorsOn ? k % 3 : 0) {
            case 0 -> throw new IllegalStateException("hostile " + where + " handler");
            case 1 -> throw new AssertionError("hostile " + where + " handler");
            default -> throw new OutOfMemoryError("hostile " + where + " handler (thrown, not real)");
        }
    }
}
