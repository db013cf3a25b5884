package io.softdsa.iommu;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Threading;
import io.softdsa.iommu.AddressSpace.PageSize;
import io.softdsa.memory.HostMemory;
import io.softdsa.testing.Devices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attacks on the engine's kept DMA windows (commit 8f1cd0f: an engine's cached translations outlive the descriptor
 * that made them and are reused by the next descriptor of the same PASID context if {@code Iotlb.resume} finds the
 * epoch unchanged) and on the Batch list read-ahead (commit b152f3b: a list is read in runs of up to 32 descriptors
 * with one mapping), as a hostile tenant would: the same virtual address in two PASIDs on one and two engines; a page
 * remapped, unmapped or made read-only between descriptors (by a careful driver, and by one that forgets to
 * invalidate until later); a PASID freed and bound to another tenant under the same number; Priv=1 then Priv=0 on a
 * supervisor page; a write after a read on a read-only page; a page-request handler that moves the page the last
 * descriptor used, or the batch list being read; a batch list crossing an unmapped page; an invoker-driven engine that
 * is not invoked again while an invalidation waits; a stage-2 fault resolution that unmaps a page earlier in the same
 * run; DMA dirty logging after a report; and a concurrent remapper racing two threaded engines.
 * <p>
 * Every expectation is computed by the test (plain loops over frames the test allocated and filled itself): a frame
 * the tenant no longer maps is poisoned when the invalidation returns and must stay poisoned byte for byte.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeptWindowAttackTest {
    private static final int PAGE = 4096;
    private static final byte POISON = (byte) 0xA5;
    private static final int BOF = 0x02;
    private static final long VA = 0x0000_2000_0000_0000L; // the same virtual address in every tenant

    // ------------------------------------------------------------------ helpers

    private static long pattern(int b) {
        return 0x0101_0101_0101_0101L * (b & 0xFF);
    }

    private static long frame(SvaFixture f, byte fill) {
        final long frame = f.memory.frames().allocateFrame();
        f.memory.segment().asSlice(frame, PAGE).fill(fill);
        return frame;
    }

    private static byte at(SvaFixture f, long host) {
        return f.memory.segment().get(ValueLayout.JAVA_BYTE, host);
    }

    /** Byte by byte: host [frame, frame + expected.length) holds expected. */
    private static void assertBytes(SvaFixture f, long host, byte[] expected, String what) {
        for (int i = 0; i < expected.length; i++) {
            final byte got = at(f, host + i);
            if (got != expected[i]) {
                throw new AssertionError(what + ": byte " + i + " (host 0x" + Long.toHexString(host + i) + ") is 0x"
                    + Integer.toHexString(got & 0xFF) + ", expected 0x" + Integer.toHexString(expected[i] & 0xFF));
            }
        }
    }

    private static void assertFilled(SvaFixture f, long host, int length, byte value, String what) {
        final byte[] expected = new byte[length];
        for (int i = 0; i < length; i++) {
            expected[i] = value;
        }
        assertBytes(f, host, expected, what);
    }

    private static byte[] snapshot(SvaFixture f, long host, int length) {
        final byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = at(f, host + i);
        }
        return b;
    }

    private static Descriptor fill(SvaFixture f, int pasid, long dst, long size, int b) {
        return f.client.descriptor().opcode(Opcode.FILL).pasid(pasid).destination(dst).transferSize(size)
            .fillPattern(pattern(b));
    }

    private static Descriptor move(SvaFixture f, int pasid, long src, long dst, long size) {
        return f.client.descriptor().opcode(Opcode.MEMMOVE).pasid(pasid).source(src).destination(dst)
            .transferSize(size);
    }

    /** A record at {@code va} (mapped in {@code as}), on whatever page that is. */
    private static SvaFixture.VaRecord recordAt(SvaFixture f, AddressSpace as, long va) {
        return new SvaFixture.VaRecord(va, new CompletionRecord(f.memory.segment(), as.hostAddress(va)));
    }

    // ------------------------------------------------------------------ two PASIDs, one VA

    /**
     * Tenants A and B map the same VA (data and records on that one page) to their own frames; descriptors alternate
     * between them on one engine, each writing a slice and copying another slice of its own page. Each frame must
     * hold exactly what its own tenant's descriptors made of it.
     */
    @Test
    void sameVirtualAddressInTwoPasidsAlternatingOnOneEngine() {
        try (SvaFixture f = SvaFixture.invoker()) {
            alternateTwoTenants(f, 200);
        }
    }

    /** The same on two threaded engines: whichever engine takes a descriptor, it must not use the other tenant's. */
    @Test
    void sameVirtualAddressInTwoPasidsAlternatingOnTwoThreadedEngines() {
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 2)) {
            alternateTwoTenants(f, 400);
        }
    }

    private static void alternateTwoTenants(SvaFixture f, int rounds) {
        final int[] pasids = {f.iommu.allocatePasid(), f.iommu.allocatePasid()};
        final AddressSpace[] as = new AddressSpace[2];
        final long[] frames = new long[2];
        final byte[][] model = new byte[2][PAGE];
        for (int t = 0; t < 2; t++) {
            as[t] = f.iommu.bind(pasids[t]);
            final byte init = (byte) (0x10 + t);
            frames[t] = frame(f, init);
            java.util.Arrays.fill(model[t], init);
            as[t].map(VA, frames[t], PAGE, AddressSpace.RW_USER);
        }
        final SplittableRandom rnd = new SplittableRandom(7);
        for (int r = 0; r < rounds; r++) {
            final int t = r & 1;
            final SvaFixture.VaRecord rec = recordAt(f, as[t], VA + 3968); // the last 128 bytes hold the record
            if (rnd.nextBoolean()) {
                final int off = rnd.nextInt(60) * 64;
                final int b = 0x20 + rnd.nextInt(0xC0);
                assertEquals(0x01, f.run(fill(f, pasids[t], VA + off, 64, b), rec), "round " + r);
                for (int i = 0; i < 64; i++) {
                    model[t][off + i] = (byte) b;
                }
            } else {
                final int from = rnd.nextInt(60) * 64;
                final int to = rnd.nextInt(60) * 64;
                final int len = 64;
                assertEquals(0x01, f.run(move(f, pasids[t], VA + from, VA + to, len), rec), "round " + r);
                final byte[] tmp = new byte[len];
                for (int i = 0; i < len; i++) {
                    tmp[i] = model[t][from + i];
                }
                for (int i = 0; i < len; i++) {
                    model[t][to + i] = tmp[i];
                }
            }
            for (int u = 0; u < 2; u++) {
                assertBytes(f, frames[u], java.util.Arrays.copyOf(model[u], 3968), "tenant " + u + " after round " + r);
            }
        }
    }

    // ------------------------------------------------------------------ changes between descriptors

    /** Tenant with one RW page at VA (frame returned in {@code [0]}) and a record page elsewhere. */
    private static final class Tenant {
        final int pasid;
        final AddressSpace as;
        long frame;
        final long recordVa;

        Tenant(SvaFixture f, boolean supervisorRequests) {
            pasid = f.iommu.allocatePasid();
            as = f.iommu.bind(pasid, 4, supervisorRequests);
            frame = frame(f, (byte) 0x11);
            as.map(VA, frame, PAGE, AddressSpace.RW_USER);
            recordVa = as.allocate(PAGE, AddressSpace.RW_USER);
        }

        SvaFixture.VaRecord record(SvaFixture f) {
            return recordAt(f, as, recordVa);
        }
    }

    /** The last descriptor wrote the page; it is remapped to a fresh frame: the next one writes only the new frame. */
    @Test
    void aRemapBetweenDescriptorsIsSeenByTheNextWriteAndRead() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, false);
            assertEquals(0x01, f.run(fill(f, t.pasid, VA, 128, 0x22), t.record(f)));
            final long old = t.frame;
            final long moved = frame(f, (byte) 0x33);
            t.as.map(VA, moved, PAGE, AddressSpace.RW_USER); // invalidates before it returns
            f.memory.segment().asSlice(old, PAGE).fill(POISON);
            assertEquals(0x01, f.run(fill(f, t.pasid, VA + 64, 64, 0x44), t.record(f)));
            assertFilled(f, old, PAGE, POISON, "the frame given up");
            assertFilled(f, moved, 64, (byte) 0x33, "new frame, untouched part");
            assertFilled(f, moved + 64, 64, (byte) 0x44, "new frame, written");
            // and a read of the page copies from the new frame
            assertEquals(0x01, f.run(move(f, t.pasid, VA, VA + 1024, 256), t.record(f)));
            final byte[] expected = new byte[256];
            for (int i = 0; i < 256; i++) {
                expected[i] = i >= 64 && i < 128 ? (byte) 0x44 : (byte) 0x33;
            }
            assertBytes(f, moved + 1024, expected, "copied from the new frame");
            assertFilled(f, old, PAGE, POISON, "the frame given up");
        }
    }

    @Test
    void anUnmapBetweenDescriptorsFaultsTheNextOne() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, false);
            assertEquals(0x01, f.run(fill(f, t.pasid, VA, 64, 0x22), t.record(f)));
            t.as.unmap(VA, PAGE);
            f.memory.segment().asSlice(t.frame, PAGE).fill(POISON);
            final SvaFixture.VaRecord rec = t.record(f);
            assertEquals(0x03, f.run(fill(f, t.pasid, VA + 64, 64, 0x44), rec));
            assertEquals(VA + 64, rec.cr.faultAddress());
            assertTrue(rec.cr.faultWasWrite());
            assertEquals(0, rec.cr.bytesCompleted());
            assertEquals(0x03, f.run(move(f, t.pasid, VA, t.recordVa + 1024, 64), rec), "a read faults too");
            assertEquals(VA, rec.cr.faultAddress());
            assertFilled(f, t.frame, PAGE, POISON, "the unmapped frame");
        }
    }

    @Test
    void aPageMadeReadOnlyBetweenDescriptorsIsNotWrittenThroughTheOldWindow() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, false);
            assertEquals(0x01, f.run(fill(f, t.pasid, VA, 64, 0x22), t.record(f))); // a write window on the page
            t.as.protect(VA, PAGE, AddressSpace.READ | AddressSpace.USER);
            final byte[] before = snapshot(f, t.frame, PAGE);
            final SvaFixture.VaRecord rec = t.record(f);
            assertEquals(0x03, f.run(fill(f, t.pasid, VA + 64, 64, 0x44), rec));
            assertEquals(VA + 64, rec.cr.faultAddress());
            assertTrue(rec.cr.faultWasWrite());
            assertBytes(f, t.frame, before, "read-only page");
            // reading it still works
            assertEquals(0x01, f.run(move(f, t.pasid, VA, t.recordVa + 1024, 64), rec));
            assertFilled(f, t.as.hostAddress(t.recordVa + 1024), 64, (byte) 0x22, "read from the read-only page");
        }
    }

    /** A read window on a read-only page never serves a write: in the next descriptor, or later in the same one. */
    @Test
    void aWriteAfterAReadOnAReadOnlyPageFaults() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, false);
            t.as.protect(VA, PAGE, AddressSpace.READ | AddressSpace.USER);
            final long dst = t.recordVa + 1024;
            assertEquals(0x01, f.run(move(f, t.pasid, VA, dst, 64), t.record(f)));
            final SvaFixture.VaRecord rec = t.record(f);
            assertEquals(0x03, f.run(fill(f, t.pasid, VA + 128, 64, 0x44), rec));
            assertEquals(VA + 128, rec.cr.faultAddress());
            assertTrue(rec.cr.faultWasWrite());
            // read first, then write the same read-only page within one step
            assertEquals(0x03, f.run(move(f, t.pasid, VA, VA + 2048, 64), rec));
            assertEquals(VA + 2048, rec.cr.faultAddress());
            assertTrue(rec.cr.faultWasWrite());
            assertFilled(f, t.frame, PAGE, (byte) 0x11, "the read-only page");
        }
    }

    /**
     * A driver that forgets to invalidate: the device may keep using the old frame (as a hardware IOTLB would), but
     * once the driver does invalidate, never again.
     */
    @Test
    void aForgetfulDriverGetsStaleUseOnlyUntilItInvalidates() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, false);
            assertEquals(0x01, f.run(fill(f, t.pasid, VA, 64, 0x22), t.record(f)));
            t.as.invalidateOnChange(false);
            final long old = t.frame;
            final long moved = frame(f, (byte) 0x33);
            t.as.map(VA, moved, PAGE, AddressSpace.RW_USER); // no invalidation
            assertEquals(0x01, f.run(fill(f, t.pasid, VA + 64, 64, 0x44), t.record(f)));
            // stale use allowed: the 64 bytes went to exactly one of the two frames
            final boolean toOld = at(f, old + 64) == 0x44;
            final long other = toOld ? moved : old;
            final long hit = toOld ? old : moved;
            assertFilled(f, hit + 64, 64, (byte) 0x44, "the frame written");
            assertFilled(f, other + 64, 64, toOld ? (byte) 0x33 : (byte) 0x11, "the frame not written");
            f.iommu.iotlb().invalidateRange(t.pasid, VA, PAGE); // the driver remembers
            f.memory.segment().asSlice(old, PAGE).fill(POISON);
            final byte[] movedBefore = snapshot(f, moved, PAGE);
            assertEquals(0x01, f.run(fill(f, t.pasid, VA + 128, 64, 0x55), t.record(f)));
            assertFilled(f, old, PAGE, POISON, "the old frame after the invalidation returned");
            for (int i = 128; i < 192; i++) {
                movedBefore[i] = 0x55;
            }
            assertBytes(f, moved, movedBefore, "the new frame");
        }
    }

    /** A forgetful driver that invalidates some other range of the PASID: windows go all the same (stale IOTLB ok). */
    @Test
    void anInvalidationOfAnotherRangeNeverMakesTheDeviceWriteOutsideTheTenant() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, false);
            assertEquals(0x01, f.run(fill(f, t.pasid, VA, 64, 0x22), t.record(f)));
            t.as.invalidateOnChange(false);
            t.as.unmap(VA, PAGE); // not invalidated
            f.iommu.iotlb().invalidateRange(t.pasid, VA, PAGE);
            f.memory.segment().asSlice(t.frame, PAGE).fill(POISON);
            final SvaFixture.VaRecord rec = t.record(f);
            assertEquals(0x03, f.run(fill(f, t.pasid, VA + 64, 64, 0x44), rec));
            assertFilled(f, t.frame, PAGE, POISON, "unmapped and invalidated");
        }
    }

    // ------------------------------------------------------------------ PASID lifecycle

    private enum Free { UNBIND, FREE, QUARANTINE }

    @Test
    void aPasidUnboundAndReboundToAnotherTenantWritesOnlyTheNewTenantsFrame() {
        for (Free how : Free.values()) {
            try (SvaFixture f = SvaFixture.invoker()) {
                final Tenant first = new Tenant(f, false);
                final int pasid = first.pasid;
                // the first tenant's record sits on the data page: every page it used has a window
                final SvaFixture.VaRecord rec1 = recordAt(f, first.as, VA + 2048);
                assertEquals(0x01, f.run(fill(f, pasid, VA, 64, 0x22), rec1));
                switch (how) {
                    case UNBIND -> f.iommu.unbindPasid(pasid);
                    case FREE -> f.iommu.freePasid(pasid);
                    case QUARANTINE -> {
                        f.iommu.quarantinePasid(pasid);
                        f.iommu.releaseQuarantine(pasid);
                    }
                }
                f.memory.segment().asSlice(first.frame, PAGE).fill(POISON);
                final int again = how == Free.UNBIND ? pasid : f.iommu.allocatePasid();
                assertEquals(pasid, again, "the same PASID number goes to the next tenant");
                final AddressSpace second = f.iommu.bind(pasid);
                final long frame2 = frame(f, (byte) 0x66);
                second.map(VA, frame2, PAGE, AddressSpace.RW_USER);
                final SvaFixture.VaRecord rec2 = recordAt(f, second, VA + 2048);
                assertEquals(0x01, f.run(fill(f, pasid, VA + 64, 64, 0x44), rec2), how.name());
                assertFilled(f, first.frame, PAGE, POISON, how + ": the first tenant's frame");
                assertFilled(f, frame2 + 64, 64, (byte) 0x44, how + ": the new tenant's frame");
                assertFilled(f, frame2, 64, (byte) 0x66, how + ": the new tenant's untouched bytes");
                // and a read by the new tenant copies its own bytes, not the first tenant's
                assertEquals(0x01, f.run(move(f, pasid, VA + 64, VA + 1024, 64), rec2));
                assertFilled(f, frame2 + 1024, 64, (byte) 0x44, how + ": copied from the new tenant's frame");
            }
        }
    }

    @Test
    void aPasidUnboundAndNotReboundTouchesNothing() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, false);
            final SvaFixture.VaRecord rec = recordAt(f, t.as, VA + 2048);
            assertEquals(0x01, f.run(fill(f, t.pasid, VA, 64, 0x22), rec));
            f.iommu.unbindPasid(t.pasid);
            f.memory.segment().asSlice(t.frame, PAGE).fill(POISON);
            final int swerrBefore = f.device.swerr().history().size();
            final Descriptor d = fill(f, t.pasid, VA + 64, 64, 0x44).completionAddress(VA + 2048).addFlags(0x0C);
            assertTrue(f.client.trySubmit(d));
            Devices.drive(f.device);
            assertFilled(f, t.frame, PAGE, POISON, "the unbound PASID's frame (data and record)");
            assertTrue(f.device.swerr().history().size() > swerrBefore, "the record could not be written: SWERR");
        }
    }

    // ------------------------------------------------------------------ Priv

    /** A Priv=1 descriptor writes a supervisor page; the next Priv=0 descriptor of the same PASID must fault on it. */
    @Test
    void aUserDescriptorFaultsOnASupervisorPageRightAfterAPrivilegedOneUsedIt() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, true);
            t.as.protect(VA, PAGE, AddressSpace.READ | AddressSpace.WRITE); // supervisor only
            for (int round = 0; round < 3; round++) {
                // the privileged record on the supervisor page itself: every access of it goes through one window
                final SvaFixture.VaRecord sup = recordAt(f, t.as, VA + 2048);
                assertEquals(0x01, f.run(fill(f, t.pasid, VA, 64, 0x22 + round).priv(true), sup), "Priv=1");
                final byte[] before = snapshot(f, t.frame, PAGE);
                final SvaFixture.VaRecord rec = t.record(f);
                assertEquals(0x03, f.run(fill(f, t.pasid, VA + 64, 64, 0x44).priv(false), rec), "Priv=0 write");
                assertEquals(VA + 64, rec.cr.faultAddress());
                assertEquals(0x03, f.run(move(f, t.pasid, VA, t.recordVa + 1024, 64).priv(false), rec),
                    "Priv=0 read");
                assertEquals(VA, rec.cr.faultAddress());
                assertBytes(f, t.frame, before, "supervisor page after user descriptors");
                final byte[] userPage = snapshot(f, t.as.hostAddress(t.recordVa + 1024), 64);
                for (byte b : userPage) {
                    assertTrue(b != (byte) (0x22 + round), "no supervisor byte reached the user page");
                }
            }
        }
    }

    /** The same within one batch submitted Priv=0 after a Priv=1 batch: every inner descriptor faults. */
    @Test
    void aUserBatchAfterAPrivilegedBatchFaultsOnTheSupervisorPage() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, true);
            t.as.protect(VA, PAGE, AddressSpace.READ | AddressSpace.WRITE);
            final long list = t.as.allocate(PAGE, AddressSpace.RW_USER);
            final long listHost = t.as.hostAddress(list);
            final long recs = t.as.allocate(PAGE, AddressSpace.RW_USER);
            final int n = 4;
            for (boolean priv : new boolean[] {true, false}) {
                for (int i = 0; i < n; i++) {
                    new Descriptor(f.memory.segment(), listHost + 64L * i).clear().opcode(Opcode.FILL)
                        .fillPattern(pattern(priv ? 0x22 : 0x44)).destination(VA + 64L * i).transferSize(64)
                        .completionAddress(recs + 32L * i).flags(0x0C);
                }
                final byte[] before = snapshot(f, t.frame, PAGE);
                final Descriptor batch = f.client.descriptor().opcode(Opcode.BATCH).pasid(t.pasid).priv(priv)
                    .source(list).transferSize(n);
                final int status = f.run(batch, recordAt(f, t.as, recs + 2048));
                if (priv) {
                    assertEquals(0x01, status);
                    assertFilled(f, t.frame, 64 * n, (byte) 0x22, "privileged batch");
                } else {
                    assertEquals(0x05, status);
                    for (int i = 0; i < n; i++) {
                        final CompletionRecord r = new CompletionRecord(f.memory.segment(),
                            t.as.hostAddress(recs + 32L * i));
                        assertEquals(0x03, r.status(), "inner " + i);
                        assertEquals(VA + 64L * i, r.faultAddress());
                    }
                    assertBytes(f, t.frame, before, "supervisor page after the user batch");
                }
            }
        }
    }

    // ------------------------------------------------------------------ page-request handlers

    /**
     * D1 reads page X (its window stays); D2 copies X into a page that is not mapped yet, with block on fault; the
     * page-request handler maps the destination and moves X to a fresh frame with new bytes, poisoning the old one.
     * D2 must copy the new bytes; the old frame stays poison.
     */
    @Test
    void aPageRequestHandlerThatMovesThePageTheLastDescriptorReadIsObeyed() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, false);
            final long lazy = t.as.reserve(PAGE, PageSize.SIZE_4K);
            final long moved = frame(f, (byte) 0x77);
            final long lazyFrame = frame(f, (byte) 0);
            final AtomicInteger requests = new AtomicInteger();
            f.iommu.pageRequests().handler((request, responder) -> {
                requests.incrementAndGet();
                t.as.map(VA, moved, PAGE, AddressSpace.RW_USER);
                f.memory.segment().asSlice(t.frame, PAGE).fill(POISON);
                t.as.map(request.pageAddress(), lazyFrame, PAGE, AddressSpace.RW_USER);
                responder.respond(PageRequest.RESPONSE_SUCCESS);
            });
            assertEquals(0x01, f.run(move(f, t.pasid, VA, t.recordVa + 1024, 512), t.record(f)));
            assertEquals(0x01, f.run(move(f, t.pasid, VA, lazy, 512).addFlags(BOF), t.record(f)));
            assertEquals(1, requests.get());
            assertFilled(f, lazyFrame, 512, (byte) 0x77, "copied from X as it is after the page response");
            assertFilled(f, t.frame, PAGE, POISON, "X's old frame");
        }
    }

    // ------------------------------------------------------------------ batch list read-ahead

    /** A list whose first 10 descriptors are the end of a mapped page and the rest on an unmapped page. */
    @Test
    void aBatchListCrossingIntoAnUnmappedPageStopsAtTheFirstUnreadableDescriptor() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, false);
            final long pages = t.as.allocate(2 * PAGE, AddressSpace.RW_USER);
            t.as.unmap(pages + PAGE, PAGE);
            final int inside = 10;
            final long list = pages + PAGE - 64L * inside;
            final long recs = t.as.allocate(PAGE, AddressSpace.RW_USER);
            for (int i = 0; i < inside; i++) {
                new Descriptor(f.memory.segment(), t.as.hostAddress(list + 64L * i)).clear().opcode(Opcode.FILL)
                    .fillPattern(pattern(0x30 + i)).destination(VA + 64L * i).transferSize(64)
                    .completionAddress(recs + 32L * i).flags(0x0C);
            }
            final SvaFixture.VaRecord rec = recordAt(f, t.as, recs + 2048);
            assertEquals(0x06, f.run(f.client.descriptor().opcode(Opcode.BATCH).pasid(t.pasid).source(list)
                .transferSize(20), rec));
            assertEquals(inside, rec.cr.bytesCompleted());
            assertEquals(pages + PAGE, rec.cr.faultAddress());
            for (int i = 0; i < inside; i++) {
                assertFilled(f, t.frame + 64L * i, 64, (byte) (0x30 + i), "descriptor " + i);
                assertEquals(0x01, new CompletionRecord(f.memory.segment(), t.as.hostAddress(recs + 32L * i))
                    .status());
            }
            assertFilled(f, t.frame + 64L * inside, PAGE - 64 * inside, (byte) 0x11, "nothing past the fault");
        }
    }

    /**
     * A list of 40 on one page: the first run of 32 is read at once; descriptor 1 faults (block on fault) and its
     * page-request handler moves the list page to a frame where descriptors 32..39 are different (and poisons the
     * old frame). Descriptors 32..39 are read after that invalidation returned, so they run as the new frame says;
     * in a second round the handler unmaps the list page and the batch stops at descriptor 32 with a list fault.
     */
    @Test
    void aBatchListMovedOrUnmappedByAnEarlierDescriptorsPageRequestIsReadAfresh() {
        for (boolean unmap : new boolean[] {false, true}) {
            try (SvaFixture f = SvaFixture.invoker()) {
                final Tenant t = new Tenant(f, false);
                final int n = 40;
                final long list = t.as.allocate(PAGE, AddressSpace.RW_USER);
                final long listFrame = t.as.hostAddress(list);
                final long recs = t.as.allocate(2 * PAGE, AddressSpace.RW_USER, PageSize.SIZE_4K, true);
                final long dsts = t.as.allocate(n * 64L, AddressSpace.RW_USER, PageSize.SIZE_4K, true);
                final long dstHost = t.as.hostAddress(dsts);
                final long lazy = t.as.reserve(PAGE, PageSize.SIZE_4K);
                final long lazyFrame = frame(f, (byte) 0);
                for (int i = 0; i < n; i++) {
                    final Descriptor d = new Descriptor(f.memory.segment(), listFrame + 64L * i).clear()
                        .opcode(Opcode.FILL).fillPattern(pattern(0x40 + i)).destination(dsts + 64L * i)
                        .transferSize(64).completionAddress(recs + 32L * i).flags(0x0C);
                    if (i == 1) {
                        d.destination(lazy).addFlags(BOF);
                    }
                }
                final long newList = frame(f, (byte) 0);
                f.iommu.pageRequests().handler((request, responder) -> {
                    t.as.map(request.pageAddress(), lazyFrame, PAGE, AddressSpace.RW_USER);
                    if (unmap) {
                        t.as.unmap(list, PAGE);
                    } else {
                        MemorySegment.copy(f.memory.segment(), listFrame, f.memory.segment(), newList, PAGE);
                        for (int i = 32; i < n; i++) {
                            new Descriptor(f.memory.segment(), newList + 64L * i).fillPattern(pattern(0xC0 + i));
                        }
                        t.as.map(list, newList, PAGE, AddressSpace.RW_USER);
                    }
                    f.memory.segment().asSlice(listFrame, PAGE).fill(POISON);
                    responder.respond(PageRequest.RESPONSE_SUCCESS);
                });
                final SvaFixture.VaRecord rec = recordAt(f, t.as, recs + PAGE);
                final int status = f.run(f.client.descriptor().opcode(Opcode.BATCH).pasid(t.pasid).source(list)
                    .transferSize(n), rec);
                assertFilled(f, lazyFrame, 64, (byte) 0x41, "descriptor 1 after its page request");
                for (int i = 0; i < 32; i++) {
                    if (i != 1) {
                        assertFilled(f, dstHost + 64L * i, 64, (byte) (0x40 + i), "descriptor " + i + " (read ahead)");
                    }
                }
                if (unmap) {
                    assertEquals(0x06, status, "the list page is gone when descriptor 32 is read");
                    assertEquals(32, rec.cr.bytesCompleted());
                    assertEquals(list + 32 * 64, rec.cr.faultAddress());
                    assertFilled(f, dstHost + 32 * 64, (n - 32) * 64, (byte) 0, "descriptors never read");
                } else {
                    assertEquals(0x01, status);
                    for (int i = 32; i < n; i++) {
                        assertFilled(f, dstHost + 64L * i, 64, (byte) (0xC0 + i), "descriptor " + i
                            + " read from the list's new frame");
                    }
                }
                assertFilled(f, listFrame, PAGE, POISON, "the list's old frame");
            }
        }
    }

    // ------------------------------------------------------------------ invoker-driven engines

    /**
     * An invoker-driven engine keeps its windows when nobody invokes it any more: an invalidation from another thread
     * must still return (the engine holds no epoch between descriptors), after a plain descriptor, a batch, a faulting
     * descriptor and one that waited on a page request; then the next descriptor uses the new mapping.
     */
    @Test
    void anInvalidationNeverWaitsForAnInvokerEngineThatIsNoLongerInvoked() throws Exception {
        try (SvaFixture f = SvaFixture.invoker()) {
            final Tenant t = new Tenant(f, false);
            final long list = t.as.allocate(PAGE, AddressSpace.RW_USER);
            final long lazy = t.as.reserve(PAGE, PageSize.SIZE_4K);
            f.iommu.pageRequests().handler((request, responder) -> {
                t.as.map(request.pageAddress(), frame(f, (byte) 0), PAGE, AddressSpace.RW_USER);
                responder.respond(PageRequest.RESPONSE_SUCCESS);
            });
            for (int i = 0; i < 2; i++) {
                new Descriptor(f.memory.segment(), t.as.hostAddress(list) + 64L * i).clear().opcode(Opcode.FILL)
                    .fillPattern(pattern(0x50)).destination(VA + 64L * i).transferSize(64);
            }
            final List<Descriptor> kinds = List.of(
                fill(f, t.pasid, VA, 64, 0x22),
                f.client.descriptor().opcode(Opcode.BATCH).pasid(t.pasid).source(list).transferSize(2),
                fill(f, t.pasid, t.recordVa + PAGE * 16, 64, 0x22), // unmapped: 0x03
                fill(f, t.pasid, lazy, 64, 0x22).addFlags(BOF));
            int k = 0;
            for (Descriptor d : kinds) {
                final SvaFixture.VaRecord rec = recordAt(f, t.as, VA + 2048);
                f.run(d, rec); // runs it, then nobody invokes the engine again for a while
                final long old = t.frame;
                final long moved = frame(f, (byte) (0x60 + k));
                CompletableFuture.runAsync(() -> t.as.map(VA, moved, PAGE, AddressSpace.RW_USER))
                    .get(10, TimeUnit.SECONDS);
                t.frame = moved;
                f.memory.segment().asSlice(old, PAGE).fill(POISON);
                assertEquals(0x01, f.run(fill(f, t.pasid, VA + 128, 64, 0x70 + k), recordAt(f, t.as, VA + 2048)));
                assertFilled(f, old, PAGE, POISON, "kind " + k + ": the old frame");
                assertFilled(f, moved + 128, 64, (byte) (0x70 + k), "kind " + k + ": the new frame");
                k++;
            }
        }
    }

    // ------------------------------------------------------------------ stage 2

    /**
     * Stage-2 only (a guest's default domain): guest page G0 is backed by host frame A, G1 by nothing. A fill of
     * G0..G1 translates G0 (frame A), then misses on G1; the host's stage-2 fault handler takes G0 away (unmap, which
     * invalidates and returns: this engine holds no epoch while the handler runs) and backs G1 with the frame right
     * after A. The engine must not write frame A any more: G0 faults again and the handler backs it with frame B.
     */
    @Test
    void aStage2ResolutionThatUnmapsAnEarlierPageOfTheSameRunIsObeyed() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final SecondLevelTables s2 = f.iommu.newSecondLevel();
            final int pasid = f.iommu.allocatePasid();
            final long g0 = 0x10_0000L;
            final long g1 = g0 + PAGE;
            final long gRecord = 0x20_0000L;
            final long frameA = f.memory.frames().allocateContiguous(2L * PAGE, PAGE);
            f.memory.segment().asSlice(frameA, 2L * PAGE).fill((byte) 0);
            final long frameB = frame(f, (byte) 0);
            final long recordFrame = frame(f, (byte) 0);
            s2.map(g0, frameA, PAGE, true);
            s2.map(gRecord, recordFrame, PAGE, true);
            final AtomicInteger resolutions = new AtomicInteger();
            final AtomicBoolean aGivenUp = new AtomicBoolean();
            s2.faultHandler((gpa, write) -> {
                resolutions.incrementAndGet();
                final long page = gpa & -PAGE;
                if (page == g1) {
                    s2.unmap(g0, PAGE); // invalidates: from its return, frame A is no longer the guest's
                    f.memory.segment().asSlice(frameA, PAGE).fill(POISON);
                    aGivenUp.set(true);
                    s2.map(g1, frameA + PAGE, PAGE, true);
                    return true;
                }
                if (page == g0) {
                    s2.map(g0, frameB, PAGE, true);
                    return true;
                }
                return false;
            });
            f.iommu.bindSecondLevel(pasid, s2);
            final SvaFixture.VaRecord rec = new SvaFixture.VaRecord(gRecord,
                new CompletionRecord(f.memory.segment(), recordFrame));
            assertEquals(0x01, f.run(fill(f, pasid, g0, 2L * PAGE, 0x5A), rec));
            assertTrue(aGivenUp.get());
            assertFilled(f, frameA, PAGE, POISON, "frame A, unmapped by the stage-2 handler before any write");
            assertFilled(f, frameB, PAGE, (byte) 0x5A, "G0's new frame");
            assertFilled(f, frameA + PAGE, PAGE, (byte) 0x5A, "G1's frame");
        }
    }

    /**
     * DMA dirty logging over stage 2: a write after reportAndClearDirty is logged again, even when the previous
     * descriptor wrote the same page (its window and IOTLB entry remember "dirty already set"); a read is not.
     */
    @Test
    void aWriteAfterADirtyReportIsLoggedAgainEvenOnThePageTheLastDescriptorWrote() {
        try (SvaFixture f = SvaFixture.invoker()) {
            final SecondLevelTables s2 = f.iommu.newSecondLevel();
            final int pasid = f.iommu.allocatePasid();
            final long g = 0x40_0000L; // 4 data pages, then the record page
            final long backing = f.memory.frames().allocateContiguous(5L * PAGE, PAGE);
            f.memory.segment().asSlice(backing, 5L * PAGE).fill((byte) 0);
            s2.map(g, backing, 5L * PAGE, true);
            f.iommu.bindSecondLevel(pasid, s2);
            final long gRecord = g + 4L * PAGE;
            final SvaFixture.VaRecord rec = new SvaFixture.VaRecord(gRecord,
                new CompletionRecord(f.memory.segment(), backing + 4L * PAGE));
            s2.startDirtyLogging();
            // page 0 written, page 1 read
            assertEquals(0x01, f.run(fill(f, pasid, g, 64, 0x22), rec));
            assertEquals(0x01, f.run(move(f, pasid, g + PAGE, g + 128, 64), rec));
            assertEquals(0b0001, s2.reportAndClearDirty(g, 4L * PAGE, 12)[0]);
            for (int round = 0; round < 5; round++) {
                final int page = round % 3;
                assertEquals(0x01, f.run(fill(f, pasid, g + page * PAGE + 256, 64, 0x30 + round), rec));
                assertEquals(0x01, f.run(move(f, pasid, g + 3L * PAGE, g + page * PAGE + 512, 64), rec));
                assertEquals(1L << page, s2.reportAndClearDirty(g, 4L * PAGE, 12)[0], "round " + round);
                // the same page again, right after the report
                assertEquals(0x01, f.run(fill(f, pasid, g + page * PAGE + 1024, 64, 0x40 + round), rec));
                assertEquals(1L << page, s2.reportAndClearDirty(g, 4L * PAGE, 12)[0], "round " + round + " again");
                // only a read of it: not dirty
                assertEquals(0x01, f.run(move(f, pasid, g + page * PAGE, g + 3L * PAGE + 64, 64), rec));
                assertEquals(1L << 3, s2.reportAndClearDirty(g, 4L * PAGE, 12)[0], "round " + round + " read");
            }
        }
    }

    // ------------------------------------------------------------------ concurrent remapper

    /**
     * Two threaded engines fill one tenant page over and over while another thread keeps moving the page to a fresh
     * frame (map, which invalidates before it returns) and then poisons the frame it gave up. Every frame given up
     * must stay poison: a window or IOTLB entry used after the invalidation returned would write into it.
     */
    @Test
    void aConcurrentRemapperNeverSeesAFrameItGaveUpWritten() throws Exception {
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 2)) {
            final Tenant t = new Tenant(f, false);
            final List<Long> givenUp = java.util.Collections.synchronizedList(new ArrayList<>());
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread remapper = new Thread(() -> {
                try {
                    long current = t.frame;
                    while (!stop.get()) {
                        final long next = frame(f, (byte) 0x11);
                        t.as.map(VA, next, PAGE, AddressSpace.RW_USER);
                        f.memory.segment().asSlice(current, PAGE).fill(POISON);
                        givenUp.add(current);
                        current = next;
                        Thread.onSpinWait();
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            remapper.start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
            int submitted = 0;
            try {
                final SplittableRandom rnd = new SplittableRandom(3);
                while (System.nanoTime() < deadline && submitted < 20_000 && givenUp.size() < 3000) {
                    final int off = rnd.nextInt(60) * 64;
                    // records on their own page (never moved); data on the moving page, reads and writes
                    final SvaFixture.VaRecord rec = recordAt(f, t.as, t.recordVa + 64L * (submitted & 31));
                    final Descriptor d = (submitted & 1) == 0 ? fill(f, t.pasid, VA + off, 64, 0x22)
                        : move(f, t.pasid, VA + off, VA + (off ^ 2048), 64);
                    assertEquals(0x01, f.run(d, rec), "descriptor " + submitted);
                    submitted++;
                }
            } finally {
                stop.set(true);
                remapper.join(10_000);
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertTrue(givenUp.size() > 10, "the remapper ran: " + givenUp.size());
            synchronized (givenUp) {
                for (long frame : givenUp) {
                    assertFilled(f, frame, PAGE, POISON, "a frame given up (" + submitted + " descriptors)");
                }
            }
        }
    }
}
