package io.softdsa.mdev.vmm;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One cycle of a {@link GuestWorkload}: a deterministic list of ops over {@code processes} guest processes of
 * {@code slots} buffer slots each, generated from a seed. Everything the final guest memory depends on is here, so a
 * reference can replay it without the device.
 */
public record WorkloadPlan(long seed, int processes, int slots, List<WorkloadPlan.Op> ops) {
    /** Slots of all processes together (each process has 4 to 64). */
    public static final int TOTAL_SLOTS = 256;

    /** What an op does. */
    public enum Kind { MEMMOVE, FILL, CRC, BATCH, MEMMOVE_ON_DEMAND, FILL_ON_DEMAND }

    /**
     * One operation of a plan.
     *
     * @param slot      which of its process's slots it uses
     * @param dataSeed  seed of the source bytes the CPU writes before submitting ({@link SplittableRandom#nextBytes})
     * @param pattern   fill pattern (FILL, FILL_ON_DEMAND, BATCH)
     * @param interrupt whether it asks for a completion interrupt
     */
    public record Op(int index, int process, int slot, Kind kind, int size, long dataSeed, long pattern,
                     boolean interrupt) {
        /** The part size of a batch: four parts of it fit the slot. */
        public int batchPart() {
            return Math.max(64, (size / 4) & ~7);
        }

        /** MEMMOVE, CRC, BATCH and MEMMOVE_ON_DEMAND read a source the CPU writes first. */
        public boolean writesSource() {
            return kind == Kind.MEMMOVE || kind == Kind.CRC || kind == Kind.BATCH || kind == Kind.MEMMOVE_ON_DEMAND;
        }

        /** Into the slot's on-demand memory (discarded first, faulted in by the device). */
        public boolean onDemand() {
            return kind == Kind.MEMMOVE_ON_DEMAND || kind == Kind.FILL_ON_DEMAND;
        }
    }

    public WorkloadPlan {
        ops = List.copyOf(ops);
    }

    /** Slots per process for a plan over {@code processes} processes. */
    public static int slotsFor(int processes) {
        return Math.clamp(TOTAL_SLOTS / processes, 4, 64);
    }

    /**
     * {@code count} ops from {@code seed}, round-robin over the processes, each process's ops round-robin over its
     * slots ({@link #slotsFor}); sizes up to {@link GuestWorkload#CHUNK}, on-demand ones crossing pages.
     */
    public static WorkloadPlan generate(long seed, int count, int processes) {
        if (count < 1 || processes < 1) {
            throw new IllegalArgumentException("ops and processes must be >= 1");
        }
        final int slots = slotsFor(processes);
        final SplittableRandom r = new SplittableRandom(seed);
        final Kind[] kinds = Kind.values();
        final int[] next = new int[processes];
        final List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            final int p = i % processes;
            final Kind k = kinds[r.nextInt(kinds.length)];
            final int size = k == Kind.MEMMOVE_ON_DEMAND || k == Kind.FILL_ON_DEMAND
                ? 4096 * (1 + r.nextInt(GuestWorkload.CHUNK / 4096)) - 8 * r.nextInt(2) // some not page-sized
                : 1024 * (1 + r.nextInt(GuestWorkload.CHUNK / 1024));
            ops.add(new Op(i, p, next[p]++ % slots, k, size, r.nextLong(), r.nextLong(), r.nextInt(4) == 0));
        }
        return new WorkloadPlan(seed, processes, slots, ops);
    }
}
