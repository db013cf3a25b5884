package io.softdsa.mdev.matrix;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.mdev.matrix.Target.Record;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static io.softdsa.testing.References.random;
import static io.softdsa.testing.References.referenceCrc;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The engine's {@code BatchTest} and {@code CacheFlushAndTranslationFetchTest} on every cell, and page faults with
 * and without block-on-fault: partial completion where the tenant's reach ends, and page requests that map the pages
 * so the descriptor completes.
 */
class BatchAndFaultsMatrixTest extends MatrixTest {
    private static final int MAX_BATCH = 64;
    private static final int RECORD = DescriptorFlags.COMPLETION_ADDRESS_VALID
        | DescriptorFlags.REQUEST_COMPLETION_RECORD;

    /** A list of {@code n} descriptors in tenant memory and a record for each. */
    private static final class BatchList {
        final Target t;
        final long list;
        final Descriptor[] entries;
        final Record[] records;

        BatchList(Target t, int n) {
            this.t = t;
            list = t.alloc(64L * n);
            entries = new Descriptor[n];
            records = new Record[n];
            for (int i = 0; i < n; i++) {
                records[i] = t.record();
                records[i].cr().arm();
                entries[i] = t.descriptor().completionAddress(records[i].address()).flags(RECORD);
            }
        }

