package io.softdsa.reliability.fuzz;

import io.softdsa.reliability.Reference;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes the hand-made part of the seed corpus of {@link DeviceFuzzTest} (files named {@code seed-*}; what fuzzing
 * adds is named by content hash). Run from the repository root:
 * <pre>
 * mvn -q -pl reliability test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt \
 *     -Dmdep.includeScope=test
 * java -cp reliability/target/test-classes:reliability/target/classes:$(cat reliability/target/test-classpath.txt) \
 *     io.softdsa.reliability.fuzz.SeedCorpusWriter reliability/src/test/resources
 * </pre>
 */
public final class SeedCorpusWriter {
    private static final int[] OPCODES = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x10,
        0x11, 0x12, 0x13, 0x14, 0x15, 0x17, 0x20};

    private SeedCorpusWriter() {
    }

    public static void main(String[] args) throws IOException {
        final Path base = Path.of(args.length > 0 ? args[0] : "reliability/src/test/resources")
            .resolve("io/softdsa/reliability/fuzz/DeviceFuzzTestInputs");
        final SplittableRandom r = new SplittableRandom(7);
        // descriptor: patch switches, then 64 bytes
        for (int op : OPCODES) {
            for (int patches : new int[] {0x0F, 0x0E, 0x1F}) {
                final ByteBuffer b = le(65);
                b.put((byte) patches);
                final ByteBuffer d = le(64);
                d.putInt(4, 0x0C | (op == 0x04 ? 0 : 0)).put(7, (byte) op);
                d.putLong(16, r.nextLong()).putLong(24, r.nextLong()).putInt(32, 1 + r.nextInt(8192));
                if (op == 0x07) {
                    d.putInt(48, 800);
                }
                b.put(d.array());
                write(base, "descriptor", String.format("seed-op%02x-p%02x", op, patches), b.array());
            }
        }
        final byte[] raw = new byte[65];
        r.nextBytes(raw);
        write(base, "descriptor", "seed-random", raw);
        write(base, "descriptor", "seed-zero", new byte[65]);
        // batch lists: count, patches, outer switches, then 64 bytes per descriptor
        for (int count : new int[] {2, 5, 32, 0, 1}) {
            final ByteBuffer b = le(3 + 64 * Math.max(count, 2));
            b.put((byte) count).put((byte) 0x0F).put((byte) 1);
            for (int i = 0; i < Math.max(count, 2); i++) {
                final ByteBuffer d = le(64);
                final int op = i % 3 == 0 ? 0x03 : i % 3 == 1 ? 0x04 : 0x10;
                d.putInt(4, 0x0C | (i == 2 ? 0x01 : 0)).put(7, (byte) op).putLong(16, r.nextLong())
                    .putLong(24, r.nextLong()).putInt(32, 1 + r.nextInt(4096));
                b.put(d.array());
            }
            write(base, "batchList", "seed-count" + count, b.array());
        }
        final ByteBuffer misaligned = le(3 + 128).put((byte) 2).put((byte) 0x0F).put((byte) 3);
        write(base, "batchList", "seed-misaligned-list", misaligned.array());
        // delta records: words (u16), then entries
        write(base, "deltaRecord", "seed-increasing", delta(64, new int[] {0, 3, 7, 63}, r));
        write(base, "deltaRecord", "seed-not-increasing", delta(64, new int[] {4, 4, 9}, r));
        write(base, "deltaRecord", "seed-out-of-range", delta(16, new int[] {1, 15, 16, 20}, r));
        write(base, "deltaRecord", "seed-single", delta(1, new int[] {0}, r));
        // DIF tuples: op, source flags, DIF flags, destination flags, seeds; then the source
        for (int op = 0; op < 5; op++) {
            for (int difFlags : new int[] {0, 1, 0x04, 0x0D}) {
                final int bs = Reference.difBlockSize(difFlags);
                final byte[] data = new byte[bs * 2];
                r.nextBytes(data);
                final int refSeed = 0x1000;
                final int appSeed = 0x2222;
                final byte[] src = op < 3 ? Reference.difInsert(data, difFlags, 0, refSeed, appSeed) : data;
                final ByteBuffer b = le(16 + src.length);
                b.put((byte) op).put((byte) 0).put((byte) difFlags).put((byte) 0x10).putInt(refSeed)
                    .putShort((short) 0).putShort((short) appSeed).putShort((short) 0).putShort((short) 0x7777);
                b.position(16);
                b.put(src);
                write(base, "difTuples", String.format("seed-op%d-flags%02x", op, difFlags), b.array());
            }
        }
        // accel-config JSON
        for (String[] json : ACCEL_CONFIG) {
            write(base, "accelConfigJson", "seed-" + json[0], json[1].getBytes(StandardCharsets.UTF_8));
        }
    }

    private static byte[] delta(int words, int[] indices, SplittableRandom r) {
        final ByteBuffer b = le(2 + 10 * indices.length).putShort((short) words);
        for (int index : indices) {
            b.putShort((short) index).putLong(r.nextLong());
        }
        return b.array();
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void write(Path base, String target, String name, byte[] bytes) throws IOException {
        final Path dir = base.resolve(target);
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), bytes);
    }

    private static final String SAMPLE = """
        [
          {
            "dev":"dsa0",
            "read_buffer_limit":0,
            "groups":[
              {
                "dev":"group0.0",
                "read_buffers_reserved":0,
                "use_read_buffer_limit":0,
                "read_buffers_allowed":8,
                "grouped_workqueues":[
                  {
                    "dev":"wq0.0",
                    "mode":"shared",
                    "size":16,
                    "group_id":0,
                    "priority":10,
                    "block_on_fault":1,
                    "max_batch_size":1024,
                    "max_transfer_size":2147483648,
                    "type":"user",
                    "name":"app1",
                    "driver_name":"user",
                    "threshold":15,
                    "ats_disable":0
                  }
                ],
                "grouped_engines":[
                  { "dev":"engine0.0", "group_id":0 }
                ]
              }
            ]
          }
        ]
        """;

    private static final String[][] ACCEL_CONFIG = {
        {"fact-sheet-sample", SAMPLE},
        {"legacy-token-keys", SAMPLE.replace("read_buffers_allowed", "tokens_allowed")
            .replace("read_buffer_limit", "token_limit")},
        {"trailing-comma", SAMPLE.replace("\"read_buffers_allowed\":8,", "\"read_buffers_allowed\":8,,")
            .replace("\"group_id\":0 }", "\"group_id\":0, }")},
        {"dedicated", SAMPLE.replace("\"shared\"", "\"dedicated\"").replace("\"threshold\":15,", "")},
        {"bad-priority", SAMPLE.replace("\"priority\":10", "\"priority\":16")},
        {"bad-threshold", SAMPLE.replace("\"threshold\":15", "\"threshold\":17")},
        {"op-config", SAMPLE.replace("\"ats_disable\":0",
            "\"ats_disable\":0, \"op_config\":\"00000000,00000000,00000000,00000000,00000000,00000000,00000000,0000ffff\"")},
        {"ungrouped", "[{\"dev\":\"dsa0\",\"groups\":[],\"ungrouped_engines\":[{\"dev\":\"engine0.1\",\"group_id\":-1}]}]"},
        {"iax-skipped", "[{\"dev\":\"iax1\",\"groups\":[]}]"},
        {"not-json", "{\"dev\":"},
        {"empty", ""},
    };
}
