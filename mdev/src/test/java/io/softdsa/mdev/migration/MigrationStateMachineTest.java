package io.softdsa.mdev.migration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The migration state machine against the uAPI: the literal {@code vfio_from_fsm_table} and
 * {@code state_flags_table} of {@code drivers/vfio/vfio_main.c} with its skip loop, copied here by value (state
 * numbers), are the reference for all 64 (from, to) pairs under every feature combination.
 */
@Timeout(20)
class MigrationStateMachineTest {
    // uAPI values
    private static final int ERR = 0, STOP = 1, RUN = 2, STOPC = 3, RES = 4, RP2P = 5, PRE = 6, PREP2P = 7;
    private static final int F_STOP_COPY = 1, F_P2P = 2, F_PRE_COPY = 4;

    /** vfio_from_fsm_table[cur][new], rows and columns in uAPI value order 0..7. */
    private static final int[][] TABLE = new int[8][8];
    private static final int[] STATE_FLAGS = new int[8];

    static {
        row(STOP, new int[][] {{STOP, STOP}, {RUN, RP2P}, {PRE, RP2P}, {PREP2P, RP2P}, {STOPC, STOPC},
            {RES, RES}, {RP2P, RP2P}, {ERR, ERR}});
        row(RUN, new int[][] {{STOP, RP2P}, {RUN, RUN}, {PRE, PRE}, {PREP2P, RP2P}, {STOPC, RP2P}, {RES, RP2P},
            {RP2P, RP2P}, {ERR, ERR}});
        row(PRE, new int[][] {{STOP, RUN}, {RUN, RUN}, {PRE, PRE}, {PREP2P, PREP2P}, {STOPC, PREP2P}, {RES, RUN},
            {RP2P, RUN}, {ERR, ERR}});
        row(PREP2P, new int[][] {{STOP, RP2P}, {RUN, RP2P}, {PRE, PRE}, {PREP2P, PREP2P}, {STOPC, STOPC},
            {RES, RP2P}, {RP2P, RP2P}, {ERR, ERR}});
        row(STOPC, new int[][] {{STOP, STOP}, {RUN, STOP}, {PRE, ERR}, {PREP2P, ERR}, {STOPC, STOPC}, {RES, STOP},
            {RP2P, STOP}, {ERR, ERR}});
        row(RES, new int[][] {{STOP, STOP}, {RUN, STOP}, {PRE, STOP}, {PREP2P, STOP}, {STOPC, STOP}, {RES, RES},
            {RP2P, STOP}, {ERR, ERR}});
        row(RP2P, new int[][] {{STOP, STOP}, {RUN, RUN}, {PRE, RUN}, {PREP2P, PREP2P}, {STOPC, STOP}, {RES, STOP},
            {RP2P, RP2P}, {ERR, ERR}});
        row(ERR, new int[][] {{STOP, ERR}, {RUN, ERR}, {PRE, ERR}, {PREP2P, ERR}, {STOPC, ERR}, {RES, ERR},
            {RP2P, ERR}, {ERR, ERR}});
        STATE_FLAGS[STOP] = F_STOP_COPY;
        STATE_FLAGS[RUN] = F_STOP_COPY;
        STATE_FLAGS[PRE] = F_STOP_COPY | F_PRE_COPY;
        STATE_FLAGS[PREP2P] = F_STOP_COPY | F_P2P | F_PRE_COPY;
        STATE_FLAGS[STOPC] = F_STOP_COPY;
        STATE_FLAGS[RES] = F_STOP_COPY;
        STATE_FLAGS[RP2P] = F_STOP_COPY | F_P2P;
        STATE_FLAGS[ERR] = ~0;
    }

    private static void row(int cur, int[][] cells) {
        for (int[] c : cells) {
            TABLE[cur][c[0]] = c[1];
        }
    }

    private static boolean supported(int state, int flags) {
        return (STATE_FLAGS[state] & flags) == STATE_FLAGS[state];
    }

