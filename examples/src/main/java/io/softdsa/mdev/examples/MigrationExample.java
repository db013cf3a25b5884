package io.softdsa.mdev.examples;

import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.vmm.GuestWorkload;
import io.softdsa.mdev.vmm.MigrationFailedException;
import io.softdsa.mdev.vmm.MigrationOptions;
import io.softdsa.mdev.vmm.MigrationReport;
import io.softdsa.mdev.vmm.MigrationTestbed;
import io.softdsa.mdev.vmm.WorkloadCheck;
import io.softdsa.mdev.vmm.WorkloadPlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./softdsa migrate}: a guest runs a mixed workload on a virtual DSA of host A — memory moves, fills, CRCs,
 * batches with fences, block-on-fault faults its driver serves, completion interrupts — from several guest processes,
 * and is live-migrated mid-flight to host B (another device on its own host memory, whose host WQ index, PASIDs and
 * interrupt handles differ). The guest keeps running on the same driver, processes and workload objects; at the end
 * the migration report is printed as a table, with what the guest saw and whether its memory equals what the same
 * workload computes without migrating.
 * <pre>
 * ./softdsa migrate [--rounds N] [--depth N] [--pasids N] [--seed N]
 *   --rounds  pre-copy rounds after the first full pass, at most (default 8; 0 = stop and copy right after it)
 *   --depth   descriptors the guest keeps in flight, 1..32 (the WQ size; default 16)
 *   --pasids  guest processes, one guest PASID each, 1..256 (default 4)
 *   --seed    the workload's seed (default 42)
 * </pre>
 * Exit codes: 0 the guest's results are right, 1 a check failed, 2 bad arguments.
 */
public final class MigrationExample {
    static final String USAGE = "usage: ./softdsa migrate [--rounds N] [--depth 1..32] [--pasids 1..256] [--seed N]";
    /** Ops per cycle of the guest's plan; it runs cycles until the migration is over, then ends its cycle. */
    private static final int OPS = 600;
    /** A 10 GbE link: RAM pages at most this fast, so pre-copy rounds take the time a real link would. */
    private static final long LINK_BYTES_PER_SECOND = 1_250_000_000L;
    /** How long the guest's fault path takes per page request (so some are outstanding when the device stops). */
    private static final long FAULT_SERVICE_NANOS = 100_000;

    private MigrationExample() {
    }

    /** The parsed options. */
    record Options(int rounds, int depth, int pasids, long seed) {
    }

    public static void main(String[] args) {
        final Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("softdsa migrate: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (o == null) {
            System.out.println(USAGE);
            return;
        }
        System.exit(run(o) ? 0 : 1);
    }

