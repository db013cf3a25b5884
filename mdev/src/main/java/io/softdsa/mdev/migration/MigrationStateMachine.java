package io.softdsa.mdev.migration;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static io.softdsa.mdev.migration.MigrationState.ERROR;
import static io.softdsa.mdev.migration.MigrationState.PRE_COPY_P2P;
import static io.softdsa.mdev.migration.MigrationState.RESUMING;
import static io.softdsa.mdev.migration.MigrationState.RUNNING;
import static io.softdsa.mdev.migration.MigrationState.RUNNING_P2P;
import static io.softdsa.mdev.migration.MigrationState.STOP;

/**
 * The VFIO migration v2 state machine of one device ({@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE}): the direct arcs
 * of the uAPI for the device's feature flags, and for any other request the shortest path of direct arcs that never
 * passes through a saving state (PRE_COPY, PRE_COPY_P2P, STOP_COPY) in the middle — unless the whole path stays inside
 * one saving stream, as PRE_COPY → PRE_COPY_P2P → STOP_COPY does. A request whose both ends are saving states but
 * which would have to close one stream and open another (STOP_COPY → PRE_COPY, STOP_COPY → PRE_COPY_P2P) is
 * forbidden, as is ERROR as a target, anything from ERROR, and any state the feature flags exclude; a forbidden request
 * changes nothing. {@link #transition} runs the path arc by arc through {@link MigrationArcs}; an arc that throws
 * leaves the device in ERROR, which only {@link #reset} leaves (to RUNNING).
 *
 * <p>The paths are computed once, at construction, by a breadth-first search over the direct arcs; the construction
 * also checks that no request has two different shortest paths (the uAPI table is a function).
 *
 * <p>Thread safety: requests are serialised on this object; an arc that calls back into {@link #transition} or
 * {@link #reset} is refused (and so fails, which leaves ERROR). An arc that blocks forever blocks later requests too,
 * as a VFIO driver's state mutex would; {@link #state()} still answers.
 */
public final class MigrationStateMachine {
    /** {@code VFIO_MIGRATION_STOP_COPY}: mandatory. */
    public static final int STOP_COPY = 1;
    /** {@code VFIO_MIGRATION_P2P}: the RUNNING_P2P (and, with PRE_COPY, PRE_COPY_P2P) states exist. */
    public static final int P2P = 2;
    /** {@code VFIO_MIGRATION_PRE_COPY}: the PRE_COPY (and, with P2P, PRE_COPY_P2P) states exist. */
    public static final int PRE_COPY = 4;

    private static final int N = MigrationState.values().length;

    private final int features;
    private final MigrationArcs arcs;
    /** next[from][to]: the first step of the path, or null if the request is forbidden. */
    private final MigrationState[][] next = new MigrationState[N][N];
    /** Written under the monitor, read without it by {@link #state()}: volatile store / volatile load. */
    private volatile MigrationState state = RUNNING;
    private boolean inArc;

    /**
     * A device in RUNNING with these feature flags ({@link #STOP_COPY} mandatory, {@link #P2P}, {@link #PRE_COPY}).
     */
    public MigrationStateMachine(int features, MigrationArcs arcs) {
        if ((features & STOP_COPY) == 0) {
            throw new IllegalArgumentException("VFIO_MIGRATION_STOP_COPY is mandatory: features " + features);
        }
        if ((features & ~(STOP_COPY | P2P | PRE_COPY)) != 0) {
            throw new IllegalArgumentException("unknown migration feature flags " + Integer.toHexString(features));
        }
        if (arcs == null) {
            throw new IllegalArgumentException("no arcs");
        }
        this.features = features;
        this.arcs = arcs;
        final boolean[][] direct = directArcs(features);
        for (MigrationState from : MigrationState.values()) {
            for (MigrationState to : MigrationState.values()) {
                next[from.ordinal()][to.ordinal()] = firstStep(direct, from, to);
            }
        }
    }

    /** The feature flags as {@code VFIO_DEVICE_FEATURE_MIGRATION} reports them. */
    public int features() {
        return features;
    }

    /** The current state. */
    public MigrationState state() {
        return state;
    }

    /** Whether {@code from → to} is one direct arc of this device. */
    public boolean isDirectArc(MigrationState from, MigrationState to) {
        return directArcs(features)[from.ordinal()][to.ordinal()];
    }

