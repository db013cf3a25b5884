package io.softdsa.mdev.vmm;

import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.migration.MigrationState;
import io.softdsa.mdev.vdev.VdevType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.softdsa.mdev.migration.MigrationState.PRE_COPY;
import static io.softdsa.mdev.migration.MigrationState.PRE_COPY_P2P;
import static io.softdsa.mdev.migration.MigrationState.RESUMING;
import static io.softdsa.mdev.migration.MigrationState.RUNNING;
import static io.softdsa.mdev.migration.MigrationState.RUNNING_P2P;
import static io.softdsa.mdev.migration.MigrationState.STOP;
import static io.softdsa.mdev.migration.MigrationState.STOP_COPY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The VMM model end to end: a guest with the mixed workload in flight migrates from host A to host B and back; its
 * vCPU loop keeps running on the same objects, every op completes exactly once, no record is written twice, and its
 * memory equals the tests' own reference run ({@link WorkloadReference}).
 */
class LiveMigrationTest {
    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(120);

    @Test
    void theReferenceCrcIsCrc32c() {
        assertEquals(0xE3069283, WorkloadReference.crc("123456789".getBytes(StandardCharsets.US_ASCII), 0, 9));
    }

    @Test
    void aGuestKeepsRunningAcrossTwoMigrationsAndComputesWhatItWouldHaveWithoutThem() throws Exception {
        final int ops = 300;
        try (MigrationTestbed bed = MigrationTestbed.open(MigrationTestbed.Config.of(ops, 16, 3, 7))) {
            final GuestWorkload w = bed.workload().repeat();
            final List<GuestProcess> apps = bed.processes();
            final List<Integer> hostPasidsOnA = hostPasids(bed, apps);
            assertEquals(1, bed.vm().placement().device().hostWq(0));
            w.start();
            assertTrue(w.awaitCompleted(90, TIMEOUT));
            final long interruptsBefore = bed.driver().interrupts(1);

            final MigrationReport there = bed.migrate(MigrationOptions.DEFAULTS.withMaxRounds(3));
            System.out.println(there.table());
            assertTrue(there.completed(), there::table);
            final long doneAtFirst = w.completed();
            assertEquals(3, bed.vm().placement().device().hostWq(0), "the guest's WQ is host B's WQ 3");
            final List<Integer> hostPasidsOnB = hostPasids(bed, apps);
            for (int i = 0; i < apps.size(); i++) {
                assertNotEquals(hostPasidsOnA.get(i), hostPasidsOnB.get(i), "guest PASID " + apps.get(i).pasid()
                    + " runs as another host PASID on B");
            }
            assertEquals(List.of(arc(RUNNING, PRE_COPY), arc(PRE_COPY, PRE_COPY_P2P), arc(PRE_COPY_P2P, STOP_COPY),
                arc(STOP_COPY, STOP)), arcs(there, MigrationReport.Side.SOURCE));
            assertEquals(List.of(arc(RUNNING, RUNNING_P2P), arc(RUNNING_P2P, STOP), arc(STOP, RESUMING),
                arc(RESUMING, STOP), arc(STOP, RUNNING_P2P), arc(RUNNING_P2P, RUNNING)),
                arcs(there, MigrationReport.Side.DESTINATION));
            assertRounds(there, 3);

            assertTrue(w.awaitCompleted(doneAtFirst + 100, TIMEOUT), "the same vCPU loop goes on, on host B");
            final MigrationReport back = bed.migrate(MigrationOptions.DEFAULTS.withMaxRounds(0));
            System.out.println(back.table());
            assertTrue(back.completed(), back::table);
            assertEquals(1, back.rounds().size(), "round 0 only, then stop and copy");
            assertEquals(2, bed.vm().migrations());
            assertEquals(1, bed.vm().placement().device().hostWq(0), "back on host A's WQ 1");
            assertTrue(w.awaitCompleted(w.completed() + 100, TIMEOUT), "and on host A again");

            w.finish();
            w.join(TIMEOUT);
            assertEquals(List.of(), w.failures());
            assertEquals((long) w.cycles() * ops, w.completed(), "every op of every cycle completed");
            assertEquals(w.submissions(), w.completions(), "every accepted descriptor completed");
            assertEquals(w.completed() + w.resubmitted().values().stream().mapToLong(Long::longValue).sum(),
                w.submissions(), "once: one submission per op plus one per resubmission");
            assertEquals(List.of(), w.recordsWrittenTwice(), "every record written once and consumed");
            assertEquals(List.of(), WorkloadReference.compare(w, apps));
            assertTrue(w.discardedPages() > 0, "on-demand slots were discarded and faulted in again");
            assertTrue(bed.driver().interrupts(1) > interruptsBefore, "completion interrupts after the migrations");
            assertEquals(List.of(), bed.driver().swerrReports(), "no software error reached the guest");
        }
    }

