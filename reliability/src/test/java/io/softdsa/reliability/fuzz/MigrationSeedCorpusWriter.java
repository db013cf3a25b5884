package io.softdsa.reliability.fuzz;

import io.softdsa.mdev.migration.DsaStateSchema;
import io.softdsa.mdev.migration.DsaStateSchema.DeviceState;
import io.softdsa.mdev.migration.MigrationStreamException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the seed corpus of {@link MigrationStreamFuzzTest}: a few valid device-state streams (files {@code seed-*}).
 * From the repository root, after {@code mvn -pl reliability -am test-compile}:
 * <pre>
 * java -cp reliability/target/test-classes:mdev/target/classes:engine/target/classes \
 *     io.softdsa.reliability.fuzz.MigrationSeedCorpusWriter reliability/src/test/resources
 * </pre>
 */
public final class MigrationSeedCorpusWriter {
    private MigrationSeedCorpusWriter() {
    }

    public static void main(String[] args) throws IOException, MigrationStreamException {
        final Path dir = Path.of(args.length > 0 ? args[0] : "reliability/src/test/resources")
            .resolve("io/softdsa/reliability/fuzz/MigrationStreamFuzzTestInputs/deviceStateStream");
        Files.createDirectories(dir);
        Files.write(dir.resolve("seed-minimal"), DsaStateSchema.encode(state(1, 1, 1, false, 0)));
        Files.write(dir.resolve("seed-eight-wqs"), DsaStateSchema.encode(state(8, 4, 4, false, 9)));
        Files.write(dir.resolve("seed-captured-and-page-requests"), DsaStateSchema.encode(state(8, 4, 4, true, 9)));
        Files.write(dir.resolve("seed-opcode-bitmap-wqcfg"), DsaStateSchema.encode(state(2, 1, 1, true, 64)));
    }

    /** A consistent state: {@code wqs} WQs, groups, engines, optionally captured work, {@code vectors} MSI-X. */
    static DeviceState state(int wqs, int groups, int engines, boolean queues, int vectors) {
        final DeviceState s = new DeviceState();
        final boolean opcodeBitmap = vectors == 64;
        s.compat.deviceId = 0x0B25;
        s.compat.version = opcodeBitmap ? 0x200 : 0x100;
        s.compat.gencap = 0x40915f0107L;
        s.compat.wqcap = (opcodeBitmap ? 1L << 54 : 0) | 3L << 48 | (long) wqs << 16 | 128;
        s.compat.grpcap = groups;
        s.compat.engcap = engines;
        s.compat.opcap = new long[] {0x00FF_03FFL, 0, 0, 0};
        s.compat.mdevType = "dsa-1dwq";
        s.compat.wqs = wqs;
        s.compat.groups = groups;
        s.compat.engines = engines;
        s.registers.gensts = 1;
        for (int w = 0; w < wqs; w++) {
            final DsaStateSchema.Wqcfg e = new DsaStateSchema.Wqcfg();
            e.words = new int[opcodeBitmap ? 16 : 8];
            e.words[0] = 16;
            e.words[2] = 0x11;
            s.registers.wqcfg.add(e);
        }
        for (int g = 0; g < groups; g++) {
            final DsaStateSchema.Grpcfg e = new DsaStateSchema.Grpcfg();
            e.engines = 1L << g;
            s.registers.grpcfg.add(e);
        }
        for (int v = 0; v < vectors; v++) {
            final DsaStateSchema.MsixEntry e = new DsaStateSchema.MsixEntry();
            e.address = 0xFEE0_0000L;
            e.data = 0x20 + v;
            s.msix.entries.add(e);
        }
        s.msix.pending = new long[(vectors + 63) / 64];
        final DsaStateSchema.PasidBinding b = new DsaStateSchema.PasidBinding();
        b.guestPasid = 3;
        b.stage1Root = 0x20_0000;
        s.pasids.bindings.add(b);
        if (vectors > 0) {
            final DsaStateSchema.Handle h = new DsaStateSchema.Handle();
            h.index = 1;
            h.handle = 7;
            s.handles.handles.add(h);
        }
        if (queues) {
            final DsaStateSchema.Captured c = new DsaStateSchema.Captured();
            c.wq = wqs - 1;
            c.guestPasid = 3;
            c.descriptor[7] = 0x03;
            s.queues.captured.add(c);
            s.queues.capturedSequence = 1;
            final DsaStateSchema.PageRequest r = new DsaStateSchema.PageRequest();
            r.guestPasid = 3;
            r.address = 0x40_0000;
            r.flags = 0b1001;
            s.queues.pageRequests.add(r);
        }
        return s;
    }
}
