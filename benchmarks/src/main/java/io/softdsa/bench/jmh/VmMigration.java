package io.softdsa.bench.jmh;

import io.softdsa.bench.MigrationBench;
import io.softdsa.mdev.vmm.LiveMigration;
import io.softdsa.mdev.vmm.MigrationOptions;
import io.softdsa.mdev.vmm.MigrationReport;
import io.softdsa.mdev.vmm.MigrationTestbed;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Live migration of a busy guest ({@link MigrationTestbed}: the mixed workload of
 * {@link io.softdsa.mdev.vmm.GuestWorkload}, run in a loop, {@code depth} descriptors in flight from {@code pasids}
 * guest processes). Each invocation is one switchover — vCPUs paused, the source device to STOP_COPY, the last dirty
 * pages, the device stream, the destination resumed and running, vCPUs resumed — measured alone: the setup of the
 * invocation builds both hosts, starts the guest and runs pre-copy to convergence. The score is the guest's downtime
 * (vCPUs paused to resumed, single shot, ms). The device's downtime of each switchover is in
 * {@link MigrationBench}'s table, which also gives the dirty-logging overhead on memmove throughput.
 * <p>
 * 0 B/op is not a goal here: a switchover is a control path that builds stream buffers and reports.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {JvmArgs.ADD_EXPORTS, JvmArgs.MISC_TO_UNNAMED, JvmArgs.NATIVE_ACCESS, JvmArgs.SUN_MISC_UNSAFE})
public class VmMigration {
    @State(Scope.Thread)
    public static class Busy {
        /** Descriptors the guest keeps in flight: 1, 16, the WQ size. */
        @Param({"1", "16", "32"})
        public int depth;

        /** Guest processes (guest PASIDs) submitting. */
        @Param({"1", "8", "64"})
        public int pasids;

        private MigrationTestbed bed;
        private LiveMigration migration;
        MigrationReport report;

        @Setup(Level.Invocation)
        public void setUp() throws Exception {
            bed = MigrationBench.busyGuest(depth, pasids, 1);
            migration = bed.vm().prepareMigration(bed.newDestination(), MigrationOptions.DEFAULTS.withMaxRounds(8));
            migration.setup();
            migration.precopy();
        }

        @TearDown(Level.Invocation)
        public void tearDown() {
            if (report != null && report.completed()) {
                bed.switchedOver();
            } else {
                migration.abort();
            }
            bed.close();
            report = null;
        }
    }

    @Benchmark
    public MigrationReport switchover(Busy s) throws Exception {
        s.report = s.migration.switchover();
        return s.report;
    }
}
