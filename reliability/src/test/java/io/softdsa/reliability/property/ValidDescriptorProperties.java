package io.softdsa.reliability.property;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.reliability.Reference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random VALID descriptors of every operation produce exactly the bytes of the plain reference loops in
 * {@link Reference} (written from the fact sheet), the expected status and record fields, and write nothing but
 * their destination buffers and record: all of host memory is compared with a snapshot, so the guard bands around
 * every buffer and around the record, like every other byte, are canaries.
 * <p>
 * Buffers are placed at random offsets in [1 MiB, 4 MiB) with random guard gaps, so runs cross page boundaries at
 * every alignment. Fields and sizes are the fact sheet's literals.
 */
class ValidDescriptorProperties {
    private static final int[] OPCODES = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x10,
        0x11, 0x12, 0x13, 0x14, 0x15, 0x17, 0x20};
    private static final long RECORD = DeviceUnderTest.RECORDS + 32 * 17;
    private static final java.util.Map<Class<?>, DeviceUnderTest> DEVICES = new java.util.HashMap<>();
    private static final int[] RUNS = new int[256];
    private static DeviceUnderTest dut;

    /** The device the properties run on (a subclass may hand in a deliberately broken one). */
    DeviceUnderTest createDevice() {
        return new DeviceUnderTest();
    }

    @AfterContainer
    static void close() {
        final StringBuilder b = new StringBuilder();
        for (int op : OPCODES) {
            b.append(String.format(" 0x%02x=%d", op, RUNS[op]));
        }
        System.out.println("[property] valid descriptors checked against the reference loops:" + b);
        java.util.Arrays.fill(RUNS, 0);
        DEVICES.values().forEach(DeviceUnderTest::close);
        DEVICES.clear();
    }

    @Provide
    Arbitrary<Integer> opcodes() {
        return Arbitraries.of(java.util.Arrays.stream(OPCODES).boxed().toList());
    }

    @Property
    void validDescriptorsProduceTheReferenceBytes(@ForAll("opcodes") int opcode,
                                                  @ForAll @IntRange(min = 1, max = 12_000) int size,
                                                  @ForAll long seed,
                                                  @ForAll boolean dedicated) {
        dut = DEVICES.computeIfAbsent(getClass(), c -> createDevice());
        dut.randomize(seed);
        final Case c = new Case(new SplittableRandom(seed ^ 0x5DEECE66DL), size);
        final Descriptor d = dut.descriptor().opcode(opcode).flags(0x0C).completionAddress(RECORD);
        c.build(opcode, d);
        dut.m.set(ValueLayout.JAVA_BYTE, RECORD, (byte) 0);
        dut.snapshot();
        final List<long[]> allowed = new ArrayList<>(c.writes);
        allowed.add(new long[] {RECORD, 32});
        dut.run(d, dedicated);
        RUNS[opcode]++;
        assertEquals(0, dut.device.internalErrors());
        final int status = dut.m.get(ValueLayout.JAVA_BYTE, RECORD) & 0xFF;
        assertEquals(c.expectedStatus, status, () -> "status of " + d + " (" + c.note + ")");
        c.verify();
        final long outside = dut.changedOutside(allowed);
        if (outside >= 0) {
            fail("wrote 0x" + Long.toHexString(outside) + " outside the buffers of " + d + " (" + c.note + ")");
        }
    }

    /** One generated descriptor: its buffers, what it must write, and the checks after it ran. */
    private static final class Case {
        final SplittableRandom r;
        final int size;
        final List<long[]> writes = new ArrayList<>();
        final List<Runnable> checks = new ArrayList<>();
        int expectedStatus = 0x01;
        String note = "";
        private long cursor = DeviceUnderTest.DATA;

        Case(SplittableRandom r, int size) {
            this.r = r;
            this.size = size;
        }

        /** A buffer of {@code length} at a random offset after a random guard gap, aligned to {@code align}. */
        long buffer(long length, int align) {
            final long at = (cursor + 64 + r.nextInt(8192) + align - 1) & -align;
            cursor = at + length;
            if (cursor + 64 > DeviceUnderTest.MEMORY) {
                throw new IllegalStateException("buffers do not fit");
            }
            return at;
        }

        long output(long length, int align) {
            final long at = buffer(length, align);
            writes.add(new long[] {at, length});
            return at;
        }

        void expect(long address, byte[] bytes) {
            checks.add(() -> assertArrayEquals(bytes, dut.bytes(address, bytes.length),
                () -> "bytes at 0x" + Long.toHexString(address) + " (" + note + ")"));
        }

        void expectRecord(int offset, long value, int width) {
            checks.add(() -> {
                final long got = switch (width) {
                    case 1 -> dut.m.get(ValueLayout.JAVA_BYTE, RECORD + offset) & 0xFFL;
                    case 4 -> Integer.toUnsignedLong(dut.m.get(ValueLayout.JAVA_INT_UNALIGNED, RECORD + offset));
                    default -> dut.m.get(ValueLayout.JAVA_LONG_UNALIGNED, RECORD + offset);
                };
                assertEquals(value, got, () -> "record byte " + offset + " (" + note + ")");
            });
        }

        void verify() {
            checks.forEach(Runnable::run);
        }

        byte[] random(int n) {
            final byte[] b = new byte[n];
            r.nextBytes(b);
            return b;
        }

        void build(int opcode, Descriptor d) {
            switch (opcode) {
                case 0x00, 0x02 -> note = "no data";
                case 0x03 -> memmove(d);
                case 0x04 -> fill(d);
                case 0x05 -> compare(d);
                case 0x06 -> comparePattern(d);
                case 0x07 -> createDelta(d);
                case 0x08 -> applyDelta(d);
                case 0x09 -> dualcast(d);
                case 0x0A, 0x20 -> d.destination(buffer(size, 1)).source(d.destination()).transferSize(size);
                case 0x10, 0x11 -> crc(d, opcode == 0x11);
                case 0x12, 0x13, 0x14, 0x15, 0x17 -> dif(d, opcode);
                case 0x01 -> batch(d);
                default -> throw new IllegalArgumentException("opcode " + opcode);
            }
        }

        private void memmove(Descriptor d) {
            final long src = buffer(size, 1);
            final long dst;
            if (r.nextInt(4) == 0) { // overlapping, either direction
                final int shift = 1 + r.nextInt(Math.max(1, size));
                dst = r.nextBoolean() ? src + shift : src - Math.min(shift, 60);
                writes.add(new long[] {dst, size});
                cursor = Math.max(cursor, dst + size);
                note = "overlapping memmove shift " + (dst - src);
            } else {
                dst = output(size, 1);
            }
            d.source(src).destination(dst).transferSize(size);
            final int lo = (int) Math.min(src, dst);
            final int span = (int) (Math.max(src, dst) + size - lo);
            checks.add(() -> {
                final byte[] expected = dut.before(lo, span);
                Reference.memmove(expected, (int) (src - lo), (int) (dst - lo), size);
                assertArrayEquals(java.util.Arrays.copyOfRange(expected, (int) (dst - lo), (int) (dst - lo) + size),
                    dut.bytes(dst, size), "memmove " + note);
            });
        }

        private void fill(Descriptor d) {
            final long dst = output(size, 1);
            final long low = r.nextLong();
            final long high = r.nextLong();
            final boolean sixteen = r.nextBoolean();
            d.destination(dst).fillPattern(low).transferSize(size);
            if (sixteen) {
                d.addFlags(1 << 18).fillPatternHigh(high);
            }
            expect(dst, Reference.fill(low, high, sixteen, size));
        }

        private void compare(Descriptor d) {
            final byte[] a = random(size);
            final byte[] b = a.clone();
            final int diff = r.nextBoolean() ? r.nextInt(size) : -1;
            if (diff >= 0) {
                b[diff] ^= (byte) (1 + r.nextInt(255));
            }
            final long pa = buffer(size, 1);
            final long pb = buffer(size, 1);
            dut.write(pa, a);
            dut.write(pb, b);
            d.source(pa).destination(pb).transferSize(size);
            checkResult(d, diff >= 0 ? 1 : 0);
            expectRecord(1, diff >= 0 ? 1 : 0, 1);
            expectRecord(4, Math.max(diff, 0), 4);
            note = "difference at " + diff;
        }

        private void comparePattern(Descriptor d) {
            final long pattern = r.nextLong();
            final byte[] a = Reference.fill(pattern, pattern, false, size);
            final int diff = r.nextBoolean() ? r.nextInt(size) : -1;
            if (diff >= 0) {
                a[diff] ^= (byte) (1 + r.nextInt(255));
            }
            final long pa = buffer(size, 1);
            dut.write(pa, a);
            d.source(pa).comparePattern(pattern).transferSize(size);
            checkResult(d, diff >= 0 ? 1 : 0);
            expectRecord(1, diff >= 0 ? 1 : 0, 1);
            // softdsa rule: the offset rounded down to a multiple of 8, exact in a final partial word
            final int reported = diff < 0 ? 0 : diff >= (size & ~7) ? diff : diff & ~7;
            expectRecord(4, reported, 4);
            note = "difference at " + diff;
        }

        private void checkResult(Descriptor d, int result) {
            if (r.nextBoolean()) {
                final int expected = r.nextInt(2);
                d.addFlags(0x80).expectedResult(expected);
                expectedStatus = expected == result ? 0x01 : 0x02;
            }
        }

        private void createDelta(Descriptor d) {
            final int n = Math.max(8, size & ~7);
            final byte[] a = random(n);
            final byte[] b = a.clone();
            for (int k = r.nextInt(1 + n / 64); k > 0; k--) {
                b[r.nextInt(n)] ^= (byte) (1 + r.nextInt(255));
            }
            final int max = 10 * (8 + r.nextInt(Math.max(1, n / 40)));
            final long pa = buffer(n, 8);
            final long pb = buffer(n, 8);
            final long delta = output(max, 8);
            dut.write(pa, a);
            dut.write(pb, b);
            d.source(pa).destination(pb).transferSize(n).u64(40, delta).u32(48, max);
            final byte[] expected = Reference.createDelta(a, b, n, max);
            final int result = java.util.Arrays.equals(a, b) ? 0 : Reference.deltaOverflows(a, b, n, max) ? 2 : 1;
            if (r.nextBoolean()) {
                final int mask = r.nextInt(8);
                d.addFlags(0x80).u8(56, mask);
                expectedStatus = (mask >>> result & 1) != 0 ? 0x01 : 0x02;
            }
            expectRecord(1, result, 1);
            expectRecord(16, expected.length, 4);
            expect(delta, expected);
            note = "delta of " + expected.length + " bytes, max " + max;
        }

        private void applyDelta(Descriptor d) {
            final int n = Math.max(8, size & ~7);
            final byte[] a = random(n);
            final byte[] b = a.clone();
            for (int k = 1 + r.nextInt(1 + n / 64); k > 0; k--) {
                b[r.nextInt(n)] ^= (byte) (1 + r.nextInt(255));
            }
            final byte[] delta = Reference.createDelta(a, b, n, Integer.MAX_VALUE);
            final long pd = buffer(delta.length, 8);
            final long dst = output(n, 8);
            dut.write(pd, delta);
            dut.write(dst, a);
            d.source(pd).destination(dst).transferSize(n).u32(40, delta.length);
            final byte[] expected = a.clone();
            Reference.applyDelta(delta, expected);
            expect(dst, expected);
            note = delta.length / 10 + " entries";
        }

        private void dualcast(Descriptor d) {
            final long src = buffer(size, 1);
            final long dst1 = output(size, 1);
            long dst2 = buffer(size + 4096, 4096) + (dst1 & 0xFFF);
            writes.add(new long[] {dst2, size});
            d.source(src).destination(dst1).destination2(dst2).transferSize(size);
            checks.add(() -> {
                assertArrayEquals(dut.before(src, size), dut.bytes(dst1, size), "dualcast destination 1");
                assertArrayEquals(dut.before(src, size), dut.bytes(dst2, size), "dualcast destination 2");
            });
        }

        private void crc(Descriptor d, boolean copy) {
            final long src = buffer(size, 1);
            final int seed = r.nextInt();
            final boolean fromMemory = r.nextInt(4) == 0;
            final boolean bypassInversion = r.nextInt(4) == 0;
            final boolean bypassReflection = r.nextInt(4) == 0;
            d.source(src).transferSize(size).crcSeed(fromMemory ? 0 : seed);
            if (fromMemory) {
                final long at = buffer(4, 1);
                dut.m.set(ValueLayout.JAVA_INT_UNALIGNED, at, seed);
                d.addFlags(1 << 16).crcSeedAddress(at);
            }
            d.addFlags((bypassInversion ? 1 << 17 : 0) | (bypassReflection ? 1 << 18 : 0));
            if (copy) {
                final long dst = output(size, 1);
                d.destination(dst);
                checks.add(() -> assertArrayEquals(dut.before(src, size), dut.bytes(dst, size), "copy with CRC"));
            }
            checks.add(() -> expectRecordNow(16, Integer.toUnsignedLong(Reference.crc32c(seed,
                dut.before(src, size), 0, size, bypassInversion, bypassReflection)), 4));
            note = "seed " + Integer.toHexString(seed) + (fromMemory ? " from memory" : "")
                + (bypassInversion ? " bypass-inversion" : "") + (bypassReflection ? " bypass-reflection" : "");
        }

        private void expectRecordNow(int offset, long value, int width) {
            final long got = width == 4
                ? Integer.toUnsignedLong(dut.m.get(ValueLayout.JAVA_INT_UNALIGNED, RECORD + offset))
                : dut.m.get(ValueLayout.JAVA_LONG_UNALIGNED, RECORD + offset);
            assertEquals(value, got, () -> "record byte " + offset + " (" + note + ")");
        }

        private void dif(Descriptor d, int opcode) {
            final int difFlags = r.nextInt(16);
            final int bs = Reference.difBlockSize(difFlags);
            final int blocks = 1 + Math.min(3, size / 4000);
            final byte[] data = random(bs * blocks);
            final int refSeed = r.nextInt();
            final int appSeed = r.nextInt(0x1_0000);
            final int dstFlags = (r.nextBoolean() ? 0x80 : 0) | (r.nextBoolean() ? 0x10 : 0);
            d.u8(42, difFlags);
            note = "block " + bs + " x" + blocks + " dif flags " + difFlags;
            switch (opcode) {
                case 0x13, 0x17 -> {
                    final long src = buffer(data.length, 1);
                    dut.write(src, data);
                    final byte[] expected = opcode == 0x13
                        ? Reference.difInsert(data, difFlags, dstFlags, refSeed, appSeed)
                        : Reference.dixGenerate(data, difFlags, dstFlags, refSeed, appSeed);
                    final long dst = output(expected.length, 1);
                    d.source(src).destination(dst).transferSize(data.length).u8(41, dstFlags).u32(56, refSeed)
                        .u16(62, appSeed);
                    expect(dst, expected);
                }
                case 0x12, 0x14, 0x15 -> {
                    // source: well-formed protected blocks (ref incrementing, app fixed: source flags 0)
                    final byte[] prot = Reference.difInsert(data, difFlags, 0, refSeed, appSeed);
                    final boolean corrupt = opcode == 0x12 && r.nextBoolean();
                    final int bad = r.nextInt(blocks);
                    if (corrupt) {
                        prot[bad * (bs + 8) + r.nextInt(bs)] ^= 0x01;
                        expectedStatus = 0x09;
                        expectRecord(1, 0x01, 1); // guard error
                        expectRecord(4, (long) bad * (bs + 8), 4);
                        note += " corrupt block " + bad;
                    }
                    final long src = buffer(prot.length, 1);
                    dut.write(src, prot);
                    d.source(src).transferSize(prot.length).u8(40, 0).u32(48, refSeed).u16(54, appSeed);
                    if (opcode == 0x14) {
                        final long dst = output((long) blocks * bs, 1);
                        d.destination(dst);
                        expect(dst, Reference.difStrip(prot, difFlags));
                    } else if (opcode == 0x15) {
                        final int newRef = r.nextInt();
                        final int newApp = r.nextInt(0x1_0000);
                        final long dst = output(prot.length, 1);
                        d.destination(dst).u8(41, dstFlags).u32(56, newRef).u16(62, newApp);
                        expect(dst, Reference.difInsert(data, difFlags, dstFlags, newRef, newApp));
                    }
                }
                default -> throw new IllegalArgumentException();
            }
        }

        private void batch(Descriptor d) {
            final int count = 2 + r.nextInt(7);
            final long list = buffer(64L * count, 64);
            final Descriptor inner = new Descriptor(dut.m, list);
            for (int i = 0; i < count; i++) {
                inner.wrap(dut.m, list + 64L * i).clear();
                final int n = 1 + r.nextInt(Math.max(1, size / count));
                final long record = DeviceUnderTest.RECORDS + 32L * (20 + i);
                writes.add(new long[] {record, 32});
                dut.m.set(ValueLayout.JAVA_BYTE, record, (byte) 0);
                final long dst = output(n, 1);
                if (r.nextBoolean()) {
                    final long src = buffer(n, 1);
                    inner.opcode(0x03).source(src).destination(dst).transferSize(n);
                    checks.add(() -> assertArrayEquals(dut.before(src, n), dut.bytes(dst, n), "batch memmove"));
                } else {
                    final long pattern = r.nextLong();
                    inner.opcode(0x04).fillPattern(pattern).destination(dst).transferSize(n);
                    expect(dst, Reference.fill(pattern, pattern, false, n));
                }
                inner.flags(0x0C | (r.nextInt(4) == 0 ? 0x01 : 0)).completionAddress(record);
                checks.add(() -> assertEquals(0x01, dut.m.get(ValueLayout.JAVA_BYTE, record) & 0xFF,
                    "inner record"));
            }
            d.source(list).transferSize(count);
            expectRecord(4, count, 4);
            note = count + " descriptors";
        }
    }
}
