package io.softdsa.ops;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.memory.HostBuffer;
import io.softdsa.testing.Fixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.softdsa.testing.Fixture.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Batch (0x01): the list, each inner record, fences and the batch's own record (fact sheet section 7). */
class BatchTest {
    private static final int MAX_BATCH = 64;
    private Fixture f;
    private CompletionRecord batchRecord;

    @BeforeEach
    void setUp() {
        f = Fixture.invoker(DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
            .wq(WqConfig.builder(0).shared().size(16).group(0).maxBatchSize(MAX_BATCH).build()).build());
        batchRecord = f.client.completionRecord();
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    /** A list of {@code n} descriptors in host memory and a record for each. */
    private final class BatchList {
        final HostBuffer list;
        final List<CompletionRecord> records = new ArrayList<>();
        final int n;

        BatchList(int n) {
            this.n = n;
            this.list = f.buffer(64L * n);
            for (int i = 0; i < n; i++) {
                records.add(f.client.completionRecord());
            }
        }

        Descriptor at(int i) {
            return new Descriptor(f.mem(), list.address() + 64L * i).clear()
                .completionAddress(records.get(i).address()).flags(0x0C);
        }

        Descriptor batch() {
            return f.client.descriptor().opcode(Opcode.BATCH).source(list.address()).transferSize(n);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 17, MAX_BATCH})
    void mixedBatchWithAFailureInTheMiddle(int n) {
        final BatchList b = new BatchList(n);
        final SplittableRandom rnd = new SplittableRandom(n);
        final int failing = n / 2;
        final List<byte[]> expectedDst = new ArrayList<>();
        final List<HostBuffer> dsts = new ArrayList<>();
        final List<Integer> kinds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final int size = 1 + rnd.nextInt(5000);
            final HostBuffer src = f.buffer(size);
            final HostBuffer dst = f.buffer(size);
            Fixture.fillRandom(src.segment(), i);
            dsts.add(dst);
            final int kind = i == failing ? -1 : rnd.nextInt(4);
            kinds.add(kind);
            final Descriptor d = b.at(i);
            switch (kind) {
                case -1 -> d.opcode(Opcode.MEMMOVE).source(src.address()).destination(dst.address()).transferSize(0);
                case 0 -> d.opcode(Opcode.MEMMOVE).source(src.address()).destination(dst.address())
                    .transferSize(size);
                case 1 -> d.opcode(Opcode.FILL).fillPattern(0xA5A5_A5A5_A5A5_A5A5L).destination(dst.address())
                    .transferSize(size);
                case 2 -> d.opcode(Opcode.CRC_GENERATION).source(src.address()).transferSize(size);
                default -> d.opcode(Opcode.NOOP);
            }
            final byte[] expect = new byte[size];
            if (kind == 0) {
                System.arraycopy(bytes(src.segment()), 0, expect, 0, size);
            } else if (kind == 1) {
                java.util.Arrays.fill(expect, (byte) 0xA5);
            }
            expectedDst.add(expect);
            if (kind == 2) {
                expectedDst.set(i, bytes(src.segment())); // remember the source for the CRC check
            }
        }
        assertEquals(0x05, f.run(b.batch(), batchRecord), "batch failed");
        assertEquals(1, batchRecord.result());
        assertEquals(n, batchRecord.bytesCompleted(), "every descriptor processed, failed ones included");
        for (int i = 0; i < n; i++) {
            final CompletionRecord cr = b.records.get(i);
            switch (kinds.get(i)) {
                case -1 -> assertEquals(0x13, cr.status(), "the failing one, in its own record");
                case 0, 1 -> {
                    assertEquals(0x01, cr.status());
                    assertArrayEquals(expectedDst.get(i), bytes(dsts.get(i).segment()));
                }
                case 2 -> {
                    assertEquals(0x01, cr.status());
                    assertEquals(CoreOperationsTest.referenceCrc(expectedDst.get(i), 0, 0), cr.crcValue());
                }
                default -> assertEquals(0x01, cr.status());
            }
        }
    }

