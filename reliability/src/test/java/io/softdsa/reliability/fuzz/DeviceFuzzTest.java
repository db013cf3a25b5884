package io.softdsa.reliability.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.softdsa.accelconfig.AccelConfigJson;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.config.ConfigException;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.reliability.Reference;
import io.softdsa.reliability.property.DescriptorChecks;
import io.softdsa.reliability.property.DeviceUnderTest;
import org.junit.jupiter.api.AfterAll;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jazzer fuzz targets: descriptor decode-and-execute, batch lists, delta records, DIF tuples and accel-config JSON.
 * In the normal test run each target replays its seed corpus ({@code src/test/resources/.../DeviceFuzzTestInputs/
 * <target>/}); with {@code JAZZER_FUZZ=1} one target fuzzes (see the README's fuzz command, which adds what it finds
 * to the corpus). Inputs are raw bytes laid out as each target's comment says, so seeds are easy to write.
 */
class DeviceFuzzTest {
    private static DeviceUnderTest dut;
    private static final int[] OUTCOMES = new int[0x200];
    private static long inputs;
    /** The IOMMU of the device the targets run on (null: pass-through); a broken variant sets its own. */
    static java.util.function.Function<io.softdsa.memory.HostMemory, io.softdsa.iommu.Iommu> iommu;

    static DeviceUnderTest dut() {
        if (dut == null) {
            dut = new DeviceUnderTest(iommu);
        }
        return dut;
    }

    @AfterAll
    static void close() {
        iommu = null;
        if (dut != null) {
            System.out.println("[fuzz] inputs run: " + inputs + ", descriptors executed: " + dut.descriptorsRun());
            dut.close();
            dut = null;
        }
    }

    private static byte[] slice(byte[] data, int from, int length) {
        final byte[] out = new byte[length];
        if (from < data.length) {
            System.arraycopy(data, from, out, 0, Math.min(length, data.length - from));
        }
        return out;
    }

    /**
     * Descriptor decode and execute. Input: byte 0 = patch switches (bit 0 known opcode, 1 addresses in memory, 2
     * record in the record area, 3 reserved cleared, 4 dedicated WQ), bytes 1-64 = the descriptor.
     */
    @FuzzTest(maxDuration = "5m")
    void descriptor(byte[] data) {
        inputs++;
        final int p = data.length > 0 ? data[0] : 0;
        final Descriptor d = DescriptorChecks.stage(dut(), slice(data, 1, 64), (p & 1) != 0, (p & 2) != 0,
            (p & 4) != 0, (p & 8) != 0);
        DescriptorChecks.check(dut(), d, (p & 16) != 0, OUTCOMES);
    }

    /**
     * Batch lists. Input: byte 0 = count (its low 6 bits; the WQ allows 32), byte 1 = patch switches for the list's
     * descriptors (as {@link #descriptor}), byte 2 = outer flags switches (bit 0 record, bit 1 list misaligned), then
     * 64 bytes per descriptor of the list.
     */
    @FuzzTest(maxDuration = "5m")
    void batchList(byte[] data) {
        inputs++;
        final DeviceUnderTest t = dut();
        final int count = data.length > 0 ? data[0] & 0x3F : 0;
        final int p = data.length > 1 ? data[1] : 0;
        final int outer = data.length > 2 ? data[2] : 0;
        t.randomize(Arrays.hashCode(data));
        final long list = DeviceUnderTest.DATA + 0x10_0000 + ((outer & 2) != 0 ? 8 : 0);
        for (int i = 0; i < Math.max(count, 1); i++) {
            DescriptorChecks.patch(t.m, list + 64L * i, slice(data, 3 + 64 * i, 64), (p & 1) != 0, (p & 2) != 0,
                (p & 4) != 0, (p & 8) != 0);
        }
        final Descriptor d = t.descriptor().opcode(0x01).source(list).transferSize(count);
        if ((outer & 1) != 0) {
            d.flags(0x0C).completionAddress(DeviceUnderTest.RECORDS);
        }
        DescriptorChecks.check(t, d, (p & 16) != 0, OUTCOMES);
    }

    /**
     * Apply delta records. Input: bytes 0-1 = destination size in 8-byte words (mod 512, at least 1), then the delta
     * record (truncated to whole 10-byte entries, at least one). The device must apply exactly the entries before the
     * first bad one (0x07 not increasing, 0x08 out of range), report how many bytes of the record it consumed, and
     * write nothing but the destination and its record.
     */
    @FuzzTest(maxDuration = "5m")
    void deltaRecord(byte[] data) {
        inputs++;
        final DeviceUnderTest t = dut();
        final int words = 1 + ((data.length > 1 ? (data[0] & 0xFF) | (data[1] & 0xFF) << 8 : 0) % 512);
        final int size = 8 * words;
        final int entries = Math.max(1, (data.length - 2) / 10);
        final byte[] delta = slice(data, 2, 10 * entries);
        t.randomize(Arrays.hashCode(data));
        final long record = DeviceUnderTest.RECORDS + 64;
        final long pd = DeviceUnderTest.DATA + 0x8_0000;
        final long dst = DeviceUnderTest.DATA + 0x10_0000;
        t.write(pd, delta);
        t.m.set(ValueLayout.JAVA_BYTE, record, (byte) 0);
        final Descriptor d = t.descriptor().opcode(0x08).flags(0x0C).completionAddress(record).source(pd)
            .destination(dst).transferSize(size).u32(40, delta.length);
        t.snapshot();
        final byte[] before = t.before(dst, size);
        t.run(d, false);
        final int status = t.m.get(ValueLayout.JAVA_BYTE, record) & 0xFF;
        // the reference: entries in order until the first that is not increasing or out of range
        final byte[] expected = before.clone();
        int previous = -1;
        int consumed = 0;
        int expectedStatus = 0x01;
        for (; consumed < delta.length; consumed += 10) {
            final int index = (delta[consumed] & 0xFF) | (delta[consumed + 1] & 0xFF) << 8;
            if (index <= previous) {
                expectedStatus = 0x07;
                break;
            }
            if (8L * index >= size) {
                expectedStatus = 0x08;
                break;
            }
            System.arraycopy(delta, consumed + 2, expected, 8 * index, 8);
            previous = index;
        }
        assertEquals(expectedStatus, status, "apply-delta status");
        if (status != 0x01) {
            assertEquals(consumed, t.m.get(ValueLayout.JAVA_INT_UNALIGNED, record + 4), "delta bytes consumed");
        }
        assertArrayEquals(expected, t.bytes(dst, size), "destination after apply delta");
        assertEquals(-1, t.changedOutside(List.of(new long[] {dst, size}, new long[] {record, 32})));
        assertEquals(0, t.device.internalErrors());
    }

