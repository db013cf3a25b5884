package io.softdsa.reliability.stress;

import java.util.TreeMap;

/**
 * The reporting of a stress run: its figures and its invariants, each a comparison of the ledger with what the
 * device and the producers say at the end, into a {@link StressReport}.
 */
final class StressVerdict {
    /** What the run found at its end, besides the ledger. */
    record EndState(double seconds, long lost, boolean allJoined, long aliveEngines, int engines,
                    long canaryFramesHit, long sourcesChanged, long deviceCompleted, long internalErrors,
                    long swerrTotal) {
    }

    private StressVerdict() {
    }

    static void report(StressReport report, StressLedger l, EndState end) {
        final StringBuilder ops = new StringBuilder();
        for (StressRun.Op op : StressRun.Op.values()) {
            ops.append(op.name().toLowerCase()).append('=').append(l.opsDone[op.ordinal()].get()).append(' ');
        }
        final double seconds = end.seconds();
        report.figure("run time", String.format("%.1f s", seconds));
        report.figure("descriptors accepted", l.accepted.sum());
        report.figure("descriptors completed", l.completions.sum());
        report.figure("throughput", String.format("%.0f descriptors/s, %.1f MB/s verified",
            l.completions.sum() / seconds, l.bytesVerified.sum() / seconds / 1e6));
        report.figure("operations verified", ops.toString().trim());
        report.figure("partial completions resumed", l.partials.sum());
        report.figure("page requests served (BOF)", l.pageRequests.sum());
        report.figure("ENQCMD retries", l.retries.sum());
        report.figure("aborted (SWERR 0xFF)", l.abortedSeen.sum());
        report.figure("dropped, WQ disabled (0x31)", l.droppedDisabled.sum());
        report.figure("dropped, WQ full (0x30)", l.droppedFull.sum());
        final StringBuilder cmds = new StringBuilder();
        new TreeMap<>(l.commands).forEach((k, v) -> cmds.append(k).append('=').append(v.sum()).append(' '));
        report.figure("WQ commands while running", cmds.toString().trim());

        report.check("accepted = completed + reported aborted", l.accepted.sum() + " = " + l.completions.sum()
            + " + " + l.abortedSeen.sum(), l.accepted.sum() == l.completions.sum() + l.abortedSeen.sum());
        report.check("every abort reported to its caller", l.abortReported.sum() + " in AbortReports, "
            + l.abortedSeen.sum() + " in SWERR", l.abortReported.sum() == l.abortedSeen.sum());
        report.check("nothing completed twice or unseen", "engines " + end.deviceCompleted() + ", records "
            + l.completions.sum() + ", both ways " + l.doubleResolved.sum(),
            end.deviceCompleted() == l.completions.sum() && l.doubleResolved.sum() == 0);
        report.check("nothing lost", end.lost() + " still in flight" + (end.allJoined() ? "" : ", producers stuck"),
            end.lost() == 0 && end.allJoined());
        report.check("every memmove/fill/CRC/... result right", l.wrongResults.sum() + " wrong, "
            + l.unexpectedStatus.sum() + " unexpected statuses",
            l.wrongResults.sum() == 0 && l.unexpectedStatus.sum() == 0);
        report.check("SWERR entries explained", l.swerrSeen.sum() + " seen of " + end.swerrTotal() + ", "
            + l.unexplainedSwerr.sum() + " unexplained",
            l.unexplainedSwerr.sum() == 0 && l.swerrSeen.sum() == end.swerrTotal());
        report.check("no engine thread died, nothing thrown", end.aliveEngines() + "/" + end.engines()
            + " engine threads alive, " + end.internalErrors() + " internal errors",
            end.aliveEngines() == end.engines() && end.internalErrors() == 0);
        report.check("host-memory canaries intact", end.canaryFramesHit() + " canary frames hit, "
            + l.canaryHits.sum() + " guard bytes hit, " + end.sourcesChanged() + " sources changed",
            end.canaryFramesHit() == 0 && l.canaryHits.sum() == 0 && end.sourcesChanged() == 0);
        if (l.droppedFull.sum() > 0) {
            report.note(l.droppedFull.sum() + " MOVDIR64B dropped as 'WQ full' with at most " + StressRun.SLOTS
                + " of 16 entries outstanding: the ring's spurious retry (see the README's findings)");
        }
        l.problems.forEach(report::note);
    }
}
