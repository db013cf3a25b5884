package io.softdsa.mdev.vmm;

import io.softdsa.mdev.guest.GuestProcess;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The tests' own reference run of a {@link GuestWorkload}: what each process's regions hold after its plan ran
 * {@link GuestWorkload#cycles()} times, op after op on its slot, without any device or migration — the CPU's source
 * bytes, an on-demand slot zeroed before each op into it (the guest discards its pages), memmoves as byte loops,
 * fills as pattern loops, CRC-32C by the fact sheet's MSB-first algorithm (section 8, both bypass bits clear, seed
 * 0) — and a byte-by-byte comparison with the guest's memory.
 */
final class WorkloadReference {
    private WorkloadReference() {
    }

    /** Differences (region, offset, expected, actual), one per page, at most 10 per region; empty when all equal. */
    static List<String> compare(GuestWorkload w, List<GuestProcess> processes) {
        final List<String> out = new ArrayList<>();
        final WorkloadPlan plan = w.plan();
        final int chunk = GuestWorkload.CHUNK;
        for (int p = 0; p < plan.processes(); p++) {
            final byte[] src = new byte[plan.slots() * chunk];
            final byte[] dst = new byte[plan.slots() * chunk];
            final byte[] onDemand = new byte[plan.slots() * chunk];
            final byte[] results = new byte[4 * plan.slots()];
            for (int cycle = 0; cycle < w.cycles(); cycle++) {
                for (WorkloadPlan.Op op : plan.ops()) {
                    if (op.process() == p) {
                        run(op, src, dst, onDemand, results);
                    }
                }
            }
            final GuestWorkload.Regions r = w.regions(p);
            final GuestProcess proc = processes.get(p);
            diff(out, "process " + p + " src", src, proc.read(r.src(), src.length));
            diff(out, "process " + p + " dst", dst, proc.read(r.dst(), dst.length));
            diff(out, "process " + p + " on-demand", onDemand, proc.read(r.onDemand(), onDemand.length));
            diff(out, "process " + p + " results", results, proc.read(r.results(), results.length));
        }
        return out;
    }

    private static void run(WorkloadPlan.Op op, byte[] src, byte[] dst, byte[] onDemand, byte[] results) {
        final int chunk = GuestWorkload.CHUNK;
        final int base = op.slot() * chunk;
        final byte[] bytes = new byte[op.size()];
        new SplittableRandom(op.dataSeed()).nextBytes(bytes);
        switch (op.kind()) {
            case MEMMOVE -> {
                for (int i = 0; i < op.size(); i++) {
                    src[base + i] = bytes[i];
                }
                for (int i = 0; i < op.size(); i++) {
                    dst[base + i] = src[base + i];
                }
            }
            case MEMMOVE_ON_DEMAND -> {
                for (int i = 0; i < op.size(); i++) {
                    src[base + i] = bytes[i];
                }
                for (int i = 0; i < chunk; i++) {
                    onDemand[base + i] = 0;
                }
                for (int i = 0; i < op.size(); i++) {
                    onDemand[base + i] = src[base + i];
                }
            }
            case FILL -> pattern(dst, base, op.size(), op.pattern());
            case FILL_ON_DEMAND -> {
                for (int i = 0; i < chunk; i++) {
                    onDemand[base + i] = 0;
                }
                pattern(onDemand, base, op.size(), op.pattern());
            }
            case CRC -> {
                for (int i = 0; i < op.size(); i++) {
                    src[base + i] = bytes[i];
                }
                le32(results, 4 * op.slot(), crc(src, base, op.size()));
            }
            case BATCH -> {
                final int part = op.batchPart();
                for (int i = 0; i < op.size(); i++) {
                    src[base + i] = bytes[i];
                }
                for (int i = 0; i < part; i++) { // inner 0: memmove src -> part 0
                    dst[base + i] = src[base + i];
                }
                for (int i = 0; i < part; i++) { // inner 1 (fence): memmove part 0 -> part 1
                    dst[base + part + i] = dst[base + i];
                }
                pattern(dst, base + 2 * part, part, op.pattern()); // inner 2: fill part 2
                le32(results, 4 * op.slot(), crc(dst, base + part, part)); // inner 3 (fence): CRC of part 1
            }
        }
    }

    private static void pattern(byte[] b, int at, int size, long pattern) {
        for (int i = 0; i < size; i++) {
            b[at + i] = (byte) (pattern >> ((i % 8) * 8));
        }
    }

    private static void le32(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
        b[at + 2] = (byte) (v >> 16);
        b[at + 3] = (byte) (v >> 24);
    }

    /** Section 8 verbatim: c = bitreverse32(~seed); per byte c ^= bitreverse8(b) << 24, 8 shifts; ~bitreverse32(c). */
    static int crc(byte[] b, int from, int length) {
        int c = Integer.reverse(~0);
        for (int i = from; i < from + length; i++) {
            c ^= (Integer.reverse(b[i] & 0xFF) >>> 24) << 24;
            for (int k = 0; k < 8; k++) {
                c = (c & 0x8000_0000) != 0 ? (c << 1) ^ 0x1EDC6F41 : c << 1;
            }
        }
        return ~Integer.reverse(c);
    }

    private static void diff(List<String> out, String region, byte[] expected, byte[] actual) {
        int reported = 0;
        for (int i = 0; i < expected.length && reported < 10; i++) {
            if (expected[i] != actual[i]) {
                out.add(String.format("%s +0x%x (slot %d): expected %02x, found %02x", region, i,
                    i / GuestWorkload.CHUNK, expected[i] & 0xFF, actual[i] & 0xFF));
                reported++;
                i = (i / 4096 + 1) * 4096 - 1; // one report per page
            }
        }
    }
}
