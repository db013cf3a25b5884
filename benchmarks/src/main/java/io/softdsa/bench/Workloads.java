package io.softdsa.bench;

import io.softdsa.bench.support.DataOp;
import io.softdsa.device.config.WqMode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The rows of the QuickRun table, in order. */
final class Workloads {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;

    private Workloads() {
    }

    static List<Workload> all() {
        return List.of(
            new DataOpWorkload(DataOp.MEMMOVE, 4 * KIB),
            new BatchWorkload(DataOp.MEMMOVE, 4 * KIB, 32),
            new DataOpWorkload(DataOp.MEMMOVE, 64 * KIB),
            new DataOpWorkload(DataOp.MEMMOVE, MIB),
            new DataOpWorkload(DataOp.FILL, 64 * KIB),
            new DataOpWorkload(DataOp.COMPARE, 64 * KIB),
            new DataOpWorkload(DataOp.CRC, 64 * KIB),
            new DataOpWorkload(DataOp.COPY_CRC, 64 * KIB),
            new DataOpWorkload(DataOp.DUALCAST, 64 * KIB),
            new PortalWorkload(WqMode.SHARED),
            new PortalWorkload(WqMode.DEDICATED),
            new PingPongWorkload(),
            new OffloadWorkload(OffloadWorkload.Kind.EXECUTOR),
            new OffloadWorkload(OffloadWorkload.Kind.JCTOOLS));
    }

    /** The rows whose ids are in {@code ids} (all rows if empty), in table order; unknown ids are an error. */
    static List<Workload> select(Set<String> ids) {
        final List<Workload> all = all();
        if (ids.isEmpty()) {
            return all;
        }
        final List<Workload> chosen = new ArrayList<>();
        for (Workload w : all) {
            if (ids.contains(w.id())) {
                chosen.add(w);
            }
        }
        if (chosen.size() != ids.size()) {
            throw new IllegalArgumentException("unknown row in " + ids + "; rows are " + ids(all));
        }
        return chosen;
    }

    static List<String> ids(List<Workload> workloads) {
        return workloads.stream().map(Workload::id).toList();
    }
}
