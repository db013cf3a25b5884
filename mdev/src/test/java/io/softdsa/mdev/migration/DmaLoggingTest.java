package io.softdsa.mdev.migration;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.MdevManager;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import io.softdsa.memory.HostMemory;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DMA logging: the uAPI's refusals, coarse and fine reports, and bitmaps against the writes the descriptors name. */
@Timeout(60)
class DmaLoggingTest {
    private static final long K4 = 4096;
    private static final long M2 = 2L << 20;

    /** A tracker that remembers dirty 4 KiB pages in a set, as the stage-2 D bits would. */
    static final class SetTracker implements DirtyTracker {
        final TreeSet<Long> dirty = new TreeSet<>();
        int starts;
        int stops;

        void write(long address, long length) {
            for (long p = address & -K4; p < address + length; p += K4) {
                dirty.add(p);
            }
        }

        @Override
        public void startDirtyLogging() {
            starts++;
            dirty.clear();
        }

        @Override
        public long[] reportAndClearDirty(long iova, long length, int pageShift) {
            final long page = 1L << pageShift;
            final long[] bits = new long[(int) (((length + page - 1) >>> pageShift) + 63 >>> 6)];
            for (Long p : new ArrayList<>(dirty.subSet(iova, iova + length))) {
                final long k = (p - iova) >>> pageShift;
                bits[(int) (k >>> 6)] |= 1L << k;
                dirty.remove(p);
            }
            return bits;
        }

        @Override
        public void stopDirtyLogging() {
            stops++;
        }
    }