        Descriptor batch() {
            for (int i = 0; i < entries.length; i++) {
                t.writeDescriptor(list + 64L * i, entries[i]);
            }
            return t.desc(Opcode.BATCH).source(list).transferSize(entries.length);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void mixedBatchWithAFailureInTheMiddle(Target t) {
        final Record batch = t.record();
        for (int n : new int[] {2, 3, 17, MAX_BATCH}) {
            final BatchList b = new BatchList(t, n);
            final SplittableRandom rnd = new SplittableRandom(n);
            final int failing = n / 2;
            final int[] kinds = new int[n];
            final List<byte[]> sources = new ArrayList<>();
            final long[] dsts = new long[n];
            for (int i = 0; i < n; i++) {
                final int size = 1 + rnd.nextInt(5000);
                final byte[] data = random(size, i);
                sources.add(data);
                final long src = t.put(data);
                dsts[i] = t.alloc(size);
                kinds[i] = i == failing ? -1 : rnd.nextInt(4);
                final Descriptor d = b.entries[i];
                switch (kinds[i]) {
                    case -1 -> d.opcode(Opcode.MEMMOVE).source(src).destination(dsts[i]).transferSize(0);
                    case 0 -> d.opcode(Opcode.MEMMOVE).source(src).destination(dsts[i]).transferSize(size);
                    case 1 -> d.opcode(Opcode.FILL).fillPattern(0xA5A5_A5A5_A5A5_A5A5L).destination(dsts[i])
                        .transferSize(size);
                    case 2 -> d.opcode(Opcode.CRC_GENERATION).source(src).transferSize(size);
                    default -> d.opcode(Opcode.NOOP);
                }
            }
            assertEquals(0x05, t.run(b.batch(), batch), "batch of " + n + " failed");
            assertEquals(1, batch.cr().result());
            assertEquals(n, batch.cr().bytesCompleted(), "every descriptor processed, failed ones included");
            for (int i = 0; i < n; i++) {
                final var cr = b.records[i].cr();
                final byte[] data = sources.get(i);
                switch (kinds[i]) {
                    case -1 -> assertEquals(0x13, cr.status(), "the failing one, in its own record");
                    case 0 -> {
                        assertEquals(0x01, cr.status());
                        assertArrayEquals(data, t.read(dsts[i], data.length));
                    }
                    case 1 -> {
                        assertEquals(0x01, cr.status());
                        final byte[] filled = new byte[data.length];
                        Arrays.fill(filled, (byte) 0xA5);
                        assertArrayEquals(filled, t.read(dsts[i], data.length));
                    }
                    case 2 -> {
                        assertEquals(0x01, cr.status());
                        assertEquals(referenceCrc(data, 0, 0), cr.crcValue());
                    }
                    default -> assertEquals(0x01, cr.status());
                }
            }
        }
    }

    /**
     * Every operation in one batch, producers then consumers that check them (DIF insert then check and strip, create
     * then apply delta, copy with CRC then compare, fill then compare pattern, dualcast then CRC of the second copy),
     * a failing descriptor in the middle after which the unfenced rest still runs, and a fenced one that stops.
     */
    @ParameterizedTest
    @MethodSource("targets")
    void batchOfEveryOperationWithAFailureInTheMiddle(Target t) {
        final Record batch = t.record();
        final int n = 17;
        final BatchList b = new BatchList(t, n);
        final byte[] data = random(512 * 4, 21);
        final byte[] a = random(4096, 22);
        final byte[] changed = a.clone();
        for (int w : new int[] {0, 7, 300, 511}) {
            changed[8 * w] ^= (byte) 0x5A;
        }
        final long src = t.put(data);
        final long prot = t.alloc(520 * 4);
        final long stripped = t.alloc(512 * 4);
        final long s1 = t.put(a);
        final long s2 = t.put(changed);
        final long delta = t.alloc(4096);
        final long patched = t.put(a);
        final long copy = t.alloc(4096);
        final long d1 = t.alloc(8192);
        final long d2 = t.allocSamePageOffset(8192, d1);
        final long filled = t.alloc(4096);
        int i = 0;
        b.entries[i++].opcode(Opcode.DIF_INSERT).source(src).destination(prot).transferSize(512 * 4).u32(56, 100);
        b.entries[i++].opcode(Opcode.CREATE_DELTA).source(s1).destination(s2).transferSize(4096).u64(40, delta)
            .u32(48, 4090);
        b.entries[i++].opcode(Opcode.COPY_CRC).source(s1).destination(copy).transferSize(4096);
        b.entries[i++].opcode(Opcode.DUALCAST).source(s1).destination(d1).destination2(d2).transferSize(4096);
        b.entries[i++].opcode(Opcode.FILL).fillPattern(0x1122_3344_5566_7788L).destination(filled).transferSize(4096);
        b.entries[i++].opcode(Opcode.CACHE_FLUSH).destination(filled).transferSize(4096);
        b.entries[i++].opcode(Opcode.TRANSLATION_FETCH).source(s1).transferSize(4096);
        b.entries[i++].opcode(Opcode.NOOP);
        final int failing = i;
        b.entries[i++].opcode(Opcode.DUALCAST).source(s1).destination(d1).destination2(d2 + 8).transferSize(64);
        b.entries[i++].opcode(Opcode.DIF_CHECK).source(prot).transferSize(520 * 4).u32(48, 100);
        b.entries[i++].opcode(Opcode.DIF_STRIP).source(prot).destination(stripped).transferSize(520 * 4)
            .u32(48, 100);
        b.entries[i++].opcode(Opcode.APPLY_DELTA).source(delta).destination(patched).transferSize(4096).u32(40, 40);
        b.entries[i++].opcode(Opcode.COMPARE).source(s1).destination(copy).transferSize(4096);
        b.entries[i++].opcode(Opcode.COMPARE_PATTERN).source(filled).comparePattern(0x1122_3344_5566_7788L)
            .transferSize(4096);
        b.entries[i++].opcode(Opcode.CRC_GENERATION).source(d2).transferSize(4096);
        b.entries[i++].opcode(Opcode.MEMMOVE).source(d1).destination(d1 + 4096).transferSize(4096);
        b.entries[i++].opcode(Opcode.NOOP).addFlags(0x01);
        assertEquals(n, i);

        assertEquals(0x05, t.run(b.batch(), batch));
        assertEquals(1, batch.cr().result());
        assertEquals(16, batch.cr().bytesCompleted(), "stopped at the fenced descriptor 16");
        for (int k = 0; k < n; k++) {
            assertEquals(k == failing ? 0x17 : k == 16 ? 0 : 0x01, b.records[k].cr().rawStatus(), "descriptor " + k);
        }
        assertEquals(1, b.records[1].cr().result(), "create delta: differences found");
        assertEquals(40, b.records[1].cr().deltaRecordSize(), "four 10-byte entries");
        assertArrayEquals(changed, t.read(patched, 4096), "apply reproduced source 2");
        assertArrayEquals(data, t.read(stripped, 512 * 4), "insert, check, strip round trip");
        assertEquals(0, b.records[12].cr().result(), "the CRC copy equals its source");
        assertEquals(0, b.records[13].cr().result(), "fill wrote the pattern");
        assertEquals(referenceCrc(a, 0, 0), b.records[2].cr().crcValue());
        assertEquals(referenceCrc(a, 0, 0), b.records[14].cr().crcValue(), "dualcast's second copy has its CRC");
        assertArrayEquals(a, t.read(d1 + 4096, 4096));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void fenceStopsTheRestAfterAFailureAndProceedsAfterSuccesses(Target t) {
        final Record batch = t.record();
        final BatchList b = new BatchList(t, 6);
        b.entries[0].opcode(Opcode.NOOP);
        b.entries[1].opcode(Opcode.MEMMOVE).transferSize(0);
        b.entries[2].opcode(Opcode.NOOP);
        b.entries[3].opcode(Opcode.NOOP).addFlags(0x01);
        b.entries[4].opcode(Opcode.NOOP);
        b.entries[5].opcode(Opcode.NOOP);
        assertEquals(0x05, t.run(b.batch(), batch));
        assertEquals(3, batch.cr().bytesCompleted(), "index of the fenced descriptor");
        assertEquals(0x01, b.records[0].cr().status());
        assertEquals(0x13, b.records[1].cr().status());
        assertEquals(0x01, b.records[2].cr().status());
        for (int i = 3; i < 6; i++) {
            assertEquals(0, b.records[i].cr().rawStatus(), "not executed, no record");
        }
        final byte[] data = random(4096, 8);
        final long src = t.put(data);
        final long mid = t.alloc(4096);
        final long dst = t.alloc(4096);
        final BatchList chain = new BatchList(t, 3);
        chain.entries[0].opcode(Opcode.MEMMOVE).source(src).destination(mid).transferSize(4096);
        chain.entries[1].opcode(Opcode.MEMMOVE).source(mid).destination(dst).transferSize(4096).addFlags(0x01);
        chain.entries[2].opcode(Opcode.NOOP);
        assertEquals(0x01, t.run(chain.batch(), batch));
        assertEquals(3, batch.cr().bytesCompleted());
        assertArrayEquals(data, t.read(dst, 4096));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void batchAndDrainInsideABatchAreUnsupported(Target t) {
        final Record batch = t.record();
        final BatchList b = new BatchList(t, 3);
        b.entries[0].opcode(Opcode.BATCH).source(b.list).transferSize(2);
        b.entries[1].opcode(Opcode.DRAIN);
        b.entries[2].opcode(Opcode.NOOP);
        assertEquals(0x05, t.run(b.batch(), batch));
        assertEquals(0x10, b.records[0].cr().status());
        assertEquals(0x10, b.records[1].cr().status());
        assertEquals(0x01, b.records[2].cr().status());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void countAndAlignmentRules(Target t) {
        final Record batch = t.record();
        final BatchList b = new BatchList(t, MAX_BATCH + 1);
        assertEquals(0x14, t.run(b.batch().transferSize(1), batch), "count < 2");
        assertEquals(0x14, t.run(b.batch().transferSize(0), batch), "count 0");
        assertEquals(0x14, t.run(b.batch().transferSize(MAX_BATCH + 1), batch), "count > WQ max batch");
        assertEquals(0x18, t.run(b.batch().source(b.list + 32).transferSize(2), batch));
        assertEquals(0x14, t.run(b.batch().source(b.list + 32).transferSize(1), batch),
            "count (step 7) before alignment (step 8)");
        assertEquals(0x11, t.run(b.batch().transferSize(2).addFlags(0x01), batch), "fence not allowed");
    }

    @ParameterizedTest
    @MethodSource("targets")
    void faultReadingTheListReportsWhereToResume(Target t) {
        final Record batch = t.record();
        final long list = t.endOfReach(128); // the first two descriptors, then the end of the reach
        final Record r0 = t.record();
        final Record r1 = t.record();
        r0.cr().arm();
        r1.cr().arm();
        t.writeDescriptor(list, t.desc(Opcode.NOOP).completionAddress(r0.address()).flags(RECORD));
        t.writeDescriptor(list + 64, t.desc(Opcode.NOOP).completionAddress(r1.address()).flags(RECORD));
        assertEquals(0x06, t.run(t.desc(Opcode.BATCH).source(list).transferSize(4), batch));
        assertEquals(2, batch.cr().bytesCompleted(), "descriptors read before the fault");
        assertEquals(list + 128, batch.cr().faultAddress());
        assertEquals(0x01, r0.cr().status());
        assertEquals(0x01, r1.cr().status());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void errorsWithoutARecordGoToTheTenantsSwerrWithTheBatchIndex(Target t) {
        final int seen = t.softwareErrorCount();
        t.submitWithoutRecord(t.desc(0x3F).transferSize(64)); // no record: only SWERR can tell
        final long[] top = t.awaitSoftwareError(seen);
        assertEquals(0x10, (top[0] >>> 8) & 0xFF, "SWERR word 0 bits 15:8: unsupported opcode");
        assertEquals(0, top[0] & 0x10, "not in a batch");
        assertEquals(0x3F, (top[0] >>> 32) & 0xFF, "word 0 bits 39:32: the opcode");

        final Record batch = t.record();
        final BatchList b = new BatchList(t, 3);
        b.entries[0].opcode(Opcode.NOOP);
        b.entries[1].opcode(Opcode.MEMMOVE).transferSize(0).flags(0); // no CRAV
        b.entries[2].opcode(Opcode.NOOP);
        assertEquals(0x05, t.run(b.batch(), batch));
        final long[] inner = t.awaitSoftwareError(seen + 1);
        assertEquals(0x13, (inner[0] >>> 8) & 0xFF);
        assertEquals(0x10, inner[0] & 0x10, "word 0 bit 4: in a batch");
        assertEquals(1, inner[1] & 0xFFFF, "word 1 bits 15:0: the batch index");
    }

    // ---- cache flush and translation fetch

    @ParameterizedTest
    @MethodSource("targets")
    void cacheFlushAndTranslationFetchLeaveMemoryUnchanged(Target t) {
        final Record cr = t.record();
        final int[][] flushes = {{1, 0}, {4096, 0}, {100000, 0}, {100000, 256}, {12345, 8192}};
        for (int[] f : flushes) {
            final byte[] data = random(f[0], f[0]);
            final long b = t.put(data);
            assertEquals(0x01, t.run(t.desc(Opcode.CACHE_FLUSH).destination(b).transferSize(f[0]).addFlags(f[1]),
                cr), Arrays.toString(f));
            assertEquals(0, cr.cr().bytesCompleted());
            assertArrayEquals(data, t.read(b, f[0]));
        }
        final int size = 64 * 1024;
        for (int stride : new int[] {0, 1, 8, 4096, 10000, 1 << 20}) {
            final byte[] data = random(size, stride);
            final long b = t.put(data);
            assertEquals(0x01, t.run(t.desc(Opcode.TRANSLATION_FETCH).source(b + 100).transferSize(size - 100)
                .u32(48, stride), cr), "stride " + stride);
            assertEquals(0, cr.cr().bytesCompleted());
            assertArrayEquals(data, t.read(b, size));
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void cacheFlushFaultsLikeAWriteWhereTheReachEnds(Target t) {
        final Record cr = t.record();
        final long at = t.endOfReach(5000);
        assertEquals(t.faultStatus(), t.run(t.desc(Opcode.CACHE_FLUSH).destination(at).transferSize(8192), cr));
        assertEquals(5000, cr.cr().bytesCompleted());
        assertEquals(at + 5000, cr.cr().faultAddress());
        assertEquals(t.faultBit(true), cr.cr().faultWasWrite());
        assertEquals(t.faultStatus(), t.run(t.desc(Opcode.CACHE_FLUSH).destination(at + 5000 + 4096)
            .transferSize(64), cr));
        assertEquals(0, cr.cr().bytesCompleted());
        assertEquals(at + 5000 + 4096, cr.cr().faultAddress());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void translationFetchFaultsLikeAReadWhereTheReachEnds(Target t) {
        final Record cr = t.record();
        final long end = t.endOfReach(3 * 4096 + 10) + 3 * 4096 + 10;
        assertEquals(t.faultStatus(), t.run(t.desc(Opcode.TRANSLATION_FETCH).source(end - 3 * 4096 - 10)
            .transferSize(5 * 4096), cr));
        assertEquals(3 * 4096 + 10, cr.cr().bytesCompleted(), "every page up to the end was translated");
        assertEquals(end, cr.cr().faultAddress());
        assertEquals(t.faultBit(false), cr.cr().faultWasWrite());
        final long start = t.endOfReach(4096);
        assertEquals(0x01, t.run(t.desc(Opcode.TRANSLATION_FETCH).source(start).transferSize(8192)
            .u32(48, 8192), cr), "a stride of 8192 only visits start");
        assertEquals(t.faultStatus(), t.run(t.desc(Opcode.TRANSLATION_FETCH).source(start).transferSize(8192)
            .u32(48, 3000), cr));
        assertEquals(6000, cr.cr().bytesCompleted());
        assertEquals(start + 6000, cr.cr().faultAddress());
    }

    // ---- page faults, with and without block-on-fault

    @ParameterizedTest
    @MethodSource("targets")
    void memmoveStopsWhereTheReachEndsOnEitherOperand(Target t) {
        final Record cr = t.record();
        final byte[] data = random(3 * 4096, 31);
        final long src = t.endOfReach(5000);
        t.write(src, Arrays.copyOf(data, 5000));
        final long dst = t.alloc(data.length);
        assertEquals(t.faultStatus(), t.run(t.desc(Opcode.MEMMOVE).source(src).destination(dst)
            .transferSize(data.length), cr));
        assertEquals(src + 5000, cr.cr().faultAddress());
        assertEquals(t.faultBit(false), cr.cr().faultWasWrite(), "a read fault");
        assertEquals(5000, cr.cr().bytesCompleted(), "everything before the faulting page (or the end of memory)");
        assertArrayEquals(Arrays.copyOf(data, 5000), t.read(dst, 5000));

        final long out = t.endOfReach(700);
        final long in = t.put(data);
        assertEquals(t.faultStatus(), t.run(t.desc(Opcode.MEMMOVE).source(in).destination(out).transferSize(4096),
            cr));
        assertEquals(out + 700, cr.cr().faultAddress());
        assertEquals(t.faultBit(true), cr.cr().faultWasWrite(), "a write fault");
        assertEquals(700, cr.cr().bytesCompleted());
        assertArrayEquals(Arrays.copyOf(data, 700), t.read(out, 700));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void withoutBlockOnFaultAnUnmappedPageIsReportedInTheRecord(Target t) {
        requireBlockOnFault(t);
        final Record cr = t.record();
        final long src = t.put(random(8192, 41));
        final long dst = t.onDemand(8192);
        assertEquals(0x03, t.run(t.desc(Opcode.MEMMOVE).source(src).destination(dst).transferSize(8192), cr));
        assertEquals(dst, cr.cr().faultAddress());
        assertEquals(true, cr.cr().faultWasWrite());
        assertEquals(0, cr.cr().bytesCompleted());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void withBlockOnFaultPageRequestsMapThePagesAndTheDescriptorCompletes(Target t) {
        requireBlockOnFault(t);
        final Record cr = t.record();
        final byte[] data = random(16384, 51);
        final long src = t.put(data);
        final long dst = t.onDemand(16384);
        assertEquals(0x01, t.run(t.desc(Opcode.MEMMOVE).source(src).destination(dst).transferSize(16384)
            .addFlags(DescriptorFlags.BLOCK_ON_FAULT), cr));
        assertEquals(0, cr.cr().bytesCompleted());
        assertArrayEquals(data, t.read(dst, 16384));
        // a read operand too: the CRC of a source that is faulted in page by page
        final long lazy = t.onDemand(3 * 4096);
        assertEquals(0x01, t.run(t.desc(Opcode.CRC_GENERATION).source(lazy).transferSize(3 * 4096)
            .addFlags(DescriptorFlags.BLOCK_ON_FAULT), cr));
        assertEquals(referenceCrc(new byte[3 * 4096], 0, 0), cr.cr().crcValue());
    }
}
