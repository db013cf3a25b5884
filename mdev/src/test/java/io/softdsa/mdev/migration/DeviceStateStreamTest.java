package io.softdsa.mdev.migration;

import io.softdsa.mdev.migration.DsaStateSchema.DeviceState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The VMState-style stream: round trips, framing, every corruption the decoder must refuse, version skew. */
@Timeout(60)
class DeviceStateStreamTest {

    /** A full, consistent sample state: 8 WQs, 4 groups, 4 engines, captured work and a page request. */
    static DeviceState sample(boolean withQueues) {
        final DeviceState s = new DeviceState();
        s.compat.deviceId = 0x0B25;
        s.compat.version = 0x100;
        s.compat.gencap = 0x40915f0107L;
        s.compat.wqcap = 0x0003_0000_0008_0080L; // 8 WQs, total size 128, shared + dedicated
        s.compat.grpcap = 4;
        s.compat.engcap = 4;
        s.compat.opcap = new long[] {0x0000_0000_00FF_03FFL, 0, 0, 0};
        s.compat.mdevType = "dsa-1dwq";
        s.compat.wqs = 8;
        s.compat.engines = 4;
        s.compat.groups = 4;
        for (int i = 0; i < DsaStateSchema.PCI_CONFIG_BYTES; i++) {
            s.registers.pciConfig[i] = (byte) (i * 7);
        }
        s.registers.gencfg = 0x1000;
        s.registers.genctrl = 3;
        s.registers.gensts = 1;
        s.registers.intcause = 0x8000_0001;
        s.registers.swerr = new long[] {0x3101, 0x12345, 0, 0xDEAD_0000L};
        for (int w = 0; w < 8; w++) {
            final DsaStateSchema.Wqcfg e = new DsaStateSchema.Wqcfg();
            e.words = new int[] {16, 0, 0x11 | w << 8, 0x1E, 0, 0, 1 << 30, 0};
            s.registers.wqcfg.add(e);
        }
        for (int g = 0; g < 4; g++) {
            final DsaStateSchema.Grpcfg e = new DsaStateSchema.Grpcfg();
            e.wqs = new long[] {1L << g, 0, 0, 0};
            e.engines = 1L << g;
            s.registers.grpcfg.add(e);
        }
        s.registers.evlcfg = 0x7700;
        for (int v = 0; v < 9; v++) {
            final DsaStateSchema.MsixEntry e = new DsaStateSchema.MsixEntry();
            e.address = 0xFEE0_0000L;
            e.data = 0x20 + v;
            e.control = v == 3 ? 1 : 0;
            s.msix.entries.add(e);
        }
        s.msix.pending = new long[] {0b1000};
        for (int p : new int[] {5, 77}) {
            final DsaStateSchema.PasidBinding b = new DsaStateSchema.PasidBinding();
            b.guestPasid = p;
            b.stage1Root = 0x10_0000L * p;
            b.levels = p == 5 ? 4 : 5;
            s.pasids.bindings.add(b);
        }
        for (int i = 0; i < 2; i++) {
            final DsaStateSchema.Handle h = new DsaStateSchema.Handle();
            h.index = i + 1;
            h.handle = 0x40 + i;
            s.handles.handles.add(h);
        }
        if (withQueues) {
            s.queues.capturedSequence = 12;
            for (int i = 0; i < 2; i++) {
                final DsaStateSchema.Captured c = new DsaStateSchema.Captured();
                c.wq = i;
                c.guestPasid = i == 0 ? 0 : 77;
                c.descriptor[7] = 0x03;
                c.descriptor[63] = (byte) i;
                s.queues.captured.add(c);
            }
            final DsaStateSchema.PageRequest r = new DsaStateSchema.PageRequest();
            r.guestPasid = 5;
            r.address = 0x7000_0000L;
            r.flags = 0b1010;
            r.group = 3;
            s.queues.pageRequests.add(r);
        }
        return s;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Offset of the version_id of the section called {@code name}: tag, length, name, then 4 bytes version. */
    private static int versionAt(byte[] stream, String name) {
        final byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        final byte[] framed = new byte[n.length + 2];
        framed[0] = 0x01;
        framed[1] = (byte) n.length;
        System.arraycopy(n, 0, framed, 2, n.length);
        final int at = indexOf(stream, framed);
        assertTrue(at > 0, name);
        return at + framed.length;
    }

    private static MigrationStreamException refused(byte[] stream) {
        try {
            DsaStateSchema.decode(stream, stream.length, null);
        } catch (MigrationStreamException e) {
            return e;
        } catch (Throwable t) {
            throw new AssertionError("decoder threw " + t + " instead of MigrationStreamException", t);
        }
        fail("accepted a stream that must be refused");
        return null;
    }

    @Test
    void roundTripWithAndWithoutSubsections() throws Exception {
        for (boolean queues : new boolean[] {true, false}) {
            final byte[] stream = DsaStateSchema.encode(sample(queues));
            final DeviceState d = DsaStateSchema.decode(stream, stream.length, sample(true).compat);
            assertArrayEquals(stream, DsaStateSchema.encode(d), "re-encodes to the same bytes");
            assertEquals(0x8000_0001, d.registers.intcause);
            assertEquals(0x7700, d.registers.evlcfg);
            assertArrayEquals(sample(true).registers.pciConfig, d.registers.pciConfig);
            assertEquals(queues ? 2 : 0, d.queues.captured.size());
            assertEquals(queues ? 1 : 0, d.queues.pageRequests.size());
            assertEquals(queues, indexOf(stream, "captured".getBytes(StandardCharsets.US_ASCII)) > 0,
                "the subsection travels only when needed");
            if (queues) {
                assertEquals(77, d.queues.captured.get(1).guestPasid);
                assertEquals(1, d.queues.captured.get(1).descriptor[63]);
                assertEquals(0x7000_0000L, d.queues.pageRequests.get(0).address);
            }
        }
    }

    @Test
    void headerAndFirstSectionLayoutAsDocumented() throws Exception {
        final byte[] s = DsaStateSchema.encode(sample(true));
        assertArrayEquals(new byte[] {0x53, 0x44, 0x53, 0x41, 0, 0, 0, 1, 0x01, 6, 'c', 'o', 'm', 'p', 'a', 't',
            0, 0, 0, 1}, Arrays.copyOf(s, 20));
        // body: device ID u16 0x0B25 right after the 4-byte body length
        assertEquals(0x0B, s[24]);
        assertEquals(0x25, s[25]);
        assertArrayEquals(new byte[] {(byte) 0xFF, 0, 0, 0, 6}, Arrays.copyOfRange(s, s.length - 5, s.length),
            "end marker with six sections");
    }

    @Test
    void truncationAtEveryOffsetIsRefused() throws Exception {
        final byte[] stream = DsaStateSchema.encode(sample(true));
        for (int n = 0; n < stream.length; n++) {
            final MigrationStreamException e = refused(Arrays.copyOf(stream, n));
            assertTrue(e.offset() <= n, "offset within the data: " + e.getMessage());
        }
    }

    @Test
    void trailingGarbageAndWrongMagicAreRefused() throws Exception {
        final byte[] stream = DsaStateSchema.encode(sample(false));
        final byte[] longer = Arrays.copyOf(stream, stream.length + 1);
        assertTrue(refused(longer).getMessage().contains("trailing"));
        final byte[] magic = stream.clone();
        magic[0] = 0x54;
        assertTrue(refused(magic).getMessage().contains("magic"));
        final byte[] format = stream.clone();
        format[7] = 2;
        assertTrue(refused(format).getMessage().contains("format"));
    }

    @Test
    void unknownSectionVersionOutOfRangeAndOverlongLengthsAreRefusedNamingTheSection() throws Exception {
        final byte[] stream = DsaStateSchema.encode(sample(true));
        final byte[] unknown = stream.clone();
        final int m = versionAt(unknown, "msix") - 4;
        unknown[m + 1] = 'x';
        final MigrationStreamException u = refused(unknown);
        assertEquals("mxix", u.section());
        assertTrue(u.getMessage().contains("unknown section"), u.getMessage());
        for (int version : new int[] {0, 3}) {
            final byte[] skew = stream.clone();
            skew[versionAt(skew, "registers") + 3] = (byte) version;
            final MigrationStreamException e = refused(skew);
            assertEquals("registers", e.section());
            assertTrue(e.getMessage().contains("version " + version + " outside [1, 2]"), e.getMessage());
        }
        // the mdev type's length (u32 before "dsa-1dwq") forged beyond its bound of 32
        final byte[] longName = stream.clone();
        final int type = indexOf(longName, "dsa-1dwq".getBytes(StandardCharsets.US_ASCII));
        longName[type - 1] = 33;
        final MigrationStreamException l = refused(longName);
        assertEquals("compat", l.section());
        assertTrue(l.getMessage().contains("beyond its bound 32"), l.getMessage());
        // a forged huge body length
        final byte[] body = stream.clone();
        body[versionAt(body, "pasids") + 4] = 0x7F;
        final MigrationStreamException h = refused(body);
        assertEquals("pasids", h.section());
        assertTrue(h.getMessage().contains("section length"), h.getMessage());
    }

    @Test
    void duplicateOutOfOrderAndMissingSectionsAreRefused() throws Exception {
        final DeviceState s = sample(false);
        final StateWriter dup = new StateWriter();
        DsaStateSchema.initialPart(dup, s);
        dup.section(DsaStateSchema.REGISTERS, s.registers).section(DsaStateSchema.MSIX, s.msix)
            .section(DsaStateSchema.PASIDS, s.pasids);
        final byte[] pasids = new StateWriter().header().section(DsaStateSchema.PASIDS, s.pasids).take();
        final ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(dup.toByteArray());
        b.writeBytes(Arrays.copyOfRange(pasids, 8, pasids.length)); // pasids again
        final MigrationStreamException d = refused(b.toByteArray());
        assertEquals("pasids", d.section());
        assertTrue(d.getMessage().contains("duplicate or out-of-order"), d.getMessage());

        final StateWriter missing = new StateWriter();
        DsaStateSchema.initialPart(missing, s);
        missing.section(DsaStateSchema.REGISTERS, s.registers).section(DsaStateSchema.PASIDS, s.pasids).end();
        assertTrue(refused(missing.toByteArray()).getMessage().contains("mandatory section 'msix' missing"));

        final StateWriter compatLast = new StateWriter().header();
        compatLast.section(DsaStateSchema.REGISTERS, s.registers).section(DsaStateSchema.COMPAT, s.compat).end();
        assertTrue(refused(compatLast.toByteArray()).getMessage().contains("must come first"));
    }

    @Test
    void inconsistentStatesAreRefused() throws Exception {
        final DeviceState fewWqs = sample(true);
        fewWqs.registers.wqcfg.remove(7);
        assertTrue(refused(DsaStateSchema.encode(fewWqs)).getMessage().contains("7 WQCFG entries for 8 WQs"));
        final DeviceState twice = sample(true);
        twice.pasids.bindings.get(1).guestPasid = 5;
        assertTrue(refused(DsaStateSchema.encode(twice)).getMessage().contains("bound twice"));
        final DeviceState unbound = sample(true);
        unbound.queues.pageRequests.get(0).guestPasid = 6;
        assertTrue(refused(DsaStateSchema.encode(unbound)).getMessage().contains("unbound guest PASID 6"));
        final DeviceState badCaps = sample(true);
        badCaps.compat.wqs = 7;
        final MigrationStreamException e = refused(DsaStateSchema.encode(badCaps));
        assertEquals("compat", e.section());
        final DeviceState pending = sample(true);
        pending.msix.pending = new long[] {1L << 9};
        assertTrue(refused(DsaStateSchema.encode(pending)).getMessage().contains("pending bit beyond"));
    }

    /** A toy state for framing and version skew, independent of the DSA schema. */
    static final class Toy {
        int a;
        long b = -1;
        Toy child;
    }

    private static VmStateDescription<Toy> toy(int version, int minimum, boolean withB) {
        final VmStateDescription<Toy> child = VmStateDescription.builder("child", 1, 1, Toy::new)
            .u32("a", t -> t.a, (t, v) -> t.a = v).build();
        final VmStateDescription.Builder<Toy> b = VmStateDescription.builder("toy", version, minimum, Toy::new)
            .u8("a", t -> t.a, (t, v) -> t.a = v);
        if (withB) {
            b.u64("b", 2, t -> t.b, (t, v) -> t.b = v);
        }
        return b.subsection(child, t -> t.a == 7, t -> t.child, (t, v) -> t.child = v).build();
    }

    private static byte[] toyStream(VmStateDescription<Toy> d, Toy t) throws MigrationStreamException {
        return new StateWriter().header().section(d, t).end().toByteArray();
    }

    private static Toy toyDecode(VmStateDescription<Toy> d, byte[] s) throws MigrationStreamException {
        return new StateReader().first(d, t -> { }).decode(s).get(d);
    }

    @Test
    void versionSkewBothWays() throws Exception {
        final Toy t = new Toy();
        t.a = 3;
        t.b = 0x1234;
        // an older source (v1) into a newer destination (v2, minimum 1): the field added in v2 keeps its default
        final Toy fromOld = toyDecode(toy(2, 1, true), toyStream(toy(1, 1, false), t));
        assertEquals(3, fromOld.a);
        assertEquals(-1, fromOld.b);
        assertFalse(new StateReader().first(toy(2, 1, true), x -> { })
            .decode(toyStream(toy(1, 1, false), t)).currentVersions());
        // a newer source (v2) into an older destination (v1): refused
        final MigrationStreamException newer = assertThrows(MigrationStreamException.class,
            () -> toyDecode(toy(1, 1, false), toyStream(toy(2, 1, true), t)));
        assertTrue(newer.getMessage().contains("version 2 outside [1, 1]"), newer.getMessage());
        // a destination that no longer reads v1 (minimum 2)
        assertThrows(MigrationStreamException.class, () -> toyDecode(toy(3, 2, true), toyStream(toy(1, 1, false), t)));
        // same version both sides: everything arrives
        assertEquals(0x1234, toyDecode(toy(2, 1, true), toyStream(toy(2, 1, true), t)).b);
    }

    @Test
    void subsectionPresenceMustMatchItsNeededTest() throws Exception {
        final Toy t = new Toy();
        t.a = 7;
        t.child = new Toy();
        t.child.a = 99;
        final byte[] with = toyStream(toy(1, 1, false), t);
        assertEquals(99, toyDecode(toy(1, 1, false), with).child.a);
        // the same stream with a = 6: the child was sent although the loaded state does not need it
        final byte[] forged = with.clone();
        forged[versionAt(forged, "toy") + 8] = 6;
        assertTrue(assertThrows(MigrationStreamException.class, () -> toyDecode(toy(1, 1, false), forged))
            .getMessage().contains("does not need it"));
        // a = 7 without the child: missing but needed
        t.a = 6;
        final byte[] without = toyStream(toy(1, 1, false), t);
        final byte[] forged2 = without.clone();
        forged2[versionAt(forged2, "toy") + 8] = 7;
        assertTrue(assertThrows(MigrationStreamException.class, () -> toyDecode(toy(1, 1, false), forged2))
            .getMessage().contains("missing but needed"));
        assertNull(toyDecode(toy(1, 1, false), without).child);
    }

    @Test
    void theStreamIsBounded() {
        final Toy t = new Toy();
        final VmStateDescription<Toy> big = VmStateDescription.builder("big", 1, 1, Toy::new)
            .bytes("blob", 1 << 20, x -> new byte[1 << 20], (x, v) -> { }).build();
        final MigrationStreamException e = assertThrows(MigrationStreamException.class,
            () -> new StateWriter(4096).header().section(big, t));
        assertEquals("big", e.section());
        assertThrows(MigrationStreamException.class, () -> new StateReader(16).first(big, x -> { })
            .decode(new byte[17]));
    }

    @Test
    void theDestinationChecksCompatibilityBeforeAnythingElse() throws Exception {
        final DeviceState s = sample(true);
        final StateWriter w = new StateWriter();
        final byte[] initial = DsaStateSchema.initialPart(w, s);
        final byte[] rest = DsaStateSchema.finalPart(w, s);
        final DsaStateSchema.Compatibility other = sample(true).compat;
        other.mdevType = "dsa-1swq";
        final ResumingChannel wrong = new ResumingChannel(DsaStateSchema.reader(other));
        wrong.write(ByteBuffer.wrap(initial, 0, initial.length - 1));
        assertFalse(wrong.compatibilityChecked());
        final MigrationStreamException e = assertThrows(MigrationStreamException.class,
            () -> wrong.write(ByteBuffer.wrap(initial, initial.length - 1, 1)));
        assertEquals("compat", e.section());
        assertTrue(e.getMessage().contains("mdev type"), e.getMessage());
        assertThrows(MigrationStreamException.class, () -> wrong.write(ByteBuffer.wrap(rest)), "stays refused");
        // missing operations at the destination: refused; extra ones: fine
        final DsaStateSchema.Compatibility fewerOps = sample(true).compat;
        fewerOps.opcap[0] &= ~1L;
        assertThrows(MigrationStreamException.class, () -> fewerOps.checkSourceCompatible(s.compat));
        final DsaStateSchema.Compatibility moreOps = sample(true).compat;
        moreOps.opcap[1] = 1;
        moreOps.checkSourceCompatible(s.compat);
    }

    @Test
    void chunkingAtEverySplitSize() throws Exception {
        final DeviceState s = sample(true);
        final byte[] whole = DsaStateSchema.encode(s);
        for (int k = 1; k <= whole.length; k++) {
            final StateWriter w = new StateWriter();
            final SavingChannel saving = new SavingChannel(DsaStateSchema.initialPart(w, s), 1 << 20);
            final ResumingChannel resuming = new ResumingChannel(DsaStateSchema.reader(s.compat));
            final ByteBuffer chunk = ByteBuffer.allocate(k);
            int n;
            while ((n = saving.read(chunk.clear())) > 0) {
                resuming.write(chunk.flip());
            }
            assertEquals(SavingChannel.ENOMSG, n, "pre-copy data drained: ENOMSG, not end of stream");
            assertTrue(resuming.compatibilityChecked());
            saving.complete(DsaStateSchema.finalPart(w, s));
            while ((n = saving.read(chunk.clear())) > 0) {
                resuming.write(chunk.flip());
            }
            assertEquals(0, n);
            assertEquals(whole.length, resuming.bytesReceived());
            final DecodedState d = resuming.finish();
            assertTrue(d.currentVersions());
            assertEquals(List.of("compat", "registers", "msix", "pasids", "handles", "queues"),
                List.copyOf(d.sectionNames()));
        }
    }

    @Test
    void precopyInfoCountsInitialAndDirtyBytes() {
        final SavingChannel c = new SavingChannel(new byte[100], 1000);
        assertEquals(new PrecopyInfo(100, 0), c.precopyInfo());
        assertEquals(30, c.read(ByteBuffer.allocate(30)));
        assertEquals(new PrecopyInfo(70, 0), c.precopyInfo());
        c.append(new byte[40]);
        assertEquals(new PrecopyInfo(70, 40), c.precopyInfo());
        assertEquals(100, c.read(ByteBuffer.allocate(100)));
        assertEquals(new PrecopyInfo(0, 10), c.precopyInfo());
        assertEquals(10, c.read(ByteBuffer.allocate(100)));
        assertEquals(SavingChannel.ENOMSG, c.read(ByteBuffer.allocate(100)));
        assertEquals(SavingChannel.ENOMSG, c.read(ByteBuffer.allocate(100)), "still not ended");
        c.complete(new byte[5]);
        assertThrows(IllegalStateException.class, c::precopyInfo);
        assertEquals(5, c.read(ByteBuffer.allocate(100)));
        assertEquals(0, c.read(ByteBuffer.allocate(100)));
        assertThrows(IllegalStateException.class, () -> c.append(new byte[1]));
        assertThrows(IllegalStateException.class, () -> new SavingChannel(new byte[1001], 1000));
    }

    @Test
    void randomMutationsAreRefusedOrRoundTrip() throws Exception {
        final byte[] stream = DsaStateSchema.encode(sample(true));
        final java.util.SplittableRandom r = new java.util.SplittableRandom(12);
        int accepted = 0;
        for (int n = 0; n < 3000; n++) {
            final byte[] m = stream.clone();
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                m[r.nextInt(m.length)] = (byte) r.nextInt(256);
            }
            final DeviceState d;
            try {
                d = DsaStateSchema.decode(m, m.length, null);
            } catch (MigrationStreamException refusedAsIt) {
                continue;
            } catch (Throwable t) {
                throw new AssertionError("mutation " + n + " threw " + t, t);
            }
            accepted++;
            DsaStateSchema.check(d);
            assertArrayEquals(m, DsaStateSchema.encode(d), "an accepted current-version stream re-encodes to itself");
        }
        assertTrue(accepted > 0 && accepted < 3000, "accepted " + accepted);
    }

    /** Jazzer's finding: an empty array's element version was not checked, so two encodings of one state passed. */
    @Test
    void anEmptyArrayStillHasAValidElementVersion() throws Exception {
        final DeviceState s = sample(false);
        s.handles.handles.clear();
        final byte[] stream = DsaStateSchema.encode(s);
        final int at = versionAt(stream, "handles") + 8;
        assertArrayEquals(new byte[] {0, 0, 0, 1, 0, 0, 0, 0}, Arrays.copyOfRange(stream, at, at + 8),
            "element version 1, no elements");
        final byte[] forged = stream.clone();
        forged[at] = 0x68;
        forged[at + 1] = 0x02;
        final MigrationStreamException e = refused(forged);
        assertEquals("handles", e.section());
        assertTrue(e.getMessage().contains("element version"), e.getMessage());
    }
}
