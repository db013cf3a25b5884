package io.softdsa.mdev.vmm;

import io.softdsa.mdev.migration.MigrationArcException;
import io.softdsa.mdev.migration.MigrationArcs;
import io.softdsa.mdev.migration.MigrationState;
import io.softdsa.mdev.migration.MigrationStateMachine;
import io.softdsa.mdev.vdev.DeviceMigration;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.function.Consumer;

/**
 * Moves one device to a migration state the way QEMU's VFIO code does when the device has P2P: one direct arc per
 * request (RUNNING → RUNNING_P2P → STOP → STOP_COPY rather than one jump), so every arc is observable and timed.
 * The path is the uAPI's shortest path for the device's feature flags, planned with a
 * {@link MigrationStateMachine} that drives nothing; the device itself then runs each arc on request.
 */
final class DeviceTransitions {
    /** Arcs of the planner: it only computes paths, so every arc does nothing. */
    private static final MigrationArcs PLAN_ONLY = (MigrationArcs) Proxy.newProxyInstance(
        MigrationArcs.class.getClassLoader(), new Class<?>[] {MigrationArcs.class}, (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return method.getName().equals("equals") ? proxy == args[0]
                    : method.getName().equals("hashCode") ? System.identityHashCode(proxy) : "plan-only arcs";
            }
            return null;
        });

    private final MigrationReport.Side side;
    private final DeviceMigration device;
    private final MigrationStateMachine planner;
    private final Consumer<MigrationReport.Arc> log;

    DeviceTransitions(MigrationReport.Side side, DeviceMigration device, Consumer<MigrationReport.Arc> log) {
        this.side = side;
        this.device = device;
        this.planner = new MigrationStateMachine(device.features(), PLAN_ONLY);
        this.log = log;
    }

    MigrationState state() {
        return device.state();
    }

    boolean has(int feature) {
        return (device.features() & feature) != 0;
    }

    /**
     * Requests each state of the shortest path from the current state to {@code target} in turn, logging every arc
     * with its duration.
     *
     * @throws MigrationArcException if the device failed an arc (it is in ERROR)
     */
    void moveTo(MigrationState target) throws MigrationArcException {
        final List<MigrationState> path = planner.path(device.state(), target);
        for (int i = 1; i < path.size(); i++) {
            final long t0 = System.nanoTime();
            device.transition(path.get(i));
            log.accept(new MigrationReport.Arc(side, path.get(i - 1), path.get(i), System.nanoTime() - t0));
        }
    }
}
