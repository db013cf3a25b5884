package io.softdsa.mdev.vmm;

import io.softdsa.mdev.guest.GuestProcess;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What a {@link GuestWorkload}'s buffers must hold once its cycles have run, computed from its
 * {@link WorkloadPlan} with plain loops (the ops one after another on their slots: the bytes the CPU wrote,
 * discarded on-demand slots as zeros, the fill patterns, a bitwise CRC-32C), and the comparison with what the guest's
 * memory holds — for {@code ./softdsa migrate}, which has to say whether the migrated guest computed what it
 * would have computed without moving. (The tests keep their own reference.)
 */
public final class WorkloadCheck {
    private WorkloadCheck() {
    }

    /**
     * Mismatches between the guest's buffers and the plan run {@link GuestWorkload#cycles()} times in order (empty:
     * equal), at most 20.
     */
    public static List<String> mismatches(GuestWorkload w, List<GuestProcess> processes) {
        final WorkloadPlan plan = w.plan();
        final List<String> out = new ArrayList<>();
        final int bytes = plan.slots() * GuestWorkload.CHUNK;
        for (int p = 0; p < plan.processes(); p++) {
            final byte[] src = new byte[bytes];
            final byte[] dst = new byte[bytes];
            final byte[] lazy = new byte[bytes];
            final byte[] results = new byte[4 * plan.slots()];
            for (int c = 0; c < w.cycles(); c++) {
                for (WorkloadPlan.Op op : plan.ops()) {
                    if (op.process() == p) {
                        apply(op, src, dst, lazy, results);
                    }
                }
            }
            final GuestWorkload.Regions r = w.regions(p);
            final GuestProcess proc = processes.get(p);
            compare(out, p, "src", src, proc.read(r.src(), bytes));
            compare(out, p, "dst", dst, proc.read(r.dst(), bytes));
            compare(out, p, "on-demand", lazy, proc.read(r.onDemand(), bytes));
            compare(out, p, "results", results, proc.read(r.results(), results.length));
        }
        return out;
    }

    private static void apply(WorkloadPlan.Op op, byte[] src, byte[] dst, byte[] lazy, byte[] results) {
        final int at = op.slot() * GuestWorkload.CHUNK;
        final byte[] data = new byte[op.size()];
        new SplittableRandom(op.dataSeed()).nextBytes(data);
        if (op.onDemand()) {
            Arrays.fill(lazy, at, at + GuestWorkload.CHUNK, (byte) 0); // discarded before the op: zero pages
        }
        switch (op.kind()) {
            case MEMMOVE -> {
                System.arraycopy(data, 0, src, at, data.length);
                System.arraycopy(data, 0, dst, at, data.length);
            }
            case MEMMOVE_ON_DEMAND -> {
                System.arraycopy(data, 0, src, at, data.length);
                System.arraycopy(data, 0, lazy, at, data.length);
            }
            case FILL -> fill(dst, at, op.size(), op.pattern());
            case FILL_ON_DEMAND -> fill(lazy, at, op.size(), op.pattern());
            case CRC -> {
                System.arraycopy(data, 0, src, at, data.length);
                putInt(results, 4 * op.slot(), crc32c(data, 0, data.length));
            }
            case BATCH -> {
                final int part = op.batchPart();
                System.arraycopy(data, 0, src, at, data.length);
                System.arraycopy(data, 0, dst, at, part);
                System.arraycopy(data, 0, dst, at + part, part);
                fill(dst, at + 2 * part, part, op.pattern());
                putInt(results, 4 * op.slot(), crc32c(data, 0, part));
            }
        }
    }

    private static void compare(List<String> out, int p, String region, byte[] expected, byte[] actual) {
        final int at = Arrays.mismatch(expected, actual);
        if (at >= 0 && out.size() < 20) {
            out.add(String.format("process %d %s: first difference at +0x%x (slot %d): expected %02x, found %02x",
                p, region, at, at / GuestWorkload.CHUNK, expected[at] & 0xFF, actual[at] & 0xFF));
        }
    }

    private static void fill(byte[] b, int at, int size, long pattern) {
        for (int i = 0; i < size; i++) {
            b[at + i] = (byte) (pattern >>> (8 * (i & 7))); // the pattern's bytes in little-endian memory order
        }
    }

    private static void putInt(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    /** CRC-32C (Castagnoli, reflected 0x82F63B78), seed 0, bit by bit. */
    static int crc32c(byte[] data, int from, int length) {
        int c = ~0;
        for (int i = from; i < from + length; i++) {
            c ^= data[i] & 0xFF;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ 0x82F63B78 : c >>> 1;
            }
        }
        return ~c;
    }
}
