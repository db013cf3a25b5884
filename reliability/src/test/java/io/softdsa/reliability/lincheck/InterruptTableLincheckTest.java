package io.softdsa.reliability.lincheck;

import io.softdsa.completion.InterruptTable;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import kotlin.reflect.KFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device's interrupt table ({@code InterruptTable}, issue 11 items 17 and 18) against its sequential meaning: a
 * map from handle to owner, where an engine may raise a handle for a WQ only if the handle is allocated to exactly
 * that WQ's owner. The control path (allocate, release: synchronized in the table, one driver thread here) runs
 * concurrently with engines checking and raising handles; Lincheck checks every result against some sequential
 * order, so a handle that is ever valid for an owner it was not allocated to — the seed's "allocated, owner not yet
 * set" — is a failure.
 * <p>
 * The planted bug is not a copy: {@link SeedAllocationOrder} drives the very table that ships through its own
 * public steps in the seed's order (allocate the handle, then set its owner, as the seed's {@code InterruptHandles}
 * did). The production scenario takes the one-step {@code allocate(handle, owner, handler)} the fix introduced.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class InterruptTableLincheckTest {
    /** Handles 1 and 2 (0 is the misc entry, allocated to the host), owners 0 (the host), 1, 2. */
    @Param(name = "handle", gen = IntGen.class, conf = "1:2")
    @Param(name = "owner", gen = IntGen.class, conf = "0:2")
    public abstract static class TableScenario {
        final InterruptTable table = new InterruptTable(3, Thread::new);

        TableScenario() {
            table.allocate(InterruptTable.MISC); // probe: the host's misc entry
            LincheckRuns.INSTANCES.incrementAndGet();
        }

        /** The control path: how a handle is given to an owner. False if it is allocated already. */
        abstract boolean allocateTo(int handle, int owner);

        @Operation(nonParallelGroup = "control")
        public boolean allocate(@Param(name = "handle") int handle, @Param(name = "owner") int owner) {
            return allocateTo(handle, owner);
        }

        @Operation(nonParallelGroup = "control")
        public boolean release(@Param(name = "handle") int handle) {
            final boolean was = table.isValid(handle); // only the control group changes it: no race with this
            table.release(handle);
            return was;
        }

        /** An engine's step 5: may a descriptor of a WQ of {@code owner} name {@code handle}? */
        @Operation
        public boolean isValid(@Param(name = "handle") int handle, @Param(name = "owner") int owner) {
            return table.isValid(handle, owner);
        }

        /** An engine's completion: check and raise from one load. */
        @Operation
        public boolean raise(@Param(name = "handle") int handle, @Param(name = "owner") int owner) {
            return table.raise(handle, owner);
        }
    }

    /** The table as shipped, allocated as {@code InterruptHandles} does now: owner published with the entry. */
    public static final class ShippedTable extends TableScenario {
        @Override
        boolean allocateTo(int handle, int owner) {
            if (table.isValid(handle)) {
                return false;
            }
            table.allocate(handle, owner, null);
            return true;
        }
    }

    /** DELIBERATELY BROKEN: the same table, allocated in the seed's order (valid first, owner afterwards). */
    public static final class SeedAllocationOrder extends TableScenario {
        @Override
        boolean allocateTo(int handle, int owner) {
            if (table.isValid(handle)) {
                return false;
            }
            table.allocate(handle);     // BUG (the seed's InterruptHandles): valid now, with the host as owner
            table.owner(handle, owner);
            return true;
        }
    }

    /** The sequential meaning: handle -> owner, or free. */
    public static final class Spec {
        private final int[] owners = {0, -1, -1};

        public boolean allocate(int handle, int owner) {
            if (owners[handle] >= 0) {
                return false;
            }
            owners[handle] = owner;
            return true;
        }

        public boolean release(int handle) {
            final boolean was = owners[handle] >= 0;
            owners[handle] = -1;
            return was;
        }

        public boolean isValid(int handle, int owner) {
            return owners[handle] == owner;
        }

        public boolean raise(int handle, int owner) {
            return owners[handle] == owner;
        }
    }

    @AfterAll
    static void figures() {
        System.out.println("[lincheck] scenario instances run so far (one per invocation): "
            + LincheckRuns.INSTANCES.get() + " (" + LincheckRuns.ITERATIONS + " scenarios x "
            + LincheckRuns.INVOCATIONS + " invocations per check)");
    }

    @Test
    void modelCheckingFindsTheShippedTableLinearizable() {
        LincheckRuns.bounded(new ModelCheckingOptions()).threads(3).actorsPerThread(2).actorsBefore(1)
            .actorsAfter(1).sequentialSpecification(Spec.class).check(ShippedTable.class);
    }

    @Test
    void stressFindsTheShippedTableLinearizableOnRealThreads() {
        LincheckRuns.bounded(new StressOptions()).threads(3).actorsPerThread(2).actorsBefore(1).actorsAfter(1)
            .sequentialSpecification(Spec.class).check(ShippedTable.class);
    }

    /**
     * The seed's order, in the scenario that shows it (a tenant's engine asks about the handle while the host hands
     * it to the tenant), then in random scenarios like the shipped table's.
     */
    @Test
    void modelCheckingFindsTheSeedsAllocationOrder() {
        final KFunction<?> allocate = Scenarios.operation(TableScenario.class, "allocate", int.class, int.class);
        final KFunction<?> isValid = Scenarios.operation(TableScenario.class, "isValid", int.class, int.class);
        final AssertionError failure = assertThrows(AssertionError.class, () ->
            new ModelCheckingOptions().iterations(0).invocationsPerIteration(1_000)
                .addCustomScenario(Scenarios.scenario(List.of(),
                    List.of(List.of(Scenarios.call(allocate, 1, 1)), List.of(Scenarios.call(isValid, 1, 0)))))
                .sequentialSpecification(Spec.class).check(SeedAllocationOrder.class));
        LincheckReport.print("interrupt table allocated in the seed's order", failure);
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
        assertTrue(failure.getMessage().contains("isValid(1, 0): true"), failure.getMessage()); // the host's tag
    }

    @Test
    void modelCheckingFindsTheSeedsAllocationOrderInRandomScenarios() {
        final AssertionError failure = assertThrows(AssertionError.class, () ->
            LincheckRuns.bounded(new ModelCheckingOptions()).threads(2).actorsPerThread(2).actorsBefore(0)
                .actorsAfter(0).sequentialSpecification(Spec.class).check(SeedAllocationOrder.class));
        assertTrue(failure.getMessage().contains("Invalid execution results"), failure.getMessage());
    }
}
