package io.softdsa.ops;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.engine.DescriptorExecutor;
import io.softdsa.engine.Engine;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.AddressSpace.PageSize;
import io.softdsa.iommu.GuestPhysicalMemory;
import io.softdsa.iommu.PageRequest;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.iommu.SecondLevelTables;
import io.softdsa.iommu.Translation;
import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A hostile tenant against the engine's translated-run cache ({@link TranslatedRuns}, the device's ATC behind the
 * four {@link Dma} windows): every attack first warms the cache with real descriptors, pushes the runs out of the
 * windows (so only the cache can serve them) and proves the next descriptor is served without any IOMMU probe; then
 * the host or the tenant changes the translation and the attack descriptor runs.
 * <p>
 * Every expectation is computed here, independently of the code under test: status bytes, fault addresses and bytes
 * completed are fact-sheet literals read straight out of the completion record bytes; victim frames are filled with
 * a known pattern and compared byte by byte; accessed/dirty bits come from this test's own walk of the raw page-table
 * entries in host memory (stage 1 bit 6, stage 2 bit 9).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TranslatedRunsAttackTest {
    private static final int PAGE = 4096;
    private static final byte POISON = (byte) 0xA5;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // fact sheet literals: status codes (section 5), status byte bit 7 (section 4), opcodes (2), flags (3)
    private static final int SUCCESS = 0x01;
    private static final int PAGE_FAULT = 0x03;
    private static final int BATCH_FAIL = 0x05;
    private static final int TRANSLATION_ERROR = 0x22;
    private static final int WRITE_FAULT = 0x80;
    private static final int OP_BATCH = 0x01;
    private static final int OP_MEMMOVE = 0x03;
    private static final int OP_FILL = 0x04;
    private static final int CRAV_RCR = 0x04 | 0x08;
    private static final int BOF = 0x02;
    // page-table bits (section 13; stage 2 per VT-d: bit 0 R, 1 W, 7 PS, 9 D)
    private static final long PRESENT = 1;
    private static final long PS = 1L << 7;
    private static final long DIRTY = 1L << 6;
    private static final long SL_DIRTY = 1L << 9;
    private static final long ADDRESS = 0x000F_FFFF_FFFF_F000L;

    // one tenant's layout (every tenant uses the same virtual addresses)
    private static final long SRC = 0x4000_0000L;
    private static final long DST = 0x4001_0000L;
    private static final long REC = 0x4002_0000L;
    private static final long PUSH = 0x7000_0000L;
    private static final int PUSH_PAGES = 6;

    // ------------------------------------------------------------------------------------------------------------
    // the rig: one engine, one shared PASID-enabled WQ that allows Priv (user submissions come through ENQCMD, which
    // forces Priv 0; privileged ones through ENQCMDS, which keeps the descriptor's own bytes 0-3)
    // ------------------------------------------------------------------------------------------------------------

    /** A completion record as the device wrote it (bytes 0, 1, 4-7, 8-15). */
    private record Rec(int status, int result, long bytesCompleted, long faultAddress) {
        @Override
        public String toString() {
            return "status 0x" + Integer.toHexString(status) + " result " + result + " completed " + bytesCompleted
                + " fault 0x" + Long.toHexString(faultAddress);
        }
    }

    private static final class Rig implements AutoCloseable {
        final HostMemory memory;
        final ScalableModeIommu iommu;
        final Device device;
        final DeviceConfig cfg;
        final Arena arena = Arena.ofConfined();
        final MemorySegment m;

        Rig(long bytes) {
            memory = HostMemory.allocate(bytes);
            m = memory.segment();
            iommu = new ScalableModeIommu(memory);
            cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
                .wq(WqConfig.builder(0).shared().size(32).group(0).pasidEnabled(true).priv(true).blockOnFault(true)
                    .maxTransferSize(1L << 21).maxBatchSize(32).build())
                .build();
            device = Device.create(memory, cfg, DeviceOptions.defaults().sva(iommu).threading(Threading.INVOKER));
            device.enableAll();
        }

        Rig() {
            this(64L << 20);
        }

        long frame(byte fill) {
            final long f = memory.frames().allocateFrame();
            m.asSlice(f, PAGE).fill(fill);
            return f;
        }

        void fillHost(long host, long length, byte b) {
            m.asSlice(host, length).fill(b);
        }

        void assertHost(long host, long length, byte expected, String what) {
            final byte[] want = new byte[Math.toIntExact(length)];
            java.util.Arrays.fill(want, expected);
            assertHost(host, want, what);
        }

        void assertHost(long host, byte[] expected, String what) {
            final long i = MemorySegment.mismatch(m, host, host + expected.length, MemorySegment.ofArray(expected), 0,
                expected.length);
            if (i >= 0) {
                final byte got = m.get(ValueLayout.JAVA_BYTE, host + i);
                throw new AssertionError(what + ": byte " + i + " at host 0x" + Long.toHexString(host) + " is 0x"
                    + Integer.toHexString(got & 0xFF) + ", expected 0x" + Integer.toHexString(expected[(int) i] & 0xFF));
            }
        }

        Descriptor desc() {
            return Descriptor.allocate(arena);
        }

        /** Submits {@code d} for {@code pasid} (Priv as given) with its record at {@code recVa}/{@code recHost}. */
        Rec run(Descriptor d, int pasid, boolean priv, long recVa, long recHost) {
            d.completionAddress(recVa).flags(d.flags() | CRAV_RCR);
            m.asSlice(recHost, 32).fill((byte) 0);
            final boolean accepted;
            if (priv) {
                d.pasid(pasid).priv(true);
                accepted = device.wq(0).portal().enqcmd(d.segment(), d.offset()); // ENQCMDS: its own bytes 0-3
            } else {
                accepted = device.wq(0).portal().enqcmd(d.segment(), d.offset(), pasid); // ENQCMD: Priv 0
            }
            assertTrue(accepted, "WQ accepted the descriptor");
            while (device.invokeEngines() > 0) {
                // drive the engine on this thread
            }
            return read(recHost);
        }

        Rec read(long recHost) {
            return new Rec(m.get(ValueLayout.JAVA_BYTE, recHost) & 0xFF, m.get(ValueLayout.JAVA_BYTE, recHost + 1) & 0xFF,
                m.get(U32, recHost + 4) & 0xFFFF_FFFFL, m.get(U64, recHost + 8));
        }

        /** The engine's own translation statistics (IOTLB hits + walks: every probe of the IOMMU). */
        long probes() {
            final Translation t = engineDma().translation();
            return t.iotlbHits + t.walks;
        }

        Dma engineDma() {
            try {
                final Engine e = device.engines().get(0);
                final Field f = Engine.class.getDeclaredField("executor");
                f.setAccessible(true);
                return ((DescriptorExecutor) f.get(e)).context().dma;
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public void close() {
            final long errors = device.internalErrors();
            device.close();
            arena.close();
            memory.close();
            assertEquals(0, errors, "internal engine errors");
        }
    }

    /** Who submits: a PASID and a Priv for its descriptors, its record page and its push pages (host addresses). */
    private abstract static class Submitter {
        final Rig r;
        final int pasid;
        final boolean priv;
        final long recHost;
        final long[] pushHost = new long[PUSH_PAGES];

        Submitter(Rig r, int pasid, boolean priv, long recHost) {
            this.r = r;
            this.pasid = pasid;
            this.priv = priv;
            this.recHost = recHost;
        }

        Rec run(Descriptor d) {
            return r.run(d, pasid, priv, REC, recHost);
        }

        Rec fill(long va, long size, int b) {
            return run(r.desc().opcode(OP_FILL).destination(va).transferSize(size)
                .fillPattern(0x0101_0101_0101_0101L * (b & 0xFF)));
        }

        Rec move(long src, long dst, long size) {
            return run(r.desc().opcode(OP_MEMMOVE).source(src).destination(dst).transferSize(size));
        }

        /** Copies SRC to DST twice, pushes the windows out, then proves the next copy is served by the cache alone. */
        void warmMove(long bytes, String what) {
            for (int i = 0; i < 2; i++) {
                assertEquals(SUCCESS, move(SRC, DST, bytes).status());
            }
            pushWindows();
            assertServedFromCache(() -> move(SRC, DST, bytes), what);
        }

        /** Descriptors on fresh pages of this tenant: every window the engine holds now holds one of them. */
        void pushWindows() {
            for (int i = 0; i < PUSH_PAGES / 2; i++) {
                final Rec rec = r.run(r.desc().opcode(OP_FILL).destination(PUSH + 2L * i * 0x1_0000L).transferSize(64)
                    .fillPattern(0x0909_0909_0909_0909L), pasid, priv, PUSH + (2L * i + 1) * 0x1_0000L,
                    pushHost[2 * i + 1]);
                assertEquals(SUCCESS, rec.status(), "push descriptor " + rec);
            }
        }

        /** Runs the warm-up {@code op} and asserts the engine served it from its cached runs, without an IOMMU probe. */
        void assertServedFromCache(java.util.function.Supplier<Rec> op, String what) {
            final long before = r.probes();
            final Rec rec = op.get();
            assertEquals(SUCCESS, rec.status(), what + ": " + rec);
            assertEquals(before, r.probes(), what + ": served by the engine's cached runs, no IOMMU probe");
        }
    }

    /** A tenant: a PASID, an address space, a Priv for its descriptors, a record page and push pages. */
    private static final class Tenant extends Submitter {
        final AddressSpace as;

        Tenant(Rig r, int pasid, AddressSpace as) {
            super(r, pasid, false, r.frame((byte) 0));
            this.as = as;
            as.map(REC, recHost, PAGE, AddressSpace.RW_USER);
            for (int i = 0; i < PUSH_PAGES; i++) {
                pushHost[i] = r.frame((byte) 0);
                as.map(PUSH + i * 0x1_0000L, pushHost[i], PAGE, AddressSpace.RW_USER);
            }
        }

        Tenant(Rig r, int pasid) {
            this(r, pasid, r.iommu.bind(pasid));
        }

        /** Another submitter in {@code other}'s address space and PASID (its record and push pages too). */
        Tenant(Tenant other, boolean priv) {
            super(other.r, other.pasid, priv, other.recHost);
            this.as = other.as;
            System.arraycopy(other.pushHost, 0, pushHost, 0, PUSH_PAGES);
        }

        /** Maps {@code pages} fresh frames at {@code va}, each filled with {@code b}; returns their host addresses. */
        long[] mapFrames(long va, int pages, byte b, int prot) {
            final long[] hosts = new long[pages];
            for (int i = 0; i < pages; i++) {
                hosts[i] = r.frame(b);
                as.map(va + (long) i * PAGE, hosts[i], PAGE, prot);
            }
            return hosts;
        }

        /** Maps {@code pages} physically contiguous pages at {@code va} filled with {@code b}; returns the run start. */
        long mapContiguous(long va, int pages, byte b) {
            final long run = r.memory.frames().allocateContiguous((long) pages * PAGE, PAGE);
            r.fillHost(run, (long) pages * PAGE, b);
            as.map(va, run, (long) pages * PAGE, AddressSpace.RW_USER);
            return run;
        }
    }

    private static void assertFault(Rec rec, int statusByte, long faultAddress, long completed, String what) {
        assertEquals(statusByte, rec.status(), what + ": status byte (" + rec + ")");
        assertEquals(faultAddress, rec.faultAddress(), what + ": fault address (" + rec + ")");
        assertEquals(completed, rec.bytesCompleted(), what + ": bytes completed (" + rec + ")");
    }

    private static byte[] filled(int n, int b) {
        final byte[] out = new byte[n];
        java.util.Arrays.fill(out, (byte) b);
        return out;
    }

    // ---- an independent walk of the raw entries (this test's own, over host memory) ----

    /** The leaf entry of {@code va} in 4-level first-level tables at {@code root}; table addresses through toHost. */
    private static long leaf(MemorySegment m, long root, long va, LongUnaryOperator toHost) {
        long table = root;
        for (int level = 4; level >= 1; level--) {
            final long index = (va >>> (12 + 9 * (level - 1))) & 511;
            final long e = m.get(U64, toHost.applyAsLong(table + index * 8));
            if ((e & PRESENT) == 0) {
                return 0;
            }
            if (level == 1 || (e & PS) != 0) {
                return e;
            }
            table = e & ADDRESS;
        }
        return 0;
    }

    /** A stage-2 walk: the host address behind {@code gpa} in the second-level tables at host {@code root}. */
    private static long s2Host(MemorySegment m, long root, long gpa) {
        final long e = leaf(m, root, gpa, LongUnaryOperator.identity());
        if ((e & PRESENT) == 0) {
            return -1;
        }
        final long pageMask = (e & PS) != 0 ? (1L << 21) - 1 : PAGE - 1; // the guest RAM here is 4 KiB or 2 MiB
        return (e & ADDRESS & ~pageMask) + (gpa & pageMask);
    }

    /** Index of the direct-mapped entry a run starting at {@code va} takes: the XOR fold of its page's bytes. */
    private static int fold(long va) {
        final long p = va >>> 12;
        return (int) ((p ^ (p >>> 8) ^ (p >>> 16) ^ (p >>> 24)) & 0xFF);
    }

    // ============================================================================================================
    // 1. unmap, then reuse of the same VA
    // ============================================================================================================

    @Test
    void anUnmappedDestinationFaultsAndItsOldFrameIsNeverWrittenThenTheReusedVaReachesOnlyTheNewFrame() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long srcHost = a.mapFrames(SRC, 1, (byte) 0x11, AddressSpace.RW_USER)[0];
            final long oldDst = a.mapFrames(DST, 1, (byte) 0, AddressSpace.RW_USER)[0];
            a.warmMove(256, "warm copy");
            a.as.unmap(DST, PAGE); // the frame goes back to the host ...
            r.fillHost(oldDst, PAGE, POISON); // ... and to another tenant, who fills it
            assertFault(a.move(SRC, DST, 256), WRITE_FAULT | PAGE_FAULT, DST, 0, "copy into the unmapped page");
            assertFault(a.fill(DST + 64, 64, 0x33), WRITE_FAULT | PAGE_FAULT, DST + 64, 0, "fill of it");
            r.assertHost(oldDst, PAGE, POISON, "the frame given up");
            final long newDst = r.frame((byte) 0x44);
            a.as.map(DST, newDst, PAGE, AddressSpace.RW_USER); // the tenant maps the same VA again
            assertEquals(SUCCESS, a.move(SRC, DST, 256).status());
            final byte[] expected = filled(PAGE, 0x44);
            java.util.Arrays.fill(expected, 0, 256, (byte) 0x11);
            r.assertHost(newDst, expected, "the new frame");
            r.assertHost(oldDst, PAGE, POISON, "the frame given up, after the reuse");
            r.assertHost(srcHost, PAGE, (byte) 0x11, "the source");
        }
    }

    @Test
    void anUnmappedSourceFaultsOnReadAndNoByteOfItsOldFrameLeaks() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long oldSrc = a.mapFrames(SRC, 1, (byte) 0x11, AddressSpace.RW_USER)[0];
            final long dstHost = a.mapFrames(DST, 1, (byte) 0, AddressSpace.RW_USER)[0];
            a.warmMove(PAGE, "warm copy");
            r.fillHost(dstHost, PAGE, (byte) 0);
            a.as.unmap(SRC, PAGE);
            r.fillHost(oldSrc, PAGE, POISON); // the next owner's secret
            assertFault(a.move(SRC, DST, PAGE), PAGE_FAULT, SRC, 0, "copy from the unmapped page (a read: bit 7 0)");
            r.assertHost(dstHost, PAGE, (byte) 0, "nothing of the old frame reached the destination");
        }
    }

    // ============================================================================================================
    // 2. remap of a VA to another frame
    // ============================================================================================================

    @Test
    void aRemappedDestinationAndSourceAreReachedThroughTheirNewFramesOnly() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long oldSrc = a.mapFrames(SRC, 1, (byte) 0x11, AddressSpace.RW_USER)[0];
            final long oldDst = a.mapFrames(DST, 1, (byte) 0, AddressSpace.RW_USER)[0];
            a.warmMove(512, "warm copy");
            final long newSrc = r.frame((byte) 0x22);
            final long newDst = r.frame((byte) 0x66);
            a.as.map(SRC, newSrc, PAGE, AddressSpace.RW_USER); // replaces the leaves (and invalidates)
            a.as.map(DST, newDst, PAGE, AddressSpace.RW_USER);
            r.fillHost(oldSrc, PAGE, POISON);
            r.fillHost(oldDst, PAGE, POISON);
            assertEquals(SUCCESS, a.move(SRC, DST, 512).status());
            final byte[] expected = filled(PAGE, 0x66);
            java.util.Arrays.fill(expected, 0, 512, (byte) 0x22);
            r.assertHost(newDst, expected, "the new destination frame holds the new source's bytes");
            r.assertHost(oldDst, PAGE, POISON, "old destination frame");
            r.assertHost(oldSrc, PAGE, POISON, "old source frame");
        }
    }

    // ============================================================================================================
    // 3. mprotect to read-only (and to supervisor-only)
    // ============================================================================================================

    @Test
    void aPageMadeReadOnlyIsNeverWrittenThroughItsCachedWritableRun() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long dstHost = a.mapFrames(DST, 1, (byte) 0, AddressSpace.RW_USER)[0];
            final long otherHost = a.mapFrames(SRC, 1, (byte) 0, AddressSpace.RW_USER)[0];
            assertEquals(SUCCESS, a.fill(DST, PAGE, 0x31).status());
            a.pushWindows();
            a.assertServedFromCache(() -> a.fill(DST, PAGE, 0x32), "warm fill (a writable run)");
            a.as.protect(DST, PAGE, AddressSpace.READ | AddressSpace.USER);
            assertFault(a.fill(DST, PAGE, 0x77), WRITE_FAULT | PAGE_FAULT, DST, 0, "fill of the read-only page");
            assertFault(a.move(SRC, DST + 128, 64), WRITE_FAULT | PAGE_FAULT, DST + 128, 0, "copy into it");
            r.assertHost(dstHost, PAGE, (byte) 0x32, "the read-only page");
            assertEquals(SUCCESS, a.move(DST, SRC, PAGE).status(), "reading it is still allowed");
            r.assertHost(otherHost, PAGE, (byte) 0x32, "what was read");
            a.as.protect(DST, PAGE, AddressSpace.READ | AddressSpace.WRITE); // supervisor-only now
            assertFault(a.move(DST, SRC, 64), PAGE_FAULT, DST, 0, "a user read of a supervisor page");
        }
    }

    // ============================================================================================================
    // 4. PASID unbound/freed, then the same number bound to another address space
    // ============================================================================================================

    @Test
    void aPasidUnboundAndBoundAgainToAnotherAddressSpaceNeverReachesTheFirstTenantsFrames() {
        try (Rig r = new Rig()) {
            final Tenant first = new Tenant(r, 5);
            final long firstDst = first.mapFrames(DST, 1, (byte) 0, AddressSpace.RW_USER)[0];
            final long firstSrc = first.mapFrames(SRC, 1, (byte) 0x11, AddressSpace.RW_USER)[0];
            assertEquals(SUCCESS, first.move(SRC, DST, 256).status());
            first.pushWindows();
            first.assertServedFromCache(() -> first.move(SRC, DST, 256), "warm copy");
            first.as.unbind();
            r.fillHost(firstDst, PAGE, POISON);
            r.fillHost(firstSrc, PAGE, POISON);
            // the same PASID number, another process: DST mapped to its own frame, SRC not mapped at all
            final Tenant second = new Tenant(r, 5);
            final long secondDst = second.mapFrames(DST, 1, (byte) 0x55, AddressSpace.RW_USER)[0];
            assertEquals(SUCCESS, second.fill(DST, 128, 0x66).status());
            final byte[] expected = filled(PAGE, 0x55);
            java.util.Arrays.fill(expected, 0, 128, (byte) 0x66);
            r.assertHost(secondDst, expected, "the second tenant's frame");
            assertFault(second.move(SRC, DST, 256), PAGE_FAULT, SRC, 0, "SRC is not the second tenant's");
            r.assertHost(firstDst, PAGE, POISON, "the first tenant's old destination");
            r.assertHost(firstSrc, PAGE, POISON, "the first tenant's old source");
        }
    }

    @Test
    void aFreedAndReallocatedPasidNumberGetsOnlyTheNewBinding() {
        try (Rig r = new Rig()) {
            final int p = r.iommu.allocatePasid();
            final Tenant first = new Tenant(r, p);
            final long firstDst = first.mapFrames(DST, 1, (byte) 0, AddressSpace.RW_USER)[0];
            assertEquals(SUCCESS, first.fill(DST, 256, 0x12).status());
            first.pushWindows();
            first.assertServedFromCache(() -> first.fill(DST, 256, 0x13), "warm fill");
            r.iommu.freePasid(p); // unbinds and invalidates; the number goes back to the allocator
            r.fillHost(firstDst, PAGE, POISON);
            final int again = r.iommu.allocatePasid();
            assertEquals(p, again, "the same PASID number handed out again");
            final Tenant second = new Tenant(r, again);
            // the second tenant maps nothing at DST: its fill must fault, not reach the first tenant's frame
            assertFault(second.fill(DST, 256, 0x77), WRITE_FAULT | PAGE_FAULT, DST, 0, "DST in the new space");
            r.assertHost(firstDst, PAGE, POISON, "the first tenant's frame");
        }
    }

    // ============================================================================================================
    // 5. two PASIDs, the same VAs, alternating on one engine
    // ============================================================================================================

    @Test
    void twoPasidsWithTheSameVirtualAddressesAlternatingEachReachOnlyTheirOwnFrames() {
        try (Rig r = new Rig()) {
            final Tenant[] ts = {new Tenant(r, 5), new Tenant(r, 6)};
            final long[][] frames = new long[2][];
            final byte[][] model = new byte[2][4 * PAGE];
            for (int t = 0; t < 2; t++) {
                frames[t] = ts[t].mapFrames(DST, 4, (byte) (0x10 * (t + 1)), AddressSpace.RW_USER);
                java.util.Arrays.fill(model[t], (byte) (0x10 * (t + 1)));
            }
            final SplittableRandom rnd = new SplittableRandom(17);
            for (int round = 0; round < 80; round++) {
                final int t = round % 2 == 0 ? 0 : rnd.nextInt(2);
                final int off = rnd.nextInt(4 * PAGE / 64 - 4) * 64;
                final int len = 64 * (1 + rnd.nextInt(4));
                if (rnd.nextBoolean()) {
                    final int v = 0x40 + rnd.nextInt(0x80);
                    assertEquals(SUCCESS, ts[t].fill(DST + off, len, v).status(), "round " + round);
                    java.util.Arrays.fill(model[t], off, off + len, (byte) v);
                } else {
                    final int to = rnd.nextInt(4 * PAGE / 64 - 4) * 64;
                    assertEquals(SUCCESS, ts[t].move(DST + off, DST + to, len).status(), "round " + round);
                    System.arraycopy(model[t].clone(), off, model[t], to, len);
                }
                for (int u = 0; u < 2; u++) {
                    for (int p = 0; p < 4; p++) {
                        r.assertHost(frames[u][p], java.util.Arrays.copyOfRange(model[u], p * PAGE, (p + 1) * PAGE),
                            "tenant " + u + " page " + p + " after round " + round);
                    }
                }
            }
        }
    }

    // ============================================================================================================
    // 6. the same PASID, Priv = 1 then Priv = 0
    // ============================================================================================================

    @Test
    void aSupervisorPageCachedByAPrivilegedDescriptorIsNeverServedToAUserDescriptor() {
        try (Rig r = new Rig()) {
            final AddressSpace as = r.iommu.bind(7, 4, true); // supervisor requests enabled for this PASID
            final Tenant user = new Tenant(r, 7, as);
            final Tenant kernel = new Tenant(user, true); // the same address space and PASID, Priv = 1
            final long supHost = r.frame((byte) 0x5A);
            final long supVa = 0x4003_0000L;
            as.map(supVa, supHost, PAGE, AddressSpace.READ | AddressSpace.WRITE); // no USER: supervisor-only
            final long userDst = kernel.mapFrames(DST, 1, (byte) 0, AddressSpace.RW_USER)[0];
            for (int round = 0; round < 4; round++) {
                assertEquals(SUCCESS, kernel.fill(supVa, 64, 0x70 + round).status(), "priv fill, round " + round);
                assertEquals(SUCCESS, kernel.move(supVa, DST, 64).status(), "priv copy, round " + round);
                if (round == 0) {
                    // (later rounds come after user descriptors: the context change dropped every run)
                    kernel.pushWindows();
                    kernel.assertServedFromCache(() -> kernel.move(supVa, DST, 64), "priv copy from the cache");
                }
                final byte[] supExpected = filled(PAGE, 0x5A);
                java.util.Arrays.fill(supExpected, 0, 64, (byte) (0x70 + round));
                r.assertHost(userDst, java.util.Arrays.copyOf(supExpected, 64), "priv copy, round " + round);
                r.fillHost(userDst, PAGE, (byte) 0);
                // the user descriptor: same PASID, same VA, Priv 0
                assertFault(user.fill(supVa, 64, 0xEE), WRITE_FAULT | PAGE_FAULT, supVa, 0, "user write, round " + round);
                assertFault(user.move(supVa, DST, 64), PAGE_FAULT, supVa, 0, "user read, round " + round);
                r.assertHost(supHost, supExpected, "the supervisor page, round " + round);
                r.assertHost(userDst, PAGE, (byte) 0, "nothing of the supervisor page reached the user, round " + round);
            }
        }
    }

    @Test
    void aUserBatchAfterAPrivilegedBatchOnTheSamePasidCannotTouchTheSupervisorPage() {
        try (Rig r = new Rig()) {
            final AddressSpace as = r.iommu.bind(7, 4, true);
            final Tenant user = new Tenant(r, 7, as);
            final Tenant kernel = new Tenant(user, true);
            final long supHost = r.frame((byte) 0x5A);
            final long supVa = 0x4003_0000L;
            as.map(supVa, supHost, PAGE, AddressSpace.READ | AddressSpace.WRITE);
            final long listVa = 0x4004_0000L;
            final long listHost = kernel.mapFrames(listVa, 1, (byte) 0, AddressSpace.RW_USER)[0];
            final long recsVa = 0x4005_0000L;
            final long recsHost = kernel.mapFrames(recsVa, 1, (byte) 0, AddressSpace.RW_USER)[0];
            writeFillList(r, listHost, recsVa, supVa, 2, 0x71);
            for (int i = 0; i < 2; i++) {
                assertEquals(SUCCESS, kernel.run(r.desc().opcode(OP_BATCH).source(listVa).transferSize(2)).status());
            }
            r.assertHost(supHost, java.util.Arrays.copyOf(filled(128, 0x71), 128), "the privileged batch wrote it");
            writeFillList(r, listHost, recsVa, supVa, 2, 0xEE);
            final Rec batch = user.run(r.desc().opcode(OP_BATCH).source(listVa).transferSize(2));
            assertEquals(BATCH_FAIL, batch.status(), "user batch: " + batch);
            assertEquals(1, batch.result(), "batch failed: result 1");
            for (int i = 0; i < 2; i++) {
                assertFault(r.read(recsHost + 32L * i), WRITE_FAULT | PAGE_FAULT, supVa + 64L * i, 0, "member " + i);
            }
            final byte[] expected = filled(PAGE, 0x5A);
            java.util.Arrays.fill(expected, 0, 128, (byte) 0x71);
            r.assertHost(supHost, expected, "the supervisor page after the user batch");
        }
    }

    /** A list of {@code n} fills of 64 bytes at {@code dst + 64 i} with {@code b}, records at {@code recs + 32 i}. */
    private static void writeFillList(Rig r, long listHost, long recsVa, long dst, int n, int b) {
        for (int i = 0; i < n; i++) {
            new Descriptor(r.m, listHost + 64L * i).clear().opcode(OP_FILL).flags(CRAV_RCR)
                .completionAddress(recsVa + 32L * i).destination(dst + 64L * i).transferSize(64)
                .fillPattern(0x0101_0101_0101_0101L * (b & 0xFF));
        }
    }

    // ============================================================================================================
    // 7. batches whose members hit the cache
    // ============================================================================================================

    @Test
    void aBatchListPageRemappedBetweenBatchesIsReadFromItsNewFrameAndAMemberWhosePageWentFaults() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long listVa = 0x4004_0000L;
            final long oldList = a.mapFrames(listVa, 1, (byte) 0, AddressSpace.RW_USER)[0];
            final long recsVa = 0x4005_0000L;
            final long recsHost = a.mapFrames(recsVa, 1, (byte) 0, AddressSpace.RW_USER)[0];
            final long[] dst = a.mapFrames(DST, 2, (byte) 0, AddressSpace.RW_USER);
            final long otherVa = 0x4006_0000L;
            final long otherHost = a.mapFrames(otherVa, 1, (byte) 0, AddressSpace.RW_USER)[0];
            writeFillList(r, oldList, recsVa, DST, 2, 0x21);
            for (int i = 0; i < 2; i++) {
                assertEquals(SUCCESS, a.run(r.desc().opcode(OP_BATCH).source(listVa).transferSize(2)).status());
            }
            a.pushWindows();
            a.assertServedFromCache(() -> a.run(r.desc().opcode(OP_BATCH).source(listVa).transferSize(2)),
                "warm batch: list, members and records from the cache");
            // the list VA now shows a new frame whose members fill another page; the old frame still says "DST, 0xEE"
            final long newList = r.frame((byte) 0);
            writeFillList(r, newList, recsVa, otherVa, 2, 0x42);
            writeFillList(r, oldList, recsVa, DST, 2, 0xEE);
            a.as.map(listVa, newList, PAGE, AddressSpace.RW_USER);
            assertEquals(SUCCESS, a.run(r.desc().opcode(OP_BATCH).source(listVa).transferSize(2)).status());
            final byte[] other = new byte[PAGE];
            java.util.Arrays.fill(other, 0, 128, (byte) 0x42);
            r.assertHost(otherHost, other, "the new list's members ran");
            final byte[] dstExpected = new byte[PAGE];
            java.util.Arrays.fill(dstExpected, 0, 128, (byte) 0x21);
            r.assertHost(dst[0], dstExpected, "the old list's members never ran");
            // a member's page unmapped between batches: that member faults, the other still runs, the batch fails
            writeFillList(r, newList, recsVa, DST + PAGE - 64, 2, 0x43); // member 0 on page 0, member 1 on page 1
            assertEquals(SUCCESS, a.run(r.desc().opcode(OP_BATCH).source(listVa).transferSize(2)).status());
            a.as.unmap(DST + PAGE, PAGE);
            r.fillHost(dst[1], PAGE, POISON);
            writeFillList(r, newList, recsVa, DST + PAGE - 64, 2, 0x44);
            final Rec batch = a.run(r.desc().opcode(OP_BATCH).source(listVa).transferSize(2));
            assertEquals(BATCH_FAIL, batch.status(), "batch " + batch);
            assertEquals(1, batch.result());
            assertEquals(2, batch.bytesCompleted(), "descriptors completed: both processed");
            assertEquals(SUCCESS, r.read(recsHost).status(), "member 0");
            assertFault(r.read(recsHost + 32), WRITE_FAULT | PAGE_FAULT, DST + PAGE, 0, "member 1");
            r.assertHost(dst[1], PAGE, POISON, "the unmapped member page's old frame");
            r.assertHost(dst[0] + PAGE - 64, filled(64, 0x44), "member 0 wrote its page");
        }
    }

    // ============================================================================================================
    // 8. dirty bits: stage 1 (bit 6), with the cache holding a read run
    // ============================================================================================================

    @Test
    void aPageReadThroughTheCacheThenWrittenGetsItsDirtyBitAndAFreshLeafGetsItAgain() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long srcHost = a.mapFrames(SRC, 1, (byte) 0x11, AddressSpace.RW_USER)[0];
            final long dstHost = a.mapFrames(DST, 1, (byte) 0, AddressSpace.RW_USER)[0];
            a.warmMove(64, "SRC read from the cache");
            assertEquals(0, leaf(r.m, a.as.root(), SRC, x -> x) & DIRTY, "SRC only read: D clear");
            assertEquals(SUCCESS, a.move(DST, SRC + 1024, 64).status(), "now SRC is written");
            assertTrue((leaf(r.m, a.as.root(), SRC, x -> x) & DIRTY) != 0, "SRC written: D (bit 6) set");
            // the OS writes a fresh leaf for the same frame (D clear) and invalidates: the next write sets D again
            a.as.map(SRC, srcHost, PAGE, AddressSpace.RW_USER);
            assertEquals(0, leaf(r.m, a.as.root(), SRC, x -> x) & DIRTY, "fresh leaf");
            assertEquals(SUCCESS, a.fill(SRC + 2048, 64, 0x12).status());
            assertTrue((leaf(r.m, a.as.root(), SRC, x -> x) & DIRTY) != 0, "written again: D set again");
            r.assertHost(dstHost, filled(64, 0x11), "copied bytes");
        }
    }

    // ============================================================================================================
    // 9. nested: the host changes stage 2 under an unchanged stage 1
    // ============================================================================================================

    /** A guest with nested translation on the rig's IOMMU: guest RAM backed by 4 KiB stage-2 pages. */
    private static final class Guest {
        final Rig r;
        final SecondLevelTables s2;
        final GuestPhysicalMemory memory;
        final AddressSpace stage1;
        final int hostPasid;

        Guest(Rig r) {
            this.r = r;
            s2 = r.iommu.newSecondLevel();
            memory = GuestPhysicalMemory.backed(r.memory, s2, 8L << 20, PageSize.SIZE_4K);
            hostPasid = r.iommu.allocatePasid();
            stage1 = AddressSpace.inGuest(memory, 3, 4,
                (p, va, len) -> r.iommu.iotlb().invalidateRange(hostPasid, va, len));
            r.iommu.bindNested(hostPasid, stage1.root(), 4, false, s2);
        }

        /** The host frame behind {@code gpa}, by this test's own stage-2 walk. */
        long host(long gpa) {
            return s2Host(r.m, s2.root(), gpa);
        }

        long stage1Leaf(long va) {
            return leaf(r.m, stage1.root(), va, this::host);
        }

        long stage2Leaf(long gpa) {
            return leaf(r.m, s2.root(), gpa, LongUnaryOperator.identity());
        }
    }

    /** A nested tenant: like {@link Tenant}, but its pages are guest frames mapped by the guest's own tables. */
    private static final class NestedTenant extends Submitter {
        final Guest g;

        NestedTenant(Guest g) {
            super(g.r, g.hostPasid, false, g.host(guestPage(g, REC, (byte) 0)));
            this.g = g;
            for (int i = 0; i < PUSH_PAGES; i++) {
                pushHost[i] = g.host(guestPage(g, PUSH + i * 0x1_0000L, (byte) 0));
            }
        }
    }

    /** A fresh guest frame filled with {@code b}, mapped at {@code va} by the guest's stage 1; returns its GPA. */
    private static long guestPage(Guest g, long va, byte b) {
        final long gpa = g.memory.allocateFrame();
        g.r.fillHost(s2Host(g.r.m, g.s2.root(), gpa), PAGE, b);
        g.stage1.map(va, gpa, PAGE, AddressSpace.RW_USER);
        return gpa;
    }

    private static Guest guest(Rig r) {
        return new Guest(r);
    }

    @Test
    void theHostMovingAGuestPageToAnotherFrameIsObeyedUnderAnUnchangedStage1() {
        try (Rig r = new Rig()) {
            final Guest g = guest(r);
            final NestedTenant t = new NestedTenant(g);
            final long srcGpa = guestPage(g, SRC, (byte) 0x11);
            final long dstGpa = guestPage(g, DST, (byte) 0);
            final long oldSrc = g.host(srcGpa);
            final long oldDst = g.host(dstGpa);
            assertEquals(SUCCESS, t.move(SRC, DST, 256).status());
            t.pushWindows();
            t.assertServedFromCache(() -> t.move(SRC, DST, 256), "warm nested copy");
            // the host migrates both guest pages to new host frames (copying their contents, as it must)
            final long newSrc = r.frame((byte) 0);
            final long newDst = r.frame((byte) 0);
            r.m.asSlice(newSrc, PAGE).copyFrom(r.m.asSlice(oldSrc, PAGE));
            r.fillHost(newSrc, 256, (byte) 0x22); // and the guest's CPU writes the new copy afterwards
            r.m.asSlice(newDst, PAGE).copyFrom(r.m.asSlice(oldDst, PAGE));
            g.s2.map(srcGpa, newSrc, PAGE, true);
            g.s2.map(dstGpa, newDst, PAGE, true);
            assertEquals(newSrc, g.host(srcGpa), "precondition: stage 2 moved");
            r.fillHost(oldSrc, PAGE, POISON);
            r.fillHost(oldDst, PAGE, POISON);
            assertEquals(SUCCESS, t.move(SRC, DST, 256).status());
            r.assertHost(newDst, filled(256, 0x22), "the guest page's new host frame got the new source bytes");
            r.assertHost(oldDst, PAGE, POISON, "the old host frame of the destination");
            r.assertHost(oldSrc, PAGE, POISON, "the old host frame of the source");
        }
    }

    @Test
    void aGuestPageTheHostUnmapsOrWriteProtectsInStage2IsNeitherWrittenNorReportedAsTheGuestsFault() {
        try (Rig r = new Rig()) {
            final Guest g = guest(r);
            final NestedTenant t = new NestedTenant(g);
            final long dstGpa = guestPage(g, DST, (byte) 0);
            final long dstHost = g.host(dstGpa);
            assertEquals(SUCCESS, t.fill(DST, PAGE, 0x31).status());
            t.pushWindows();
            t.assertServedFromCache(() -> t.fill(DST, PAGE, 0x32), "warm nested fill");
            // write-protect in stage 2 (same frame, not writable), no host fault handler: a translation error
            g.s2.map(dstGpa, dstHost, PAGE, false);
            final Rec wp = t.fill(DST, PAGE, 0x77);
            assertEquals(TRANSLATION_ERROR, wp.status() & 0x7F, "stage-2 write protection: the host's fault, " + wp);
            assertEquals(0, wp.bytesCompleted());
            r.assertHost(dstHost, PAGE, (byte) 0x32, "the write-protected frame");
            // a host fault handler that makes it writable again: the write goes through, after one fault
            final List<long[]> faults = new ArrayList<>();
            g.s2.faultHandler((gpa, write) -> {
                faults.add(new long[] {gpa, write ? 1 : 0});
                g.s2.map(gpa & ~(PAGE - 1L), dstHost, PAGE, true);
                return true;
            });
            assertEquals(SUCCESS, t.fill(DST, PAGE, 0x78).status());
            assertEquals(1, faults.size(), "one stage-2 write fault");
            assertEquals(dstGpa, faults.get(0)[0] & ~(PAGE - 1L));
            assertEquals(1, faults.get(0)[1], "a write fault");
            r.assertHost(dstHost, PAGE, (byte) 0x78, "written once writable");
            g.s2.faultHandler(null);
            // stage 2 unmapped: the old frame goes to someone else
            assertEquals(SUCCESS, t.fill(DST, PAGE, 0x79).status());
            g.s2.unmap(dstGpa, PAGE);
            r.fillHost(dstHost, PAGE, POISON);
            final Rec gone = t.fill(DST, PAGE, 0x7A);
            assertEquals(TRANSLATION_ERROR, gone.status() & 0x7F, "stage-2 miss: never the guest's page fault, " + gone);
            r.assertHost(dstHost, PAGE, POISON, "the frame stage 2 gave up");
        }
    }

    @Test
    void aNestedPageReadThroughTheCacheThenWrittenGetsBothDirtyBitsAndTheDirtyLogSeesIt() {
        try (Rig r = new Rig()) {
            final Guest g = guest(r);
            final NestedTenant t = new NestedTenant(g);
            final long srcGpa = guestPage(g, SRC, (byte) 0x11);
            guestPage(g, DST, (byte) 0);
            g.s2.startDirtyLogging();
            t.warmMove(64, "SRC read from the cache");
            assertEquals(0, g.stage1Leaf(SRC) & DIRTY, "stage 1: only read");
            assertEquals(0, g.stage2Leaf(srcGpa) & SL_DIRTY, "stage 2: only read");
            assertEquals(0L, g.s2.reportAndClearDirty(srcGpa, PAGE, 12)[0], "the dirty log: not written yet");
            // the report invalidated everything: read SRC into the cache again before the write
            t.warmMove(64, "SRC read from the cache again");
            assertEquals(0, g.stage1Leaf(SRC) & DIRTY, "stage 1: still only read");
            assertEquals(0, g.stage2Leaf(srcGpa) & SL_DIRTY, "stage 2: still only read");
            assertEquals(SUCCESS, t.fill(SRC + 512, 64, 0x44).status(), "now written");
            assertTrue((g.stage1Leaf(SRC) & DIRTY) != 0, "stage 1 D (bit 6) set");
            assertTrue((g.stage2Leaf(srcGpa) & SL_DIRTY) != 0, "stage 2 D (bit 9) set");
            assertEquals(1L, g.s2.reportAndClearDirty(srcGpa, PAGE, 12)[0], "the dirty log reports it");
            assertEquals(0, g.stage2Leaf(srcGpa) & SL_DIRTY, "cleared by the report");
            // written through a write run the engine cached before the report: the log must see it again
            assertEquals(SUCCESS, t.fill(SRC + 1024, 64, 0x45).status());
            assertTrue((g.stage2Leaf(srcGpa) & SL_DIRTY) != 0, "stage 2 D set again after the report");
            assertEquals(1L, g.s2.reportAndClearDirty(srcGpa, PAGE, 12)[0], "and logged again");
        }
    }

    // ============================================================================================================
    // 10. WQ and device disable/enable (and reconfiguration) between descriptors
    // ============================================================================================================

    @Test
    void aRemapWhileTheWqOrTheDeviceIsDisabledIsObeyedWhenItComesBack() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            long dstHost = a.mapFrames(DST, 1, (byte) 0, AddressSpace.RW_USER)[0];
            for (int step = 0; step < 3; step++) {
                assertEquals(SUCCESS, a.fill(DST, 256, 0x30 + step).status());
                a.pushWindows();
                a.assertServedFromCache(() -> a.fill(DST, 256, 0x30), "warm, step " + step);
                switch (step) {
                    case 0 -> r.device.wq(0).disable();
                    case 1 -> r.device.disable();
                    default -> {
                        r.device.disable();
                        r.device.configure(r.cfg); // reconfigured: new engines
                    }
                }
                final long fresh = r.frame((byte) 0);
                a.as.map(DST, fresh, PAGE, AddressSpace.RW_USER);
                r.fillHost(dstHost, PAGE, POISON);
                if (step == 0) {
                    r.device.wq(0).enable();
                } else {
                    r.device.enableAll();
                }
                assertEquals(SUCCESS, a.fill(DST, 256, 0x50 + step).status());
                final byte[] expected = new byte[PAGE];
                java.util.Arrays.fill(expected, 0, 256, (byte) (0x50 + step));
                r.assertHost(fresh, expected, "the new frame, step " + step);
                r.assertHost(dstHost, PAGE, POISON, "the old frame, step " + step);
                dstHost = fresh;
            }
        }
    }

    // ============================================================================================================
    // 11. 2 MiB and 1 GiB leaves
    // ============================================================================================================

    @Test
    void a2MiBLeafSplitIntoSmallPagesOrMadeReadOnlyIsObeyed() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long big = 0x4020_0000L; // 2 MiB aligned
            final long bigHost = r.memory.frames().allocate2M();
            r.fillHost(bigHost, 2L << 20, (byte) 0);
            a.as.map(big, bigHost, 2L << 20, AddressSpace.RW_USER, PageSize.SIZE_2M);
            assertEquals(SUCCESS, a.fill(big + 0x3000, 2 * PAGE, 0x21).status());
            assertEquals(SUCCESS, a.move(big + 0x3000, big + 0x18_0000, PAGE).status());
            a.pushWindows();
            a.assertServedFromCache(() -> a.fill(big + 0x3000, 2 * PAGE, 0x22), "warm fill in the 2 MiB page");
            a.assertServedFromCache(() -> a.move(big + 0x3000, big + 0x18_0000, PAGE), "warm copy in it");
            // split: the 2 MiB leaf goes, one 4 KiB page comes back on a new frame, the rest stays unmapped
            a.as.unmap(big, 2L << 20);
            r.fillHost(bigHost, 2L << 20, POISON);
            final long small = r.frame((byte) 0);
            a.as.map(big + 0x3000, small, PAGE, AddressSpace.RW_USER);
            final Rec split = a.fill(big + 0x3000, 2 * PAGE, 0x23);
            assertFault(split, WRITE_FAULT | PAGE_FAULT, big + 0x4000, PAGE, "the fill runs into the unmapped rest");
            r.assertHost(small, PAGE, (byte) 0x23, "the new 4 KiB page");
            assertFault(a.move(big + 0x3000, big + 0x18_0000, PAGE), WRITE_FAULT | PAGE_FAULT, big + 0x18_0000, 0,
                "copy into the unmapped rest");
            r.assertHost(bigHost, 2L << 20, POISON, "the old 2 MiB frame");
            // a fresh 2 MiB leaf, made read-only after a cached write
            a.as.unmap(big + 0x3000, PAGE);
            r.fillHost(bigHost, 2L << 20, (byte) 0);
            a.as.map(big, bigHost, 2L << 20, AddressSpace.RW_USER, PageSize.SIZE_2M);
            assertEquals(SUCCESS, a.fill(big + 0x8000, 64, 0x24).status());
            a.pushWindows();
            a.assertServedFromCache(() -> a.fill(big + 0x8000, 64, 0x24), "warm write in the new 2 MiB page");
            a.as.protect(big, 2L << 20, AddressSpace.READ | AddressSpace.USER);
            assertFault(a.fill(big + 0x8000, 64, 0x25), WRITE_FAULT | PAGE_FAULT, big + 0x8000, 0, "read-only 2 MiB");
            r.assertHost(bigHost + 0x8000, filled(64, 0x24), "the read-only 2 MiB page");
        }
    }

    @Test
    void a1GiBLeafUnmappedAndRemappedAsASmallPageIsObeyed() {
        try (Rig r = new Rig((2L << 30) + (64L << 20))) {
            assumeTrue(r.memory.isMmapped(), "needs lazily backed host memory");
            final Tenant a = new Tenant(r, 5);
            final long huge = 0x80_0000_0000L; // 1 GiB aligned
            final long hugeHost = r.memory.frames().allocate1G();
            final long off = (5L << 20) + 0x3000;
            a.as.map(huge, hugeHost, 1L << 30, AddressSpace.RW_USER, PageSize.SIZE_1G);
            assertEquals(SUCCESS, a.fill(huge + off, PAGE, 0x31).status());
            a.pushWindows();
            a.assertServedFromCache(() -> a.fill(huge + off, PAGE, 0x32), "warm fill in the 1 GiB page");
            a.as.unmap(huge, 1L << 30);
            r.fillHost(hugeHost + off - PAGE, 3 * PAGE, POISON);
            assertFault(a.fill(huge + off, PAGE, 0x33), WRITE_FAULT | PAGE_FAULT, huge + off, 0, "unmapped 1 GiB");
            final long small = r.frame((byte) 0);
            a.as.map(huge + off, small, PAGE, AddressSpace.RW_USER);
            assertEquals(SUCCESS, a.fill(huge + off, PAGE, 0x34).status());
            r.assertHost(small, PAGE, (byte) 0x34, "the small page");
            r.assertHost(hugeHost + off - PAGE, 3 * PAGE, POISON, "the old 1 GiB frame around the offset");
        }
    }

    // ============================================================================================================
    // 12. the top of the address space: the canonical hole, and 2^64
    // ============================================================================================================

    @Test
    void aRunIntoTheCanonicalHoleStopsThereColdAndWarmAlike() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long last = 0x0000_7FFF_FFFF_F000L; // the last canonical page of the lower half (4-level)
            final long lastHost = a.mapFrames(last, 1, (byte) 0, AddressSpace.RW_USER)[0];
            Rec cold = null;
            for (int i = 0; i < 3; i++) {
                final Rec rec = a.fill(last, 2 * PAGE, 0x41 + i);
                assertEquals(TRANSLATION_ERROR, rec.status() & 0x7F, "non-canonical: a translation error, " + rec);
                assertEquals(PAGE, rec.bytesCompleted(), "the canonical page completed, " + rec);
                assertEquals(last + PAGE, rec.faultAddress(), "at the first non-canonical byte, " + rec);
                if (cold == null) {
                    cold = rec;
                    a.pushWindows();
                } else {
                    assertEquals(cold.status(), rec.status(), "warm as cold");
                }
                r.assertHost(lastHost, PAGE, (byte) (0x41 + i), "the canonical page");
            }
        }
    }

    @Test
    void aRunAtTheTopOfTheAddressSpaceNeverWrapsIntoPageZeroAfterPageZeroIsUnmapped() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long top = 0xFFFF_FFFF_FFFF_F000L; // canonical (bits 63:47 all 1), the last page below 2^64
            // top page and page 0 on adjacent frames, so an IOMMU that wrapped would hand out one run for both
            final long pair = r.memory.frames().allocateContiguous(2 * PAGE, PAGE);
            r.fillHost(pair, 2 * PAGE, (byte) 0);
            a.as.map(top, pair, PAGE, AddressSpace.RW_USER);
            a.as.map(0, pair + PAGE, PAGE, AddressSpace.RW_USER);
            assertEquals(fold(top), fold(0), "precondition: page 0 and the top page share a cache entry");
            // while page 0 is mapped, 8 KiB from the top page wraps into page 0 (the tenant's own page: the fact sheet
            // fixes no rule for a range past 2^64, so that outcome is only reported, not asserted)
            final Rec first = a.fill(top, 2 * PAGE, 0x51);
            assertEquals(SUCCESS, a.fill(top, PAGE, 0x52).status());
            a.pushWindows();
            a.assertServedFromCache(() -> a.fill(top, PAGE, 0x53), "the top page from the cache");
            a.as.unmap(0, PAGE);
            r.fillHost(pair + PAGE, PAGE, POISON);
            final Rec rec = a.fill(top, 2 * PAGE, 0x54);
            r.assertHost(pair, PAGE, (byte) 0x54, "the top page");
            r.assertHost(pair + PAGE, PAGE, POISON, "page 0's old frame after page 0 was unmapped");
            assertNotEquals(SUCCESS, rec.status(), "8 KiB from the top page cannot all be written: " + rec
                + " (the first run, while page 0 was mapped: " + first + ")");
            assertFault(rec, WRITE_FAULT | PAGE_FAULT, 0, PAGE, "the top page completed, then page 0 faults");
            final Rec zero = a.fill(0, 64, 0x55);
            assertFault(zero, WRITE_FAULT | PAGE_FAULT, 0, 0, "page 0 is unmapped");
            r.assertHost(pair + PAGE, PAGE, POISON, "page 0's old frame");
        }
    }

    // ============================================================================================================
    // 13. direct-mapped collisions
    // ============================================================================================================

    @Test
    void buffersWhosePagesShareACacheEntryAlternatingEachReachOnlyTheirOwnFrames() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long x = DST;
            final long y = DST ^ 0x10_1000L; // flips bit 0 of the page number's first two bytes: the fold cancels
            final long z = 0x4007_0000L;
            assertEquals(fold(x), fold(y), "precondition: x and y share an entry");
            // x is the start of an 8 KiB contiguous run: y's lookup finds x's run in its entry and must not use it
            final long xHost = a.mapContiguous(x, 2, (byte) 0);
            final long yHost = a.mapFrames(y, 1, (byte) 0, AddressSpace.RW_USER)[0];
            final long zHost = a.mapFrames(z, 1, (byte) 0, AddressSpace.RW_USER)[0];
            final byte[] mx = new byte[2 * PAGE];
            final byte[] my = new byte[PAGE];
            final SplittableRandom rnd = new SplittableRandom(5);
            long yFrame = yHost;
            for (int round = 0; round < 60; round++) {
                final int v = 0x20 + rnd.nextInt(0xD0);
                if (round % 2 == 0) {
                    final int off = rnd.nextInt(2 * PAGE / 64 - 2) * 64;
                    assertEquals(SUCCESS, a.fill(x + off, 128, v).status(), "round " + round);
                    java.util.Arrays.fill(mx, off, off + 128, (byte) v);
                } else {
                    final int off = rnd.nextInt(PAGE / 64 - 2) * 64;
                    assertEquals(SUCCESS, a.fill(y + off, 128, v).status(), "round " + round);
                    java.util.Arrays.fill(my, off, off + 128, (byte) v);
                }
                if (round % 7 == 3) {
                    assertEquals(SUCCESS, a.move(y, z, PAGE).status(), "round " + round);
                    r.assertHost(zHost, my, "copy of y, round " + round);
                }
                if (round == 30) {
                    // y moves to another frame while x holds the entry (or the other way round)
                    final long moved = r.frame((byte) 0);
                    r.m.asSlice(moved, PAGE).copyFrom(r.m.asSlice(yFrame, PAGE));
                    a.as.map(y, moved, PAGE, AddressSpace.RW_USER);
                    r.fillHost(yFrame, PAGE, POISON);
                    final long old = yFrame;
                    yFrame = moved;
                    r.assertHost(old, PAGE, POISON, "y's old frame");
                }
                r.assertHost(xHost, mx, "x after round " + round);
                r.assertHost(yFrame, my, "y after round " + round);
            }
            r.assertHost(yHost, PAGE, POISON, "y's first frame, given up in round 30");
        }
    }

    // ============================================================================================================
    // 14. a run cached 'cut' (answered in full) and a run that really ends, then longer requests
    // ============================================================================================================

    @Test
    void aLongerCopyAfterShortOnesOverTheSamePagesMovesExactlyTheMappedBytes() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long srcRun = a.mapContiguous(SRC, 4, (byte) 0);
            for (int i = 0; i < 4 * PAGE; i++) {
                r.m.set(ValueLayout.JAVA_BYTE, srcRun + i, (byte) (i * 7 + i / PAGE));
            }
            final long[] dst = a.mapFrames(DST, 4, (byte) 0, AddressSpace.RW_USER);
            assertEquals(SUCCESS, a.move(SRC, DST, 64).status()); // 64 bytes: the source run is cut at its page end
            a.pushWindows();
            a.assertServedFromCache(() -> a.move(SRC, DST, 64), "the short copy from the cache");
            assertEquals(SUCCESS, a.move(SRC, DST, 4 * PAGE).status(), "the whole 16 KiB");
            for (int p = 0; p < 4; p++) {
                r.assertHost(dst[p], r.m.asSlice(srcRun + (long) p * PAGE, PAGE).toArray(ValueLayout.JAVA_BYTE),
                    "page " + p);
            }
            // source page 2 moves to a frame that does not follow page 1's: the long run now really ends there
            final long moved = r.frame((byte) 0x6D);
            a.as.map(SRC + 2 * PAGE, moved, PAGE, AddressSpace.RW_USER);
            r.fillHost(srcRun + 2 * PAGE, PAGE, POISON);
            for (int d : new int[] {0, 1, 2, 3}) {
                r.fillHost(dst[d], PAGE, (byte) 0);
            }
            for (int i = 0; i < 2; i++) {
                assertEquals(SUCCESS, a.move(SRC, DST, 4 * PAGE).status(), "16 KiB over the split run, " + i);
                r.assertHost(dst[2], PAGE, (byte) 0x6D, "page 2 from its new frame, " + i);
                r.assertHost(dst[3], r.m.asSlice(srcRun + 3L * PAGE, PAGE).toArray(ValueLayout.JAVA_BYTE),
                    "page 3, " + i);
                a.pushWindows();
            }
        }
    }

    /** Engine-level: the host addresses and lengths the cache hands out, against the frames mapped here. */
    @Test
    void cutAndEndedRunsAnswerOnlyWhatTheIommuVouchedFor() {
        try (HostMemory memory = HostMemory.allocate(16L << 20)) {
            final ScalableModeIommu iommu = new ScalableModeIommu(memory);
            final Dma dma = new Dma(memory.segment(), iommu);
            try {
                final AddressSpace as = iommu.bind(5);
                final long va = 0x6000_0000L;
                final long run = memory.frames().allocateContiguous(4 * PAGE, PAGE);
                as.map(va, run, 4 * PAGE, AddressSpace.RW_USER);
                pushOut(dma, as, memory); // maps its pages now: later pushes change no mapping
                // 64 bytes asked: the IOMMU answers the rest of the page in full, the run is 'cut' there
                mapOnce(dma, va, 64, Translation.READ, run, 64);
                pushOut(dma, as, memory);
                final long before = dma.translation().iotlbHits + dma.translation().walks;
                mapOnce(dma, va + 100, 64, Translation.READ, run + 100, 64);
                assertEquals(before, dma.translation().iotlbHits + dma.translation().walks, "a hit of the cut run");
                // a longer request than the cut run covers: asked of the IOMMU, which vouches for all 16 KiB
                mapOnce(dma, va, 4 * PAGE, Translation.READ, run, 4 * PAGE);
                // page 2 moves away: the run really ends after page 1, and a cached answer never runs past it
                final long moved = memory.frames().allocateFrame();
                as.map(va + 2 * PAGE, moved, PAGE, AddressSpace.RW_USER);
                mapOnce(dma, va, 4 * PAGE, Translation.READ, run, 2 * PAGE);
                pushOut(dma, as, memory);
                mapOnce(dma, va, 4 * PAGE, Translation.READ, run, 2 * PAGE);
                mapOnce(dma, va + PAGE + 8, 4 * PAGE, Translation.READ, run + PAGE + 8, PAGE - 8);
                mapOnce(dma, va + 2 * PAGE, 2 * PAGE, Translation.READ, moved, PAGE);
                // a read-only page right after a writable one: the write run ends before it, and never serves it
                as.protect(va + PAGE, PAGE, AddressSpace.READ | AddressSpace.USER);
                mapOnce(dma, va, 2 * PAGE, Translation.WRITE, run, PAGE);
                pushOut(dma, as, memory);
                mapOnce(dma, va, 2 * PAGE, Translation.WRITE, run, PAGE);
                dma.context(true, 5, false);
                assertFalse(dma.map(va + PAGE, 64, Translation.WRITE), "the read-only page");
                assertEquals(va + PAGE, dma.faultAddress());
                assertTrue(dma.faultWrite());
                dma.release();
                // an unmapped middle page: the hole is seen at once
                as.protect(va + PAGE, PAGE, AddressSpace.RW_USER);
                mapOnce(dma, va, 2 * PAGE, Translation.READ, run, 2 * PAGE);
                as.unmap(va + PAGE, PAGE);
                mapOnce(dma, va, 2 * PAGE, Translation.READ, run, PAGE);
                dma.context(true, 5, false);
                assertFalse(dma.map(va + PAGE, 64, Translation.READ), "the hole");
                assertEquals(va + PAGE, dma.faultAddress());
                dma.release();
            } finally {
                dma.close();
            }
        }
    }

    private static void mapOnce(Dma dma, long va, long wanted, int access, long expectHost, long expectLength) {
        dma.context(true, 5, false);
        assertTrue(dma.map(va, wanted, access), () -> "map 0x" + Long.toHexString(va) + " failed: 0x"
            + Integer.toHexString(dma.failureStatus()));
        assertEquals(expectHost, dma.hostAddress(), "host address of 0x" + Long.toHexString(va));
        assertEquals(expectLength, dma.length(), "run length at 0x" + Long.toHexString(va));
        dma.release();
    }

    /** Eight single-page reads on pages of their own: every window holds one of them. */
    private static void pushOut(Dma dma, AddressSpace as, HostMemory memory) {
        for (int i = 0; i < 8; i++) {
            final long va = 0x7000_0000L + i * 0x1_0000L;
            if (as.physicalAddress(va) < 0) {
                as.map(va, memory.frames().allocateFrame(), PAGE, AddressSpace.RW_USER);
            }
            dma.context(true, 5, false);
            assertTrue(dma.map(va, 64, Translation.READ));
            dma.release();
        }
    }

    // ============================================================================================================
    // 15. a hole punched into a long contiguous run
    // ============================================================================================================

    @Test
    void aHoleUnmappedInTheMiddleOfALongCachedRunStopsTheCopyThere() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final int pages = 16;
            final long srcRun = a.mapContiguous(SRC, pages, (byte) 0x11);
            final long dstRun = a.mapContiguous(DST, pages, (byte) 0);
            for (int i = 0; i < 2; i++) {
                assertEquals(SUCCESS, a.move(SRC, DST, (long) pages * PAGE).status());
            }
            a.pushWindows();
            a.assertServedFromCache(() -> a.move(SRC, DST, (long) pages * PAGE), "the 64 KiB copy from the cache");
            // a hole in the destination
            r.fillHost(dstRun, (long) pages * PAGE, (byte) 0x0D);
            a.as.unmap(DST + 7L * PAGE, PAGE);
            r.fillHost(dstRun + 7L * PAGE, PAGE, POISON);
            assertFault(a.move(SRC, DST, (long) pages * PAGE), WRITE_FAULT | PAGE_FAULT, DST + 7L * PAGE, 7L * PAGE,
                "copy into the hole");
            r.assertHost(dstRun, 7L * PAGE, (byte) 0x11, "before the hole");
            r.assertHost(dstRun + 7L * PAGE, PAGE, POISON, "the hole's old frame");
            r.assertHost(dstRun + 8L * PAGE, 8L * PAGE, (byte) 0x0D, "after the hole: untouched");
            // a hole in the source (the destination mapped again whole)
            a.as.map(DST + 7L * PAGE, dstRun + 7L * PAGE, PAGE, AddressSpace.RW_USER);
            r.fillHost(dstRun, (long) pages * PAGE, (byte) 0x0E);
            assertEquals(SUCCESS, a.move(SRC, DST, (long) pages * PAGE).status());
            a.pushWindows();
            r.fillHost(dstRun, (long) pages * PAGE, (byte) 0x0E);
            a.as.unmap(SRC + 9L * PAGE, PAGE);
            r.fillHost(srcRun + 9L * PAGE, PAGE, POISON);
            assertFault(a.move(SRC, DST, (long) pages * PAGE), PAGE_FAULT, SRC + 9L * PAGE, 9L * PAGE,
                "copy from the hole");
            r.assertHost(dstRun, 9L * PAGE, (byte) 0x11, "before the hole");
            r.assertHost(dstRun + 9L * PAGE, 7L * PAGE, (byte) 0x0E, "from the hole on: nothing copied");
        }
    }

    // ============================================================================================================
    // 16. a page request in the middle of a step whose other operand the cache holds
    // ============================================================================================================

    @Test
    void aPageRequestHandlerThatMovesTheCachedSourceIsObeyedByTheStepItInterrupted() {
        try (Rig r = new Rig()) {
            final Tenant a = new Tenant(r, 5);
            final long oldSrc = a.mapFrames(SRC, 1, (byte) 0x11, AddressSpace.RW_USER)[0];
            a.mapFrames(DST, 1, (byte) 0, AddressSpace.RW_USER);
            a.warmMove(512, "SRC from the cache");
            final long lazyVa = 0x4008_0000L; // reserved, not mapped: the destination faults with BOF
            final long lazyHost = r.frame((byte) 0);
            final long newSrc = r.frame((byte) 0x77);
            final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
            r.iommu.pageRequests().handler((request, responder) -> {
                requests.incrementAndGet();
                a.as.map(SRC, newSrc, PAGE, AddressSpace.RW_USER); // the handler may move anything
                r.fillHost(oldSrc, PAGE, POISON);
                a.as.map(request.pageAddress(), lazyHost, PAGE, AddressSpace.RW_USER);
                responder.respond(PageRequest.RESPONSE_SUCCESS);
            });
            final Rec rec = a.run(r.desc().opcode(OP_MEMMOVE).flags(BOF).source(SRC).destination(lazyVa)
                .transferSize(512));
            assertEquals(SUCCESS, rec.status(), "copy after the page response: " + rec);
            assertEquals(1, requests.get(), "one page request");
            final byte[] expected = new byte[PAGE];
            java.util.Arrays.fill(expected, 0, 512, (byte) 0x77);
            r.assertHost(lazyHost, expected, "copied from SRC as it is after the page response");
            r.assertHost(oldSrc, PAGE, POISON, "SRC's old frame");
            r.iommu.pageRequests().handler(null);
        }
    }
}