    /**
     * DIF tuples. Input: byte 0 = operation (check, strip, update, insert, DIX generate by value mod 5), byte 1 =
     * source DIF flags, byte 2 = DIF flags (bits 7:4 cleared sometimes), byte 3 = destination DIF flags, bytes 4-15 =
     * seeds and app-tag masks, then the source (blocks with their tuples for check/strip/update). The device must
     * answer Success, a DIF error at a block boundary, or a size error, and write only its destination.
     */
    @FuzzTest(maxDuration = "5m")
    void difTuples(byte[] data) {
        inputs++;
        final DeviceUnderTest t = dut();
        final int[] ops = {0x12, 0x14, 0x15, 0x13, 0x17};
        final int op = ops[((data.length > 0 ? data[0] : 0) & 0xFF) % 5];
        final byte[] h = slice(data, 1, 15);
        final int difFlags = (h[1] & 0x80) != 0 ? h[1] & 0xFF : h[1] & 0x0F;
        final int bs = Reference.difBlockSize(difFlags);
        final boolean tuplesIn = op == 0x12 || op == 0x14 || op == 0x15;
        final int stride = tuplesIn ? bs + 8 : bs;
        final byte[] src = data.length > 16 ? Arrays.copyOfRange(data, 16, Math.min(data.length, 16 + 4 * stride))
            : new byte[stride];
        t.randomize(Arrays.hashCode(data));
        final long record = DeviceUnderTest.RECORDS + 96;
        final long ps = DeviceUnderTest.DATA + 0x4_0000;
        final long dst = DeviceUnderTest.DATA + 0x10_0000;
        t.write(ps, src);
        t.m.set(ValueLayout.JAVA_BYTE, record, (byte) 0);
        final Descriptor d = t.descriptor().opcode(op).flags(0x0C).completionAddress(record).source(ps)
            .destination(dst).transferSize(src.length).u8(42, difFlags);
        if (tuplesIn) {
            d.u8(40, h[0]).u32(48, readInt(h, 3)).u16(52, readShort(h, 7)).u16(54, readShort(h, 9));
        }
        if (op != 0x12 && op != 0x14) {
            d.u8(41, h[2] & 0xF8).u32(56, readInt(h, 3) ^ 0x5A5A).u16(60, readShort(h, 11))
                .u16(62, readShort(h, 13));
        }
        t.snapshot();
        t.run(d, false);
        final int status = t.m.get(ValueLayout.JAVA_BYTE, record) & 0xFF;
        assertTrue(status == 0x01 || status == 0x09 || status == 0x12 || status == 0x13,
            "DIF status 0x" + Integer.toHexString(status));
        if (status == 0x09) {
            final long done = Integer.toUnsignedLong(t.m.get(ValueLayout.JAVA_INT_UNALIGNED, record + 4));
            assertTrue(done % stride == 0 && done < src.length, "a DIF error stops at a block boundary: " + done);
            final int bits = t.m.get(ValueLayout.JAVA_BYTE, record + 1) & 0xFF;
            assertTrue(bits != 0 && (bits & ~0x0F) == 0, "DIF status bits " + bits);
        }
        if (status == 0x01 && op == 0x14) {
            assertArrayEquals(Reference.difStrip(src, difFlags), t.bytes(dst, src.length / stride * bs));
        }
        final int blocks = src.length / stride;
        final long written = switch (op) {
            case 0x13, 0x15 -> (long) blocks * (bs + 8);
            case 0x14 -> (long) blocks * bs;
            case 0x17 -> blocks * 8L;
            default -> 0;
        };
        assertEquals(-1, t.changedOutside(List.of(new long[] {dst, written}, new long[] {record, 32})));
        assertEquals(0, t.device.internalErrors());
    }

    /**
     * accel-config JSON loading. Input: the file's bytes. Loading ends in configurations or a
     * {@link ConfigException} — nothing else — and what loads saves and loads back to the same configurations.
     */
    @FuzzTest(maxDuration = "5m")
    void accelConfigJson(byte[] data) {
        inputs++;
        final String json = new String(data, StandardCharsets.UTF_8);
        final List<DeviceConfig> devices;
        try {
            devices = AccelConfigJson.parse(json);
        } catch (ConfigException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isBlank());
            return;
        }
        assertEquals(devices, AccelConfigJson.parse(AccelConfigJson.save(devices)), "save then load: " + json);
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    private static int readShort(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
    }
}