    /**
     * Every operation in one batch, producers and consumers chained with fences so each inner result is checked by
     * the device itself as well as by plain references: DIF insert then DIF check and strip, create delta then apply
     * delta, copy-with-CRC then CRC generation of the copy, and a failing descriptor in the middle after which the
     * unfenced rest still runs.
     */
    @Test
    void batchOfEveryOperationWithAFailureInTheMiddle() {
        final int n = 17;
        final BatchList b = new BatchList(n);
        final int blocks = 4;
        final HostBuffer data = f.buffer(512L * blocks);
        final HostBuffer protectedData = f.buffer(520L * blocks);
        final HostBuffer stripped = f.buffer(512L * blocks);
        final HostBuffer s1 = f.buffer(4096);
        final HostBuffer s2 = f.buffer(4096);
        final HostBuffer delta = f.buffer(4096);
        final HostBuffer patched = f.buffer(4096);
        final HostBuffer copy = f.buffer(4096);
        final HostBuffer d1 = f.buffer(8192);
        final HostBuffer d2 = f.buffer(8192);
        final HostBuffer filled = f.buffer(4096);
        Fixture.fillRandom(data.segment(), 21);
        Fixture.fillRandom(s1.segment(), 22);
        MemorySegment.copy(s1.segment(), 0, s2.segment(), 0, 4096);
        MemorySegment.copy(s1.segment(), 0, patched.segment(), 0, 4096);
        for (int w : new int[] {0, 7, 300, 511}) {
            s2.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 8L * w, 0x0123_4567_89AB_CDEFL ^ w);
        }
        int i = 0;
        b.at(i++).opcode(Opcode.DIF_INSERT).source(data.address()).destination(protectedData.address())
            .transferSize(512L * blocks).u32(56, 100);                                            // 0
        b.at(i++).opcode(Opcode.CREATE_DELTA).source(s1.address()).destination(s2.address())
            .transferSize(4096).u64(40, delta.address()).u32(48, 4090);                           // 1
        b.at(i++).opcode(Opcode.COPY_CRC).source(s1.address()).destination(copy.address()).transferSize(4096); // 2
        b.at(i++).opcode(Opcode.DUALCAST).source(s1.address()).destination(d1.address())
            .destination2(d2.address()).transferSize(4096);                                       // 3
        b.at(i++).opcode(Opcode.FILL).fillPattern(0x1122_3344_5566_7788L).destination(filled.address())
            .transferSize(4096);                                                                  // 4
        b.at(i++).opcode(Opcode.CACHE_FLUSH).destination(filled.address()).transferSize(4096);   // 5
        b.at(i++).opcode(Opcode.TRANSLATION_FETCH).source(s1.address()).transferSize(4096);      // 6
        b.at(i++).opcode(Opcode.NOOP);                                                            // 7
        final int failing = i;
        b.at(i++).opcode(Opcode.DUALCAST).source(s1.address()).destination(d1.address())
            .destination2(d2.address() + 8).transferSize(64);                                     // 8: 0x17
        // consumers: each fenced on everything before it — but the failure above stops fenced ones, so these run
        // unfenced and check the producers' results themselves
        b.at(i++).opcode(Opcode.DIF_CHECK).source(protectedData.address()).transferSize(520L * blocks)
            .u32(48, 100);                                                                        // 9
        b.at(i++).opcode(Opcode.DIF_STRIP).source(protectedData.address()).destination(stripped.address())
            .transferSize(520L * blocks).u32(48, 100);                                            // 10
        b.at(i++).opcode(Opcode.APPLY_DELTA).source(delta.address()).destination(patched.address())
            .transferSize(4096).u32(40, 40);                                                      // 11: 4 entries
        b.at(i++).opcode(Opcode.COMPARE).source(s1.address()).destination(copy.address()).transferSize(4096); // 12
        b.at(i++).opcode(Opcode.COMPARE_PATTERN).source(filled.address()).comparePattern(0x1122_3344_5566_7788L)
            .transferSize(4096);                                                                  // 13
        b.at(i++).opcode(Opcode.CRC_GENERATION).source(d2.address()).transferSize(4096);         // 14
        b.at(i++).opcode(Opcode.MEMMOVE).source(d1.address()).destination(d1.address() + 4096).transferSize(4096); // 15
        b.at(i++).opcode(Opcode.NOOP).addFlags(0x01);                                             // 16: fenced, stops
        assertEquals(n, i);