    private static int errno(ThrowingRunnable r) {
        try {
            r.run();
        } catch (DmaLoggingException e) {
            return e.errno();
        } catch (Exception e) {
            throw new AssertionError("refused with " + e, e);
        }
        throw new AssertionError("not refused");
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static List<DmaLogging.Range> ranges(long... pairs) {
        final List<DmaLogging.Range> l = new ArrayList<>();
        for (int i = 0; i < pairs.length; i += 2) {
            l.add(new DmaLogging.Range(pairs[i], pairs[i + 1]));
        }
        return l;
    }

    @Test
    void startIsRefusedAsTheUapiSays() throws Exception {
        final DmaLogging log = new DmaLogging(new SetTracker(), 4);
        assertEquals(DmaLoggingException.EINVAL, errno(() -> log.start(K4, List.of())));
        assertEquals(DmaLoggingException.EINVAL, errno(() -> log.start(3000, ranges(0, K4))));
        assertEquals(DmaLoggingException.EINVAL, errno(() -> log.start(K4, ranges(100, K4))), "misaligned iova");
        assertEquals(DmaLoggingException.EINVAL, errno(() -> log.start(K4, ranges(0, 100))), "misaligned length");
        assertEquals(DmaLoggingException.EINVAL, errno(() -> log.start(K4, ranges(0, 0))), "empty");
        assertEquals(DmaLoggingException.EINVAL, errno(() -> log.start(K4, ranges(0, 3 * K4, 2 * K4, K4))),
            "overlap");
        assertEquals(DmaLoggingException.E2BIG, errno(() -> log.start(K4, ranges(0, K4, 2 * K4, K4, 4 * K4, K4,
            6 * K4, K4, 8 * K4, K4))), "five ranges on a device that tracks four");
        assertEquals(DmaLoggingException.EOVERFLOW, errno(() -> log.start(K4, ranges(1L << 48, K4))));
        assertEquals(DmaLoggingException.EOVERFLOW, errno(() -> log.start(K4, ranges(-K4, K4))));
        assertEquals(DmaLoggingException.EINVAL, errno(() -> log.report(0, K4, K4)), "not started");
        assertEquals(K4, log.start(K4, ranges(0, 16 * K4, 32 * K4, 16 * K4)));
        assertEquals(DmaLoggingException.EBUSY, errno(() -> log.start(K4, ranges(0, K4))), "one session at a time");
        assertEquals(DmaLoggingException.EINVAL, errno(() -> log.report(0, 20 * K4, K4)), "outside the ranges");
        assertEquals(DmaLoggingException.EINVAL, errno(() -> log.report(K4, K4, 2 * K4)), "misaligned report");
        assertEquals(DmaLoggingException.EINVAL, errno(() -> log.report(0, K4, 1024)), "report page below 4 KiB");
        log.stop();
        log.stop();
        assertEquals(K4, log.start(K4, ranges(0, K4)), "a new session after stop");
    }

    @Test
    void theGranularityGrowsUntilTheRangesFitTheBound() throws Exception {
        final DmaLogging log = new DmaLogging(new SetTracker());
        // 1 TiB at 4 KiB would be 2^28 granules; the bound is 2^24, so 64 KiB granules
        assertEquals(64 * 1024, log.start(K4, ranges(0, 1L << 40)));
    }

    @Test
    void coarseAndFineReports() throws Exception {
        final SetTracker t = new SetTracker();
        final DmaLogging log = new DmaLogging(t);
        assertEquals(M2, log.start(M2, ranges(0, 8 * M2)));
        t.write(M2 + 5 * K4, 10);
        t.write(5 * M2 - 1, 2); // two granules: 4 and 5
        // finer than the granularity: every 4 KiB bit of the dirty granules [2M, 4M) in a report of [0, 4M)
        final long[] fine = log.report(0, 2 * M2, K4);
        assertEquals(16, fine.length);
        for (int k = 0; k < 1024; k++) {
            assertEquals(k >= 512, (fine[k >>> 6] >>> k & 1) != 0, "bit " + k);
        }
        assertEquals(0, Long.bitCount(log.report(0, 2 * M2, K4)[8]), "reported and cleared");
        // coarser than the granularity: one bit per 8 MiB... here 4 MiB pages over [0, 16M): granules 4 and 5 in page 2
        final long[] coarse = log.report(0, 8 * M2, 2 * M2);
        assertArrayEquals(new long[] {0b0100}, coarse);
        assertArrayEquals(new long[] {0}, log.report(0, 8 * M2, 2 * M2));
    }

    @Test
    void aPartlyReportedGranuleKeepsItsDirtInformation() throws Exception {
        final SetTracker t = new SetTracker();
        final DmaLogging log = new DmaLogging(t);
        // a range of 2^24 - 1 granules of 64 KiB and a 4 KiB range that shares the last granule with it
        final long e = (1L << 40) - 65536;
        assertEquals(64 * 1024, log.start(K4, ranges(0, e, e + K4, K4)));
        t.write(3 * K4, 1);
        t.write(e + K4, 1);
        // report one 4 KiB page of the first granule: the granule is dirty, so the page is reported (over-approximation)
        assertArrayEquals(new long[] {1}, log.report(0, K4, K4));
        // the rest of that granule is still dirty for a later report
        assertArrayEquals(new long[] {0xFFFF}, log.report(0, 16 * K4, K4));
        assertArrayEquals(new long[] {0}, log.report(0, 16 * K4, K4), "now cleared");
        // the second range's page: reported from its own range, though the harvest of the shared granule was shared
        assertArrayEquals(new long[] {1}, log.report(e + K4, K4, K4));
    }

    // ---- on the device: what the descriptors write, computed from the descriptors ----

    private static DeviceConfig hostConfig() {
        return DeviceConfig.builder("dsa0")
            .group(GroupConfig.of(0, 0)).group(GroupConfig.of(1, 1))
            .wq(WqConfig.builder(0).shared().size(16).group(0).type(HostDsa.TYPE_USER).name("app")
                .maxTransferSize(1L << 30).build())
            .wq(WqConfig.builder(1).dedicated().size(16).group(1).type(HostDsa.TYPE_MDEV)
                .maxTransferSize(1L << 30).maxBatchSize(1024).build())
            .build();
    }

    /** One descriptor the test submits and the guest-physical ranges the fact sheet says it writes. */
    private record Work(java.util.function.UnaryOperator<Descriptor> build, long[] writes) {
    }

    private static final int CR = DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD;

    @Test
    void theBitmapIsExactlyThePagesTheDescriptorsWrote() throws Exception {
        try (HostMemory memory = HostMemory.allocate(256L << 20)) {
            final HostDsa host = HostDsa.start(memory, hostConfig());
            final MdevManager mdev = new MdevManager(host);
            final GuestDomain g = GuestDomain.create(host, "vm", 32L << 20, true); // lazy: 4 KiB stage-2 pages
            final VirtualDsa dev = mdev.create(VdevType.DEDICATED_WQ, g);
            final GuestDriver driver = new GuestDriver(dev, g);
            try {
                driver.bringUp(false, DeviceSetup.oneGroup(1, WqSetup.dedicatedKernel(0, 16, 0)));
                final long src = driver.allocateDma(64 * K4);
                final long records = driver.allocateDma(K4);
                final DmaLogging log = new DmaLogging(DirtyTracker.of(g.memory().stage2()));
                assertEquals(K4, log.start(K4, ranges(0, 32L << 20)));
                final long base = 16L << 20;
                final List<Work> work = new ArrayList<>();
                final Descriptor proto = driver.descriptor();
                // memmove across three pages, unaligned
                work.add(new Work(d -> d.clear().opcode(Opcode.MEMMOVE).flags(CR).source(src + 10)
                    .destination(base + 4000).transferSize(2 * K4 + 500).completionAddress(records + 32L * 0),
                    new long[] {base + 4000, 2 * K4 + 500}));
                work.add(new Work(d -> d.clear().opcode(Opcode.FILL).flags(CR).fillPattern(0x1122334455667788L)
                    .destination(base + 40 * K4).transferSize(7).completionAddress(records + 32L * 1),
                    new long[] {base + 40 * K4, 7}));
                // dualcast: both destinations share bits 11:0
                work.add(new Work(d -> d.clear().opcode(Opcode.DUALCAST).flags(CR).source(src)
                    .destination(base + 60 * K4 + 96).destination2(base + 90 * K4 + 96).transferSize(K4)
                    .completionAddress(records + 32L * 2),
                    new long[] {base + 60 * K4 + 96, K4, base + 90 * K4 + 96, K4}));
                work.add(new Work(d -> d.clear().opcode(Opcode.NOOP).flags(CR)
                    .completionAddress(records + 32L * 3), new long[0]));
                final TreeSet<Long> expected = new TreeSet<>();
                int i = 0;
                for (Work w : work) {
                    final long record = records + 32L * i++;
                    final CompletionRecord cr = driver.completionRecord(record).arm();
                    driver.submitKernel(0, w.build.apply(proto), true);
                    assertEquals(0x01, cr.await(new BackoffIdleStrategy(), 20_000_000_000L));
                    for (int k = 0; k < w.writes.length; k += 2) {
                        mark(expected, w.writes[k], w.writes[k + 1]);
                    }
                    mark(expected, record, 32);
                }
                final long[] bitmap = log.report(0, 32L << 20, K4);
                assertEquals(expected, pages(bitmap, 0, K4));
                assertEquals(new TreeSet<Long>(), pages(log.report(0, 32L << 20, K4), 0, K4), "cleared");
                // at 2 MiB: every dirty 4 KiB page's 2 MiB page
                final CompletionRecord cr = driver.completionRecord(records).arm();
                driver.submitKernel(0, proto.clear().opcode(Opcode.MEMMOVE).flags(CR).source(src)
                    .destination(base + 3 * M2 + 5).transferSize(100).completionAddress(records), true);
                assertEquals(0x01, cr.await(new BackoffIdleStrategy(), 20_000_000_000L));
                final TreeSet<Long> coarse = new TreeSet<>();
                coarse.add((base + 3 * M2) & -M2);
                coarse.add(records & -M2);
                assertEquals(coarse, pages(log.report(0, 32L << 20, M2), 0, M2));
                log.stop();
            } finally {
                driver.close();
                dev.close();
                g.close();
                mdev.close();
                host.close();
            }
        }
    }

    private static void mark(TreeSet<Long> pages, long address, long length) {
        for (long p = address & -K4; p < address + length; p += K4) {
            pages.add(p);
        }
    }

    private static TreeSet<Long> pages(long[] bitmap, long base, long page) {
        final TreeSet<Long> s = new TreeSet<>();
        for (int k = 0; k < bitmap.length * 64; k++) {
            if ((bitmap[k >>> 6] >>> k & 1) != 0) {
                s.add(base + k * page);
            }
        }
        return s;
    }
}
