package io.softdsa.bench;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.memory.HostMemory;
import io.softdsa.portal.Portal;

import java.lang.foreign.Arena;

/**
 * The cost of shared virtual addressing: the same pipelined memmove (16 descriptors in flight, one busy-spinning
 * engine) through a WQ with PASID disabled (host-physical addresses) and one with PASID enabled (every address walked
 * or found in the IOTLB), measured in interleaved pairs in one JVM (median pair, min-max of the pairs' ratios).
 * After warm-up every translation is an IOTLB hit, so the difference is the IOTLB-hit overhead. With one buffer pair
 * per descriptor slot the engine finds every run in its own translated-run cache (the device's ATC) as well; the
 * {@value #ROTATED}-buffer row walks 4 KiB memmoves through {@value #ROTATED} source and destination pages (4 MiB of
 * buffers, within that cache), the {@value #BEYOND}-buffer row through {@value #BEYOND} pairs, twice what it holds, so
 * each operand there is an ATC miss answered by the IOTLB: the cost a descriptor pays when software rotates through
 * more buffers than the engine keeps translated.
 *
 * <pre>java ... -cp benchmarks.jar io.softdsa.bench.SvaOverhead [seconds-per-case]</pre>
 */
public final class SvaOverhead {
    private static final int DEPTH = 16;
    private static final int PASID = 42;
    /** Pages the rotated row's operands walk through: 512 pairs, within the engine's translated-run cache. */
    static final int ROTATED = 512;
    /** Pages the last 4 KiB row's operands walk through: 4096 pairs, twice the cache's 2048 runs. */
    static final int BEYOND = 4096;

    private SvaOverhead() {
    }

    public static void main(String[] args) {
        final double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        System.out.printf("softdsa SVA overhead — %s, %d CPUs, %s%n", java.time.LocalDate.now(),
            Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
        System.out.printf("%-10s %8s %8s %14s %14s %22s %12s%n", "operation", "size", "buffers", "PASID off",
            "PASID on", "ratio (min-max)", "ns/desc +");
        final int pairs = 5;
        for (long[] row : new long[][] {{4096, DEPTH}, {4096, ROTATED}, {4096, BEYOND}, {1 << 20, DEPTH}}) {
            final long size = row[0];
            final int buffers = (int) row[1];
            // interleaved pairs (off, on, off, on, ...): drift of the machine cancels in each pair's ratio; the
            // median pair is reported with the pairs' min-max
            final double[] off = new double[pairs];
            final double[] on = new double[pairs];
            final double[] ratio = new double[pairs];
            for (int pair = 0; pair < pairs; pair++) {
                off[pair] = measure(false, size, buffers, seconds / pairs);
                on[pair] = measure(true, size, buffers, seconds / pairs);
                ratio[pair] = on[pair] / off[pair];
            }
            final int m = Median.index(ratio);
            final double extraNs = 1e9 / on[m] - 1e9 / off[m];
            System.out.printf("%-10s %8s %8d %11.2f GB/s %11.2f GB/s %7.3fx (%.3f-%.3f) %12.1f%n", "memmove",
                size >= 1 << 20 ? (size >> 20) + " MiB" : (size >> 10) + " KiB", buffers, off[m] * size / 1e9,
                on[m] * size / 1e9, ratio[m], java.util.Arrays.stream(ratio).min().orElse(0),
                java.util.Arrays.stream(ratio).max().orElse(0), extraNs);
        }
    }

    /**
     * Descriptors per second; with more {@code buffers} than descriptors in flight, each submission moves its slot's
     * descriptor on to the next source and destination of the rotation.
     */
    static double measure(boolean pasid, long size, int buffers, double seconds) {
        // 64 MiB, or room for the rotated operands (both sides use the same frames) and their page tables
        final long hostBytes = Math.max(64L << 20, 3 * size * buffers);
        try (HostMemory memory = HostMemory.allocate(hostBytes); Arena arena = Arena.ofConfined()) {
            final ScalableModeIommu iommu = new ScalableModeIommu(memory);
            final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
                .wq(WqConfig.builder(0).shared().size(64).group(0).pasidEnabled(pasid)
                    .maxTransferSize(1L << 30).build())
                .build();
            try (Device dsa = Device.create(memory, cfg, DeviceOptions.defaults().sva(iommu).busySpin())) {
                dsa.enableAll();
                final Portal portal = dsa.wq(0).portal();
                // both sides DMA over the same host frames (the off side by their host-physical addresses), so where
                // the buffers sit (their alignment to each other, their cache sets) is no part of the ratio
                final AddressSpace as = iommu.bind(PASID);
                final long[] sources = new long[buffers];
                final long[] destinations = new long[buffers];
                for (int b = 0; b < buffers; b++) {
                    sources[b] = operand(as, pasid, size);
                    destinations[b] = operand(as, pasid, size);
                }
                final Descriptor[] ds = new Descriptor[DEPTH];
                final CompletionRecord[] crs = new CompletionRecord[DEPTH];
                for (int i = 0; i < DEPTH; i++) {
                    final long record = operand(as, pasid, 4096);
                    final long recordHost = pasid ? as.hostAddress(record) : record;
                    crs[i] = new CompletionRecord(memory.segment(), recordHost);
                    ds[i] = Descriptor.allocate(arena).opcode(Opcode.MEMMOVE).pasid(PASID).source(sources[i])
                        .destination(destinations[i]).transferSize(size).completionAddress(record).flags(0x0C);
                }
                run(portal, ds, crs, sources, destinations, (long) (0.3e9)); // warm-up
                return run(portal, ds, crs, sources, destinations, (long) (seconds * 1e9));
            }
        }
    }

    /** A fresh buffer of {@code bytes}, one host-contiguous run: its virtual address under PASID, else its host one. */
    private static long operand(AddressSpace as, boolean pasid, long bytes) {
        final long va = as.allocate(bytes, AddressSpace.RW_USER, AddressSpace.PageSize.SIZE_4K, true);
        return pasid ? va : as.hostAddress(va);
    }

    private static double run(Portal portal, Descriptor[] ds, CompletionRecord[] crs, long[] sources,
        long[] destinations, long nanos) {
        final int buffers = sources.length;
        int next = DEPTH % buffers;
        for (int i = 0; i < DEPTH; i++) {
            crs[i].arm();
            while (!portal.enqcmd(ds[i])) {
                Thread.onSpinWait();
            }
        }
        long done = 0;
        final long start = System.nanoTime();
        final long end = start + nanos;
        int i = 0;
        while (true) {
            while (crs[i].rawStatus() == 0) {
                Thread.onSpinWait();
            }
            if (crs[i].status() != 1) {
                throw new IllegalStateException("memmove failed: " + crs[i]);
            }
            done++;
            if ((done & 63) == 0 && System.nanoTime() > end) {
                break;
            }
            if (buffers > DEPTH) {
                ds[i].source(sources[next]).destination(destinations[next]);
                next = next + 1 == buffers ? 0 : next + 1;
            }
            crs[i].arm();
            while (!portal.enqcmd(ds[i])) {
                Thread.onSpinWait();
            }
            i = (i + 1) % DEPTH;
        }
        final double rate = done / ((System.nanoTime() - start) / 1e9);
        for (CompletionRecord cr : crs) { // let the in-flight rest finish before the device closes
            while (cr.rawStatus() == 0) {
                Thread.onSpinWait();
            }
        }
        return rate;
    }
}