    /** vfio_mig_get_next_state: the next state, or -1 for -EINVAL. */
    private static int referenceNext(int cur, int target, int flags) {
        if (!supported(cur, flags) || !supported(target, flags)) {
            return -1;
        }
        int n = TABLE[cur][target];
        // the kernel's loop would spin on ERROR (its flags are ~0, never all supported): stop there, it means EINVAL
        while (n != ERR && !supported(n, flags)) {
            n = TABLE[n][target];
        }
        return n == ERR ? -1 : n;
    }

    /** Records every arc the machine runs, as "from>to" in uAPI values; optionally fails one of them. */
    static class RecordingArcs implements MigrationArcs {
        final List<String> taken = new ArrayList<>();
        String failOn;
        Throwable failWith = new RuntimeException("arc failed");

        private void arc(int from, int to) throws Exception {
            final String a = from + ">" + to;
            taken.add(a);
            if (a.equals(failOn)) {
                if (failWith instanceof Exception e) {
                    throw e;
                }
                throw (Error) failWith;
            }
        }

        @Override public void runningToP2p() throws Exception { arc(RUN, RP2P); }
        @Override public void p2pToRunning() throws Exception { arc(RP2P, RUN); }
        @Override public void p2pToStop() throws Exception { arc(RP2P, STOP); }
        @Override public void stopToP2p() throws Exception { arc(STOP, RP2P); }
        @Override public void runningToStop() throws Exception { arc(RUN, STOP); }
        @Override public void stopToRunning() throws Exception { arc(STOP, RUN); }
        @Override public void startCopy() throws Exception { arc(STOP, STOPC); }
        @Override public void endCopy() throws Exception { arc(STOPC, STOP); }
        @Override public void startResume() throws Exception { arc(STOP, RES); }
        @Override public void endResume() throws Exception { arc(RES, STOP); }
        @Override public void startPreCopy() throws Exception { arc(RUN, PRE); }
        @Override public void endPreCopy() throws Exception { arc(PRE, RUN); }
        @Override public void preCopyToP2p() throws Exception { arc(PRE, PREP2P); }
        @Override public void preCopyP2pToPreCopy() throws Exception { arc(PREP2P, PRE); }
        @Override public void startPreCopyP2p() throws Exception { arc(RP2P, PREP2P); }
        @Override public void endPreCopyP2p() throws Exception { arc(PREP2P, RP2P); }
        @Override public void preCopyP2pToStopCopy() throws Exception { arc(PREP2P, STOPC); }
        @Override public void preCopyToStopCopy() throws Exception { arc(PRE, STOPC); }
        @Override public void reset() throws Exception { arc(-1, RUN); }
    }

    private static final int[] FEATURE_SETS = {F_STOP_COPY, F_STOP_COPY | F_P2P, F_STOP_COPY | F_PRE_COPY,
        F_STOP_COPY | F_P2P | F_PRE_COPY};