    /**
     * The next state on the way from {@code from} to {@code to} (the uAPI's {@code vfio_mig_get_next_state}); {@code to}
     * itself if {@code from == to}.
     *
     * @throws ForbiddenTransitionException if the request is forbidden
     */
    public MigrationState nextStep(MigrationState from, MigrationState to) {
        refuseIfForbidden(from, to);
        return next[from.ordinal()][to.ordinal()];
    }

    /** The whole path from {@code from} to {@code to}, both ends included. */
    public List<MigrationState> path(MigrationState from, MigrationState to) {
        refuseIfForbidden(from, to);
        final List<MigrationState> path = new ArrayList<>();
        path.add(from);
        for (MigrationState s = from; s != to; ) {
            s = next[s.ordinal()][to.ordinal()];
            path.add(s);
        }
        return Collections.unmodifiableList(path);
    }

    /**
     * Moves to {@code to} along {@link #path}, one arc at a time. A forbidden request throws
     * {@link ForbiddenTransitionException} before any arc runs. If an arc throws anything, the device is left in ERROR
     * and {@link MigrationArcException} says which arc failed.
     */
    public synchronized void transition(MigrationState to) throws MigrationArcException {
        if (inArc) {
            throw new IllegalStateException("migration state change requested from inside an arc");
        }
        final MigrationState from = state;
        refuseIfForbidden(from, to);
        for (MigrationState s = from; s != to; ) {
            final MigrationState n = next[s.ordinal()][to.ordinal()];
            step(s, n);
            s = n;
        }
    }

    /** Device reset: from any state, ERROR included, to RUNNING. If the device's reset throws, it stays in ERROR. */
    public synchronized void reset() throws MigrationArcException {
        if (inArc) {
            throw new IllegalStateException("device reset requested from inside an arc");
        }
        final MigrationState from = state;
        inArc = true;
        try {
            arcs.reset();
            state = RUNNING;
        } catch (Throwable t) {
            state = ERROR;
            throw new MigrationArcException(from, RUNNING, t);
        } finally {
            inArc = false;
        }
    }

    private void step(MigrationState from, MigrationState to) throws MigrationArcException {
        inArc = true;
        try {
            runArc(from, to);
            state = to;
        } catch (Throwable t) {
            state = ERROR;
            throw new MigrationArcException(from, to, t);
        } finally {
            inArc = false;
        }
    }

    private void runArc(MigrationState from, MigrationState to) throws Exception {
        switch (from) {
            case RUNNING -> {
                switch (to) {
                    case RUNNING_P2P -> arcs.runningToP2p();
                    case STOP -> arcs.runningToStop();
                    case PRE_COPY -> arcs.startPreCopy();
                    default -> throw new AssertionError(from + " -> " + to);
                }
            }
            case RUNNING_P2P -> {
                switch (to) {
                    case RUNNING -> arcs.p2pToRunning();
                    case STOP -> arcs.p2pToStop();
                    case PRE_COPY_P2P -> arcs.startPreCopyP2p();
                    default -> throw new AssertionError(from + " -> " + to);
                }
            }
            case STOP -> {
                switch (to) {
                    case RUNNING_P2P -> arcs.stopToP2p();
                    case RUNNING -> arcs.stopToRunning();
                    case STOP_COPY -> arcs.startCopy();
                    case RESUMING -> arcs.startResume();
                    default -> throw new AssertionError(from + " -> " + to);
                }
            }
            case STOP_COPY -> arcs.endCopy();
            case RESUMING -> arcs.endResume();
            case PRE_COPY -> {
                switch (to) {
                    case RUNNING -> arcs.endPreCopy();
                    case PRE_COPY_P2P -> arcs.preCopyToP2p();
                    case STOP_COPY -> arcs.preCopyToStopCopy();
                    default -> throw new AssertionError(from + " -> " + to);
                }
            }
            case PRE_COPY_P2P -> {
                switch (to) {
                    case PRE_COPY -> arcs.preCopyP2pToPreCopy();
                    case RUNNING_P2P -> arcs.endPreCopyP2p();
                    case STOP_COPY -> arcs.preCopyP2pToStopCopy();
                    default -> throw new AssertionError(from + " -> " + to);
                }
            }
            default -> throw new AssertionError(from + " -> " + to);
        }
    }