    @Test
    void anIncompatibleDestinationIsRefusedBeforeAnyDowntimeAndTheGuestGoesOn() throws Exception {
        final int ops = 160;
        try (MigrationTestbed bed = MigrationTestbed.open(MigrationTestbed.Config.of(ops, 8, 2, 11))) {
            final GuestWorkload w = bed.workload().repeat();
            w.start();
            assertTrue(w.awaitCompleted(40, TIMEOUT));
            final VmPlacement other = bed.newDestination(VdevType.DEDICATED_WQ); // another device profile
            final MigrationFailedException e = assertThrows(MigrationFailedException.class,
                () -> bed.vm().migrate(other, MigrationOptions.DEFAULTS));
            assertTrue(e.rolledBack(), e::getMessage);
            assertEquals(0, bed.vm().vcpus().pauses(), "refused during setup: the vCPUs never stopped");
            assertSame(bed.guest(), bed.vm().placement().domain(), "still on host A");
            assertEquals(MigrationState.RUNNING, bed.vm().placement().device().migration().state());
            other.device().close();
            other.domain().close();
            assertTrue(w.awaitCompleted(w.completed() + 80, TIMEOUT), "the guest goes on on host A");
            w.finish();
            w.join(TIMEOUT);
            assertEquals(List.of(), w.failures());
            assertEquals((long) w.cycles() * ops, w.completed());
            assertEquals(List.of(), w.recordsWrittenTwice());
            assertEquals(List.of(), WorkloadReference.compare(w, bed.processes()));
        }
    }

    static void assertRounds(MigrationReport r, int maxRounds) {
        assertTrue(r.rounds().size() >= 1 && r.rounds().size() <= maxRounds + 1, r::table);
        assertEquals(0, r.rounds().get(0).index());
        long sent = 0;
        for (MigrationReport.Round round : r.rounds()) {
            sent += round.copiedBytes();
            assertTrue(round.copiedBytes() <= round.dirtyBytes(), "a round sends at most what it found dirty");
        }
        sent += r.stopAndCopy().copiedBytes();
        assertEquals(sent, r.ramBytes(), "RAM bytes are the rounds' and the final pass's");
        assertTrue(r.deviceStopCopyBytes() > 0, "the device stream has a STOP_COPY part");
        assertTrue(r.deviceBytes() > r.deviceStopCopyBytes(), "and a pre-copy part (compatibility section)");
        assertTrue(r.vcpuDowntimeNanos() > 0 && r.deviceDowntimeNanos() > 0);
    }

    private static List<Integer> hostPasids(MigrationTestbed bed, List<GuestProcess> apps) {
        final List<Integer> out = new ArrayList<>();
        for (GuestProcess p : apps) {
            out.add(bed.guest().iommu().hostPasid(p.pasid()));
        }
        return out;
    }

    private static String arc(MigrationState from, MigrationState to) {
        return from + "->" + to;
    }

    private static List<String> arcs(MigrationReport r, MigrationReport.Side side) {
        return r.arcs(side).stream().map(a -> arc(a.from(), a.to())).toList();
    }
}