    /** Puts a fresh machine into {@code state} by the reference's own steps, then clears the record. */
    private static MigrationStateMachine at(int features, int state, RecordingArcs arcs) throws Exception {
        final MigrationStateMachine m = new MigrationStateMachine(features, arcs);
        m.transition(MigrationState.of(state));
        assertEquals(state, m.state().value());
        arcs.taken.clear();
        return m;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 5, 7})
    void all64PairsFollowTheUapiTable(int features) throws Exception {
        int checked = 0;
        for (int from = 0; from < 8; from++) {
            for (int to = 0; to < 8; to++) {
                final int expected = referenceNext(from, to, features);
                final MigrationStateMachine m = new MigrationStateMachine(features, new RecordingArcs());
                final MigrationState f = MigrationState.of(from);
                final MigrationState t = MigrationState.of(to);
                if (expected < 0) {
                    assertThrows(ForbiddenTransitionException.class, () -> m.nextStep(f, t), f + " -> " + t);
                } else {
                    assertEquals(expected, m.nextStep(f, t).value(), "features " + features + ": " + f + " -> " + t);
                }
                checked++;
            }
        }
        assertEquals(64, checked);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 5, 7})
    void transitionRunsTheReferencePathArcByArc(int features) throws Exception {
        for (int from = 1; from < 8; from++) {
            if (!supported(from, features)) {
                continue;
            }
            for (int to = 0; to < 8; to++) {
                final RecordingArcs arcs = new RecordingArcs();
                final MigrationStateMachine m = at(features, from, arcs);
                final List<String> expected = new ArrayList<>();
                boolean forbidden = false;
                for (int s = from; s != to; ) {
                    final int n = referenceNext(s, to, features);
                    if (n < 0) {
                        forbidden = true;
                        break;
                    }
                    expected.add(s + ">" + n);
                    s = n;
                }
                final MigrationState t = MigrationState.of(to);
                if (forbidden) {
                    assertThrows(ForbiddenTransitionException.class, () -> m.transition(t));
                    assertEquals(from, m.state().value(), "a refused request leaves the state");
                    assertEquals(List.of(), arcs.taken, "a refused request runs no arc");
                } else {
                    m.transition(t);
                    assertEquals(to, m.state().value());
                    assertEquals(expected, arcs.taken, "features " + features + ": " + from + " -> " + to);
                }
            }
        }
    }

    @Test
    void everyDirectArcOfTheFactSheetIsOneStepWithAllFeatures() throws Exception {
        final int all = F_STOP_COPY | F_P2P | F_PRE_COPY;
        final int[][] direct = {{RUN, RP2P}, {RP2P, RUN}, {RP2P, STOP}, {STOP, RP2P}, {STOP, STOPC}, {STOPC, STOP},
            {STOP, RES}, {RES, STOP}, {RUN, PRE}, {PRE, RUN}, {PRE, PREP2P}, {PREP2P, PRE}, {PREP2P, RP2P},
            {RP2P, PREP2P}, {PREP2P, STOPC}};
        final Set<String> arcs = new java.util.HashSet<>();
        for (int[] a : direct) {
            final RecordingArcs rec = new RecordingArcs();
            final MigrationStateMachine m = at(all, a[0], rec);
            assertTrue(m.isDirectArc(MigrationState.of(a[0]), MigrationState.of(a[1])));
            m.transition(MigrationState.of(a[1]));
            assertEquals(List.of(a[0] + ">" + a[1]), rec.taken);
            arcs.add(a[0] + ">" + a[1]);
        }
        // and nothing else is direct
        final MigrationStateMachine m = new MigrationStateMachine(all, new RecordingArcs());
        for (int f = 0; f < 8; f++) {
            for (int t = 0; t < 8; t++) {
                assertEquals(arcs.contains(f + ">" + t), m.isDirectArc(MigrationState.of(f), MigrationState.of(t)),
                    f + ">" + t);
            }
        }
    }

    @Test
    void withoutP2pRunningAndStopAreDirect() throws Exception {
        final RecordingArcs rec = new RecordingArcs();
        final MigrationStateMachine m = new MigrationStateMachine(F_STOP_COPY | F_PRE_COPY, rec);
        m.transition(MigrationState.PRE_COPY);
        m.transition(MigrationState.STOP_COPY);
        m.transition(MigrationState.RUNNING);
        assertEquals(List.of("2>6", "6>3", "3>1", "1>2"), rec.taken);
    }

    @Test
    void forbiddenRequestsAreRefusedAndChangeNothing() throws Exception {
        final int all = F_STOP_COPY | F_P2P | F_PRE_COPY;
        for (int target : new int[] {PRE, PREP2P, ERR}) {
            final RecordingArcs rec = new RecordingArcs();
            final MigrationStateMachine m = at(all, STOPC, rec);
            final ForbiddenTransitionException e = assertThrows(ForbiddenTransitionException.class,
                () -> m.transition(MigrationState.of(target)));
            assertEquals(MigrationState.STOP_COPY, e.from());
            assertEquals(MigrationState.STOP_COPY, m.state());
            assertEquals(List.of(), rec.taken);
        }
        // states the flags exclude
        final RecordingArcs rec = new RecordingArcs();
        final MigrationStateMachine plain = new MigrationStateMachine(F_STOP_COPY, rec);
        for (MigrationState s : new MigrationState[] {MigrationState.RUNNING_P2P, MigrationState.PRE_COPY,
            MigrationState.PRE_COPY_P2P, MigrationState.ERROR}) {
            final ForbiddenTransitionException e = assertThrows(ForbiddenTransitionException.class,
                () -> plain.transition(s));
            assertTrue(e.getMessage().contains(s.name()), e.getMessage());
            assertEquals(MigrationState.RUNNING, plain.state());
        }
        assertEquals(List.of(), rec.taken);
        assertThrows(IllegalArgumentException.class, () -> new MigrationStateMachine(F_P2P, new RecordingArcs()));
        assertThrows(IllegalArgumentException.class, () -> new MigrationStateMachine(9, new RecordingArcs()));
        assertThrows(IllegalArgumentException.class, () -> MigrationState.of(8));
    }

    @Test
    void aFailedArcLeavesErrorWhichOnlyResetLeaves() throws Exception {
        final int all = F_STOP_COPY | F_P2P | F_PRE_COPY;
        final RecordingArcs rec = new RecordingArcs();
        final MigrationStateMachine m = new MigrationStateMachine(all, rec);
        rec.failOn = RP2P + ">" + STOP;
        final MigrationArcException e = assertThrows(MigrationArcException.class,
            () -> m.transition(MigrationState.STOP_COPY));
        assertEquals(MigrationState.RUNNING_P2P, e.from());
        assertEquals(MigrationState.STOP, e.to());
        assertEquals(MigrationState.ERROR, m.state());
        assertEquals(List.of("2>5", "5>1"), rec.taken, "the path stops at the failed arc");
        for (MigrationState s : MigrationState.values()) {
            assertThrows(ForbiddenTransitionException.class, () -> m.transition(s), "from ERROR to " + s);
            assertEquals(MigrationState.ERROR, m.state());
        }
        rec.taken.clear();
        m.reset();
        assertEquals(MigrationState.RUNNING, m.state());
        assertEquals(List.of("-1>2"), rec.taken);
        rec.failOn = null;
        m.transition(MigrationState.STOP);
        assertEquals(MigrationState.STOP, m.state());
    }

    @Test
    void anErrorThrownByAnArcAndAFailedResetBothLeaveError() throws Exception {
        final RecordingArcs rec = new RecordingArcs();
        final MigrationStateMachine m = new MigrationStateMachine(F_STOP_COPY, rec);
        rec.failOn = STOP + ">" + RES;
        rec.failWith = new StackOverflowError("deep");
        final MigrationArcException e = assertThrows(MigrationArcException.class,
            () -> m.transition(MigrationState.RESUMING));
        assertInstanceOf(StackOverflowError.class, e.getCause());
        assertEquals(MigrationState.ERROR, m.state());
        rec.failOn = "-1>2";
        rec.failWith = new IllegalStateException("reset broke");
        assertThrows(MigrationArcException.class, m::reset);
        assertEquals(MigrationState.ERROR, m.state());
        rec.failOn = null;
        m.reset();
        assertEquals(MigrationState.RUNNING, m.state());
    }

    @Test
    void anArcThatCallsBackIntoTheMachineFails() throws Exception {
        final MigrationStateMachine[] self = new MigrationStateMachine[1];
        final RecordingArcs rec = new RecordingArcs() {
            @Override
            public void startCopy() throws Exception {
                self[0].transition(MigrationState.RUNNING);
            }
        };
        self[0] = new MigrationStateMachine(F_STOP_COPY, rec);
        self[0].transition(MigrationState.STOP);
        assertThrows(MigrationArcException.class, () -> self[0].transition(MigrationState.STOP_COPY));
        assertEquals(MigrationState.ERROR, self[0].state());
        assertFalse(rec.taken.contains("1>2"), "the nested request ran no arc");
    }

    @Test
    void sameStateIsANoOp() throws Exception {
        final RecordingArcs rec = new RecordingArcs();
        final MigrationStateMachine m = new MigrationStateMachine(F_STOP_COPY | F_P2P, rec);
        m.transition(MigrationState.RUNNING);
        assertEquals(List.of(), rec.taken);
        assertEquals(List.of(MigrationState.RUNNING, MigrationState.RUNNING_P2P, MigrationState.STOP,
            MigrationState.RESUMING), m.path(MigrationState.RUNNING, MigrationState.RESUMING));
    }
}
