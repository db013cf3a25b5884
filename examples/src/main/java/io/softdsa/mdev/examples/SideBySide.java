package io.softdsa.mdev.examples;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.userspace.UserPortal;
import io.softdsa.mdev.userspace.UserProcess;
import io.softdsa.mdev.userspace.UserspaceDmaDriver;
import io.softdsa.mdev.vdev.MdevManager;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The same memory-move workload through the three ways softdsa hands a DSA to software — the bare engine (a host
 * WQ, host-physical addresses), the userspace-DMA interface (a process's virtual addresses through its PASID's page
 * tables, PASID substituted by the portal) and a virtual device in a guest (guest-virtual addresses, nested
 * translation, the guest CPU's PASID translation on every ENQCMD) — measuring submit-to-completion latency at queue
 * depth 1 and throughput at a deeper queue. {@link #run} is the API a benchmark harness calls; {@link #main} prints
 * a table: {@code [transferBytes] [iterations] [depth]}.
 */
public final class SideBySide {
    /** One path's numbers. */
    public record Result(String path, int transferBytes, long p50Nanos, long p99Nanos, double latencyOpsPerSecond,
                         double throughputOpsPerSecond, double gigabytesPerSecond) {
        @Override
        public String toString() {
            return String.format("%-26s %8d %10d %10d %12.0f %12.0f %8.2f", path, transferBytes, p50Nanos, p99Nanos,
                latencyOpsPerSecond, throughputOpsPerSecond, gigabytesPerSecond);
        }
    }

    /** A submission path: {@code submit(slot)} puts descriptor {@code slot} into the WQ; false = retry. */
    private interface Path {
        boolean submit(int slot);

        CompletionRecord record(int slot);
    }

    /** Each path's WQ size: the deepest queue a run can ask for. */
    public static final int WQ_SIZE = 32;

    private SideBySide() {
    }

    public static void main(String[] args) {
        final int bytes = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        final int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        final int depth = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        System.out.printf("%-26s %8s %10s %10s %12s %12s %8s%n", "path", "bytes", "p50 ns", "p99 ns", "ops/s (qd1)",
            "ops/s (qd" + depth + ")", "GB/s");
        run(bytes, Math.max(1, iterations / 4), depth); // JIT warm-up of all three paths: the first would pay for it
        for (Result r : run(bytes, iterations, depth)) {
            System.out.println(r);
        }
    }

    /** Runs the workload through each path on one host device (one engine per path, a group each). */
    public static List<Result> run(int transferBytes, int iterations, int queueDepth) {
        final int depth = Math.max(1, Math.min(queueDepth, WQ_SIZE));
        final DeviceConfig config = DeviceConfig.builder("dsa0")
            .group(GroupConfig.of(0, 0)).group(GroupConfig.of(1, 1)).group(GroupConfig.of(2, 2))
            .wq(WqConfig.builder(0).shared().size(WQ_SIZE).group(0).type(HostDsa.TYPE_KERNEL).name("bare")
                .maxTransferSize(1L << 30).build())
            .wq(WqConfig.builder(1).shared().size(WQ_SIZE).group(1).type(HostDsa.TYPE_USER).name("user")
                .maxTransferSize(1L << 30).build())
            .wq(WqConfig.builder(2).shared().size(WQ_SIZE).threshold(WQ_SIZE).group(2).type(HostDsa.TYPE_MDEV)
                .maxTransferSize(1L << 30).maxBatchSize(1024).build())
            .build();
        final List<Result> results = new ArrayList<>();
        final long slotBytes = Math.max(4096, ((long) transferBytes + 4095) & -4096L);
        try (HostMemory memory = HostMemory.allocate(Math.max(512L << 20, 8 * depth * slotBytes + (256L << 20)));
             HostDsa host = HostDsa.start(memory, config, DeviceOptions.defaults());
             Arena arena = Arena.ofShared()) {
            // 1. the bare engine: host-physical buffers, the kernel WQ's portal
            try (DsaClient client = DsaClient.open(host.device(), 0)) {
                final HostBuffer src = client.allocate(slotBytes * depth);
                final HostBuffer dst = client.allocate(slotBytes * depth);
                final CompletionRecord[] records = new CompletionRecord[depth];
                final Descriptor[] ds = new Descriptor[depth];
                for (int i = 0; i < depth; i++) {
                    records[i] = client.completionRecord();
                    ds[i] = memmove(client.descriptor(), src.address() + i * slotBytes,
                        dst.address() + i * slotBytes, transferBytes, records[i].address());
                }
                results.add(measure("bare engine (host PA)", transferBytes, iterations, depth, new Path() {
                    @Override
                    public boolean submit(int slot) {
                        return client.trySubmit(ds[slot]);
                    }

                    @Override
                    public CompletionRecord record(int slot) {
                        return records[slot];
                    }
                }));
            }
            // 2. userspace DMA: a process's virtual addresses, PASID substituted by its portal
            try (UserspaceDmaDriver driver = new UserspaceDmaDriver(host);
                 UserProcess process = driver.spawn("bench")) {
                final UserPortal portal = driver.open(process, "user").portal();
                final long src = process.allocate(slotBytes * depth);
                final long dst = process.allocate(slotBytes * depth);
                final long recs = process.allocate(32L * depth);
                final CompletionRecord[] records = new CompletionRecord[depth];
                final Descriptor[] ds = new Descriptor[depth];
                for (int i = 0; i < depth; i++) {
                    records[i] = process.completionRecord(recs + 32L * i);
                    ds[i] = memmove(Descriptor.allocate(arena), src + i * slotBytes, dst + i * slotBytes,
                        transferBytes, recs + 32L * i);
                }
                results.add(measure("userspace DMA (SVA)", transferBytes, iterations, depth, new Path() {
                    @Override
                    public boolean submit(int slot) {
                        return portal.enqcmd(ds[slot]);
                    }

                    @Override
                    public CompletionRecord record(int slot) {
                        return records[slot];
                    }
                }));
            }
            // 3. a virtual device in a guest: guest-virtual addresses, nested translation
            try (MdevManager mdev = new MdevManager(host);
                 GuestDomain guest = GuestDomain.create(host, "bench-vm", (64L << 20) + 4 * depth * slotBytes, false)) {
                final VirtualDsa vdsa = mdev.create(VdevType.SHARED_WQ, guest);
                try (GuestDriver driver = new GuestDriver(vdsa, guest)) {
                    driver.bringUp(true, DeviceSetup.oneGroup(1,
                        new WqSetup(0, false, WQ_SIZE, WQ_SIZE, 10, false, true, 0, false, 30, 5, 0)));
                    final GuestProcess app = driver.newProcess("bench");
                    final long src = app.allocate(slotBytes * depth);
                    final long dst = app.allocate(slotBytes * depth);
                    final long recs = app.allocate(32L * depth);
                    final CompletionRecord[] records = new CompletionRecord[depth];
                    final Descriptor[] ds = new Descriptor[depth];
                    for (int i = 0; i < depth; i++) {
                        records[i] = app.completionRecord(recs + 32L * i);
                        ds[i] = memmove(driver.descriptor(), src + i * slotBytes, dst + i * slotBytes,
                            transferBytes, recs + 32L * i);
                    }
                    final int pasid = app.pasid();
                    results.add(measure("virtual device (nested)", transferBytes, iterations, depth, new Path() {
                        @Override
                        public boolean submit(int slot) {
                            return vdsa.portalWrite(0x1000, ds[slot].segment(), ds[slot].offset(),
                                PortalInstruction.ENQCMD, pasid) == PortalResult.ACCEPTED;
                        }

                        @Override
                        public CompletionRecord record(int slot) {
                            return records[slot];
                        }
                    }));
                }
            }
        }
        return results;
    }

    private static Descriptor memmove(Descriptor d, long src, long dst, int size, long record) {
        return d.opcode(Opcode.MEMMOVE)
            .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD)
            .completionAddress(record).source(src).destination(dst).transferSize(size);
    }

    private static Result measure(String name, int bytes, int iterations, int depth, Path path) {
        final int warmup = Math.max(100, iterations / 4);
        latency(path, warmup);
        final long[] samples = latency(path, iterations);
        final long latencyTotal = Arrays.stream(samples).sum();
        Arrays.sort(samples);
        pipelined(path, warmup, depth);
        final long start = System.nanoTime();
        pipelined(path, iterations, depth);
        final long elapsed = System.nanoTime() - start;
        final double ops = iterations * 1e9 / elapsed;
        return new Result(name, bytes, samples[samples.length / 2], samples[(int) (samples.length * 0.99)],
            iterations * 1e9 / latencyTotal, ops, ops * bytes / 1e9);
    }

    /** Queue depth 1: submit, spin on the record's status (acquire), repeat; returns each latency. */
    private static long[] latency(Path path, int n) {
        final long[] out = new long[n];
        final CompletionRecord cr = path.record(0);
        for (int i = 0; i < n; i++) {
            cr.arm();
            final long t0 = System.nanoTime();
            while (!path.submit(0)) {
                Thread.onSpinWait();
            }
            awaitDone(cr);
            out[i] = System.nanoTime() - t0;
        }
        return out;
    }

    /** Keeps {@code depth} descriptors in flight, completing in submission order. */
    private static void pipelined(Path path, int n, int depth) {
        int submitted = 0;
        int completed = 0;
        while (completed < n) {
            while (submitted < n && submitted - completed < depth) {
                final int slot = submitted % depth;
                path.record(slot).arm();
                if (!path.submit(slot)) {
                    break;
                }
                submitted++;
            }
            awaitDone(path.record(completed % depth));
            completed++;
        }
    }

    private static void awaitDone(CompletionRecord cr) {
        long spins = 0;
        while (!cr.isDone()) {
            if (++spins > 1_000_000_000L) {
                throw new IllegalStateException("descriptor never completed");
            }
            Thread.onSpinWait();
        }
        if (cr.status() != 0x01) {
            throw new IllegalStateException("descriptor failed: status 0x" + Integer.toHexString(cr.status()));
        }
    }
}