    private void refuseIfForbidden(MigrationState from, MigrationState to) {
        if (from == ERROR) {
            throw new ForbiddenTransitionException(from, to, "the device is in ERROR; only a device reset leaves it");
        }
        if (to == ERROR) {
            throw new ForbiddenTransitionException(from, to, "ERROR cannot be requested");
        }
        if (!from.existsWith(features)) {
            throw new ForbiddenTransitionException(from, to, from + " does not exist with features " + features);
        }
        if (!to.existsWith(features)) {
            throw new ForbiddenTransitionException(from, to, to + " does not exist with features " + features
                + " (P2P states need VFIO_MIGRATION_P2P, pre-copy states VFIO_MIGRATION_PRE_COPY)");
        }
        if (next[from.ordinal()][to.ordinal()] == null) {
            throw new ForbiddenTransitionException(from, to,
                "a saving stream cannot be closed and a new one opened in one request");
        }
    }

    /** The direct arcs for these features (the uAPI's required arcs, vfio_main.c's comment). */
    static boolean[][] directArcs(int features) {
        final boolean[][] a = new boolean[N][N];
        final boolean p2p = (features & P2P) != 0;
        final boolean preCopy = (features & PRE_COPY) != 0;
        arc(a, STOP, MigrationState.STOP_COPY);
        arc(a, MigrationState.STOP_COPY, STOP);
        arc(a, STOP, RESUMING);
        arc(a, RESUMING, STOP);
        if (p2p) {
            arc(a, RUNNING, RUNNING_P2P);
            arc(a, RUNNING_P2P, RUNNING);
            arc(a, RUNNING_P2P, STOP);
            arc(a, STOP, RUNNING_P2P);
        } else {
            arc(a, RUNNING, STOP);
            arc(a, STOP, RUNNING);
        }
        if (preCopy) {
            arc(a, RUNNING, MigrationState.PRE_COPY);
            arc(a, MigrationState.PRE_COPY, RUNNING);
            if (p2p) {
                arc(a, MigrationState.PRE_COPY, PRE_COPY_P2P);
                arc(a, PRE_COPY_P2P, MigrationState.PRE_COPY);
                arc(a, RUNNING_P2P, PRE_COPY_P2P);
                arc(a, PRE_COPY_P2P, RUNNING_P2P);
                arc(a, PRE_COPY_P2P, MigrationState.STOP_COPY);
            } else {
                arc(a, MigrationState.PRE_COPY, MigrationState.STOP_COPY);
            }
        }
        return a;
    }

    private static void arc(boolean[][] a, MigrationState from, MigrationState to) {
        a[from.ordinal()][to.ordinal()] = true;
    }

    /**
     * Breadth-first over simple paths (seven states, so at most six arcs): the first step of the unique shortest
     * valid path, {@code to} when {@code from == to}, or null when there is none.
     */
    private static MigrationState firstStep(boolean[][] direct, MigrationState from, MigrationState to) {
        if (from == to) {
            return to;
        }
        List<List<MigrationState>> frontier = List.of(List.of(from));
        for (int length = 1; length < N && !frontier.isEmpty(); length++) {
            final List<List<MigrationState>> longer = new ArrayList<>();
            MigrationState found = null;
            for (List<MigrationState> p : frontier) {
                final MigrationState last = p.get(p.size() - 1);
                for (MigrationState n : MigrationState.values()) {
                    if (!direct[last.ordinal()][n.ordinal()] || p.contains(n)) {
                        continue;
                    }
                    final List<MigrationState> q = new ArrayList<>(p);
                    q.add(n);
                    if (n == to) {
                        if (valid(q)) {
                            if (found != null && found != q.get(1)) {
                                throw new AssertionError("two shortest paths " + from + " -> " + to);
                            }
                            found = q.get(1);
                        }
                    } else {
                        longer.add(q);
                    }
                }
            }
            if (found != null) {
                return found;
            }
            frontier = longer;
        }
        return null;
    }

    /** Interior states are not saving, unless the whole path is one saving stream; two saving ends need the latter. */
    private static boolean valid(List<MigrationState> p) {
        boolean allSaving = true;
        boolean interiorSaving = false;
        for (int i = 0; i < p.size(); i++) {
            final boolean saving = p.get(i).isSaving();
            allSaving &= saving;
            if (i > 0 && i < p.size() - 1) {
                interiorSaving |= saving;
            }
        }
        if (p.get(0).isSaving() && p.get(p.size() - 1).isSaving()) {
            return allSaving;
        }
        return !interiorSaving;
    }
}