        assertEquals(0x05, f.run(b.batch(), batchRecord));
        assertEquals(1, batchRecord.result());
        assertEquals(16, batchRecord.bytesCompleted(), "stopped at the fenced descriptor 16");
        for (int k = 0; k < n; k++) {
            final int expected = k == failing ? 0x17 : k == 16 ? 0 : 0x01;
            assertEquals(expected, b.records.get(k).rawStatus(), "descriptor " + k + " " + Opcode.name(
                new Descriptor(f.mem(), b.list.address() + 64L * k).opcode()));
        }
        assertEquals(1, b.records.get(1).result(), "create delta: differences found");
        assertEquals(40, b.records.get(1).deltaRecordSize(), "four 10-byte entries");
        assertArrayEquals(bytes(s2.segment()), bytes(patched.segment()), "apply reproduced source 2");
        assertArrayEquals(bytes(data.segment()), bytes(stripped.segment()), "insert, check, strip round trip");
        assertEquals(0, b.records.get(12).result(), "the CRC copy equals its source");
        assertEquals(0, b.records.get(13).result(), "fill wrote the pattern");
        final int crc = CoreOperationsTest.referenceCrc(bytes(s1.segment()), 0, 0);
        assertEquals(crc, b.records.get(2).crcValue());
        assertEquals(crc, b.records.get(14).crcValue(), "dualcast's second copy has the source's CRC");
        assertArrayEquals(bytes(s1.segment()), bytes(d1.segment().asSlice(4096, 4096)));
    }

    @Test
    void allSucceedGivesSuccessWithTheCount() {
        final BatchList b = new BatchList(5);
        for (int i = 0; i < 5; i++) {
            b.at(i).opcode(Opcode.NOOP);
        }
        assertEquals(0x01, f.run(b.batch(), batchRecord));
        assertEquals(5, batchRecord.bytesCompleted());
        b.records.forEach(cr -> assertEquals(0x01, cr.status()));
    }

    @Test
    void fenceStopsTheRestAfterAFailure() {
        final BatchList b = new BatchList(6);
        b.at(0).opcode(Opcode.NOOP);
        b.at(1).opcode(Opcode.MEMMOVE).transferSize(0); // fails 0x13
        b.at(2).opcode(Opcode.NOOP);
        b.at(3).opcode(Opcode.NOOP).addFlags(0x01); // fence: something earlier failed
        b.at(4).opcode(Opcode.NOOP);
        b.at(5).opcode(Opcode.NOOP);
        assertEquals(0x05, f.run(b.batch(), batchRecord));
        assertEquals(3, batchRecord.bytesCompleted(), "index of the fenced descriptor");
        assertEquals(0x01, b.records.get(0).status());
        assertEquals(0x13, b.records.get(1).status());
        assertEquals(0x01, b.records.get(2).status());
        for (int i = 3; i < 6; i++) {
            assertEquals(0, b.records.get(i).rawStatus(), "not executed, no record");
        }
    }

    @Test
    void fenceAfterSuccessesProceeds() {
        final BatchList b = new BatchList(3);
        final HostBuffer src = f.buffer(4096);
        final HostBuffer mid = f.buffer(4096);
        final HostBuffer dst = f.buffer(4096);
        Fixture.fillRandom(src.segment(), 8);
        b.at(0).opcode(Opcode.MEMMOVE).source(src.address()).destination(mid.address()).transferSize(4096);
        b.at(1).opcode(Opcode.MEMMOVE).source(mid.address()).destination(dst.address()).transferSize(4096)
            .addFlags(0x01);
        b.at(2).opcode(Opcode.NOOP);
        assertEquals(0x01, f.run(b.batch(), batchRecord));
        assertArrayEquals(bytes(src.segment()), bytes(dst.segment()));
    }

    @Test
    void batchAndDrainInsideABatchAreUnsupported() {
        final BatchList b = new BatchList(3);
        b.at(0).opcode(Opcode.BATCH).source(b.list.address()).transferSize(2);
        b.at(1).opcode(Opcode.DRAIN);
        b.at(2).opcode(Opcode.NOOP);
        assertEquals(0x05, f.run(b.batch(), batchRecord));
        assertEquals(0x10, b.records.get(0).status());
        assertEquals(0x10, b.records.get(1).status());
        assertEquals(0x01, b.records.get(2).status());
    }

    @Test
    void countAndAlignmentRules() {
        final BatchList b = new BatchList(MAX_BATCH + 1);
        assertEquals(0x14, f.run(b.batch().transferSize(1), batchRecord), "count < 2");
        assertEquals(0x14, f.run(b.batch().transferSize(0), batchRecord), "count 0");
        assertEquals(0x14, f.run(b.batch().transferSize(MAX_BATCH + 1), batchRecord), "count > WQ max batch");
        assertEquals(0x18, f.run(b.batch().source(b.list.address() + 32).transferSize(2), batchRecord));
        assertEquals(0x14, f.run(b.batch().source(b.list.address() + 32).transferSize(1), batchRecord),
            "count (step 7) before alignment (step 8)");
        assertEquals(0x11, f.run(b.batch().transferSize(2).addFlags(0x01), batchRecord), "fence not allowed");
    }

    @Test
    void faultReadingTheListReportsWhereToResume() {
        final long end = f.memory.size();
        // the list's first two descriptors are the last 128 bytes of host memory; the third lies beyond
        final long list = end - 128;
        final CompletionRecord r0 = f.client.completionRecord();
        final CompletionRecord r1 = f.client.completionRecord();
        new Descriptor(f.mem(), list).clear().opcode(Opcode.NOOP).completionAddress(r0.address()).flags(0x0C);
        new Descriptor(f.mem(), list + 64).clear().opcode(Opcode.NOOP).completionAddress(r1.address()).flags(0x0C);
        assertEquals(0x06, f.run(f.client.descriptor().opcode(Opcode.BATCH).source(list).transferSize(4),
            batchRecord));
        assertEquals(2, batchRecord.bytesCompleted(), "descriptors read before the fault");
        assertEquals(end, batchRecord.faultAddress());
        assertEquals(0x01, r0.status());
        assertEquals(0x01, r1.status());
    }

    @Test
    void aFaultPastTheFirstRunOfTheListStopsAtTheFirstDescriptorItCouldNotRead() {
        final long end = f.memory.size();
        // 37 descriptors fit before the end of host memory: one whole run of 32 is read, then a run cut short at 5
        // (the end), then the fault; the list holds 40
        final int inside = 37;
        final long list = end - 64L * inside;
        final List<CompletionRecord> records = new ArrayList<>();
        for (int i = 0; i < inside; i++) {
            final CompletionRecord r = f.client.completionRecord();
            records.add(r);
            new Descriptor(f.mem(), list + 64L * i).clear().opcode(Opcode.NOOP).completionAddress(r.address())
                .flags(0x0C);
        }
        assertEquals(0x06, f.run(f.client.descriptor().opcode(Opcode.BATCH).source(list).transferSize(40),
            batchRecord));
        assertEquals(inside, batchRecord.bytesCompleted(), "descriptors read before the fault");
        assertEquals(end, batchRecord.faultAddress());
        for (int i = 0; i < inside; i++) {
            assertEquals(0x01, records.get(i).status(), "descriptor " + i);
        }
    }

    /**
     * softdsa reads a list ahead, as the device's batch unit fetches it: a descriptor that overwrites a later one of
     * the same run does not change what that later one does (software must not write a list the device is reading;
     * without a Fence the descriptors are independent anyway). The memory is overwritten all the same.
     */
    @Test
    void aDescriptorThatRewritesALaterOneOfTheListDoesNotChangeWhatRuns() {
        final BatchList b = new BatchList(3);
        final HostBuffer target = f.buffer(256);
        final HostBuffer replacement = f.buffer(64);
        // what descriptor 0 copies over descriptor 2: a fill of the target with 0x22
        new Descriptor(replacement.segment(), 0).clear().opcode(Opcode.FILL).fillPattern(0x2222_2222_2222_2222L)
            .destination(target.address()).transferSize(256);
        b.at(0).opcode(Opcode.MEMMOVE).source(replacement.address()).destination(b.list.address() + 128)
            .transferSize(64).flags(0); // no record: the copy is all it does
        b.at(1).opcode(Opcode.NOOP);
        b.at(2).opcode(Opcode.FILL).fillPattern(0x1111_1111_1111_1111L).destination(target.address())
            .transferSize(256);
        assertEquals(0x01, f.run(b.batch(), batchRecord));
        final byte[] filled = new byte[256];
        java.util.Arrays.fill(filled, (byte) 0x11);
        assertArrayEquals(filled, bytes(target.segment()), "descriptor 2 ran as it was read");
        assertEquals(0x01, b.records.get(2).status());
        assertArrayEquals(bytes(replacement.segment()), bytes(b.list.segment().asSlice(128, 64)),
            "descriptor 0 rewrote descriptor 2's bytes");
    }

    @Test
    void innerErrorWithoutRecordGoesToSwerrWithTheBatchIndex() {
        final BatchList b = new BatchList(3);
        b.at(0).opcode(Opcode.NOOP);
        b.at(1).opcode(Opcode.MEMMOVE).transferSize(0).flags(0); // no CRAV
        b.at(2).opcode(Opcode.NOOP);
        assertEquals(0x05, f.run(b.batch(), batchRecord));
        final SwerrEntry e = f.device.swerr().history().getFirst();
        assertEquals(0x13, e.errorCode());
        assertEquals(true, e.batch());
        assertEquals(1, e.batchIndex());
        // SWERR word 1 bits 15:0 = batch index; word 0 bit 4 = batch
        assertEquals(1, f.device.swerr().word(1) & 0xFFFF);
        assertEquals(0x10, f.device.swerr().word(0) & 0x10);
    }

    @Test
    void innerDescriptorsUseTheBatchContextNotTheirPasidBytes() {
        final BatchList b = new BatchList(2);
        b.at(0).opcode(Opcode.NOOP).pasidWord(0x7FF0_0000); // reserved bits in an inner PASID word are ignored
        b.at(1).opcode(Opcode.NOOP);
        assertEquals(0x01, f.run(b.batch(), batchRecord));
        final MemorySegment unused = f.mem();
        assertEquals(0, unused.get(ValueLayout.JAVA_BYTE, 0));
    }
}