    /** Parses the options; null for --help. */
    static Options parse(String[] args) {
        int rounds = 8;
        int depth = 16;
        int pasids = 4;
        long seed = 42;
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                return null;
            }
            final String name;
            final String value;
            if (a.startsWith("--") && a.contains("=")) {
                name = a.substring(0, a.indexOf('='));
                value = a.substring(a.indexOf('=') + 1);
            } else {
                name = a;
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value (" + USAGE + ")");
                }
                value = args[++i];
            }
            switch (name) {
                case "--rounds" -> rounds = number(name, value, 0, 1000);
                case "--depth" -> depth = number(name, value, 1, MigrationTestbed.WQ_SIZE);
                case "--pasids" -> pasids = number(name, value, 1, 256);
                case "--seed" -> {
                    try {
                        seed = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--seed: an integer is required (got " + value + ")");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + a + " (" + USAGE + ")");
            }
        }
        return new Options(rounds, depth, pasids, seed);
    }

    private static int number(String name, String value, int min, int max) {
        final int v;
        try {
            v = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": an integer " + min + ".." + max + " is required (got "
                + value + ")");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + ": " + min + ".." + max + " (got " + v + ")");
        }
        return v;
    }

    /** Runs the migration and prints it; true if every check held. */
    static boolean run(Options o) {
        System.out.printf(Locale.ROOT, "softdsa migrate — %d ops, depth %d, %d guest PASID(s), seed %d, up to %d "
            + "pre-copy round(s), link %.2f GB/s%n", OPS, o.depth(), o.pasids(), o.seed(), o.rounds(),
            LINK_BYTES_PER_SECOND / 1e9);
        final MigrationTestbed.Config config = MigrationTestbed.Config.of(OPS, o.depth(), o.pasids(), o.seed());
        try (MigrationTestbed bed = MigrationTestbed.open(config)) {
            final GuestWorkload w = bed.workload();
            final List<GuestProcess> processes = bed.processes();
            bed.slowPageRequests(FAULT_SERVICE_NANOS);
            final Map<WorkloadPlan.Kind, Long> kinds = new java.util.EnumMap<>(WorkloadPlan.Kind.class);
            w.plan().ops().forEach(op -> kinds.merge(op.kind(), 1L, Long::sum));
            System.out.printf(Locale.ROOT, "guest workload: %s; %d with a completion interrupt; on-demand pages "
                    + "faulted in by the guest in %d µs each%n%n", kinds.toString().toLowerCase(Locale.ROOT),
                w.plan().ops().stream().filter(WorkloadPlan.Op::interrupt).count(), FAULT_SERVICE_NANOS / 1000);
            final String before = placement(bed, processes);
            w.repeat().start();
            final boolean started = w.awaitCompleted(OPS / 3, TimeUnit.SECONDS.toNanos(120));
            final long opsBefore = w.completed();
            final long interruptsBefore = bed.driver().interrupts(1);
            MigrationReport report;
            try {
                report = bed.migrate(MigrationOptions.DEFAULTS.withMaxRounds(o.rounds())
                    .withBandwidth(LINK_BYTES_PER_SECOND));
            } catch (MigrationFailedException e) {
                System.out.println(e.report() == null ? "" : e.report().table());
                System.out.println("MIGRATION FAILED: " + e.getMessage());
                e.printStackTrace(System.out);
                return false;
            }
            final long opsAtSwitch = w.completed();
            final String after = placement(bed, processes);
            // the guest goes on on host B, then ends the cycle it is in
            final boolean wentOn = w.awaitCompleted(opsAtSwitch + OPS / 3, TimeUnit.SECONDS.toNanos(120));
            w.finish();
            w.join(TimeUnit.SECONDS.toNanos(120));
            System.out.print(report.table());
            System.out.println();
            System.out.println("host side of the guest: before " + before);
            System.out.println("                        after  " + after);
            System.out.println();
            final List<String> problems = new ArrayList<>();
            final List<String> twice = w.recordsWrittenTwice();
            final List<String> memory = WorkloadCheck.mismatches(w, processes);
            problems.addAll(w.failures());
            problems.addAll(twice);
            problems.addAll(memory);
            if (!started || !wentOn) {
                problems.add("the guest did not run " + (started ? "on after the switchover" : "before the migration"));
            }
            final Map<String, Long> resubmitted = w.resubmitted();
            final long resubmissions = resubmitted.values().stream().mapToLong(Long::longValue).sum();
            final boolean once = w.failures().isEmpty() && w.completed() == (long) w.cycles() * OPS
                && w.completions() == w.submissions() && w.submissions() == w.completed() + resubmissions;
            if (!once) {
                problems.add(String.format(Locale.ROOT, "%d ops in %d cycles, %d descriptors accepted, %d completed, "
                    + "%d resubmitted", w.completed(), w.cycles(), w.submissions(), w.completions(), resubmissions));
            }
            System.out.printf(Locale.ROOT, "guest: %d ops in %d cycle(s) of the plan (%d before the migration started, "
                    + "%d by the switchover, %d after it), %d descriptors submitted, at most %d in flight, %d "
                    + "on-demand pages discarded and faulted in again%n", w.completed(), w.cycles(), opsBefore,
                opsAtSwitch, w.completed() - opsAtSwitch, w.submissions(), w.maxInFlight(), w.discardedPages());
            System.out.printf(Locale.ROOT, "guest: resubmitted %s, ENQCMD retries %d, completion interrupts %d of %d "
                    + "requested (%d after the migration started), handle revocations seen %d%n",
                resubmitted.isEmpty() ? "none" : resubmitted.toString(), w.portalRetries(),
                bed.driver().interrupts(1), w.interruptsRequested(), bed.driver().interrupts(1) - interruptsBefore,
                bed.driver().handleRevocations());
            System.out.printf(Locale.ROOT, "check: every descriptor completed once: %s; no record written twice: "
                    + "%s; guest memory equals the reference: %s%n", once ? "yes" : "NO", twice.isEmpty() ? "yes" : "NO",
                memory.isEmpty() ? "yes" : "NO");
            problems.stream().limit(20).forEach(p -> System.out.println("  " + p));
            return problems.isEmpty();
        }
    }

    private static String placement(MigrationTestbed bed, List<GuestProcess> processes) {
        final StringBuilder b = new StringBuilder();
        b.append(bed.currentHost().device().config().name()).append(", host WQ ")
            .append(bed.vm().placement().device().hostWq(0)).append(", guest PASID -> host PASID");
        for (GuestProcess p : processes.subList(0, Math.min(4, processes.size()))) {
            b.append(' ').append(p.pasid()).append("->").append(bed.guest().iommu().hostPasid(p.pasid()));
        }
        if (processes.size() > 4) {
            b.append(" ...");
        }
        return b.append(", WQ interrupt handle ").append(bed.driver().interruptHandle(0)).toString();
    }
}
