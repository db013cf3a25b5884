package io.softdsa.mdev.vmm;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Migrate-mid-flight, again and again: each repetition builds two hosts and a guest with a random queue depth (up to
 * the WQ size) and number of guest processes, starts the mixed workload (block-on-fault faults included, served by a
 * guest of random slowness, so some are outstanding at the stop) in a loop, migrates at a random point with a random
 * number of pre-copy rounds, lets the guest go on on the destination and end its cycle there, and checks that
 * every op completed exactly once, no completion record was written twice, and the guest's memory equals the tests'
 * reference run. {@code -Dmigration.torture.rounds=N} for more repetitions (default 10), {@code
 * -Dmigration.torture.seed=S} to replay.
 */
class MigrationTortureTest {
    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(120);

    @Test
    void everyDescriptorCompletesOnceAndTheGuestsMemoryIsRightWhereverTheMigrationStopsIt() throws Exception {
        final int repetitions = Integer.getInteger("migration.torture.rounds", 10);
        final long seed = Long.getLong("migration.torture.seed", 0x5EED_2026L);
        final List<String> findings = new ArrayList<>();
        long faultsAtStop = 0;
        final java.util.Map<String, Long> resubmitted = new java.util.TreeMap<>();
        for (int rep = 0; rep < repetitions; rep++) {
            final SplittableRandom r = new SplittableRandom(seed + rep);
            final int depth = 1 + r.nextInt(MigrationTestbed.WQ_SIZE);
            final int pasids = 1 + r.nextInt(3);
            final int ops = 100 + r.nextInt(60);
            final int trigger = r.nextInt(2 * ops); // in the first cycle or the second
            final int rounds = r.nextInt(4);
            final long spinNanos = r.nextLong(2_000_000);
            final long faultNanos = r.nextInt(3) == 0 ? 0 : r.nextLong(500_000); // a guest slow to fault pages in
            final String what = String.format("rep %d (seed %d): depth %d, %d PASID(s), %d ops, migrate after %d "
                + "and %d µs, %d round(s), page requests served in %d µs", rep, seed + rep, depth, pasids, ops,
                trigger, spinNanos / 1000, rounds, faultNanos / 1000);
            try (MigrationTestbed bed = MigrationTestbed.open(MigrationTestbed.Config.of(ops, depth, pasids,
                    seed + rep))) {
                bed.slowPageRequests(faultNanos);
                final GuestWorkload w = bed.workload().repeat().start();
                assertTrue(w.awaitCompleted(trigger, TIMEOUT), what);
                LockSupport.parkNanos(spinNanos);
                final MigrationReport report = bed.migrate(MigrationOptions.DEFAULTS.withMaxRounds(rounds));
                faultsAtStop += report.pageRequestsAtStop();
                // the guest goes on on the destination for a while, then ends its cycle there
                assertTrue(w.awaitCompleted(w.completed() + 20, TIMEOUT), what);
                w.finish();
                w.join(TIMEOUT);
                w.resubmitted().forEach((status, n) -> resubmitted.merge(status, n, Long::sum));
                final List<String> problems = new ArrayList<>(w.failures());
                if (w.completed() != (long) w.cycles() * ops) {
                    problems.add(w.completed() + " ops completed in " + w.cycles() + " cycles of " + ops);
                }
                final long resubmissions = w.resubmitted().values().stream().mapToLong(Long::longValue).sum();
                if (w.completions() != w.submissions() || w.submissions() != w.completed() + resubmissions) {
                    problems.add(w.submissions() + " descriptors accepted, " + w.completions() + " completed, "
                        + w.completed() + " ops + " + resubmissions + " resubmissions");
                }
                problems.addAll(w.recordsWrittenTwice());
                problems.addAll(WorkloadReference.compare(w, bed.processes()));
                if (!problems.isEmpty()) {
                    findings.add(what + ":\n  " + String.join("\n  ", problems.subList(0,
                        Math.min(10, problems.size()))) + "\n" + report.table());
                }
            }
        }
        System.out.println("torture: " + repetitions + " migrations, page requests outstanding at the stop in all: "
            + faultsAtStop + ", resubmissions by status " + resubmitted);
        assertEquals(List.of(), findings);
    }
}
