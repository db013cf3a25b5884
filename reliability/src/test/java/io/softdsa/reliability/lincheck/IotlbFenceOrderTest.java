package io.softdsa.reliability.lincheck;

import io.softdsa.iommu.Iotlb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IOTLB's Java-memory-model steps, which a sequentially consistent model checker cannot see (issue 11 items 14
 * and 15), checked in the order the bytecode performs them — as Agrona's tests check a ring buffer's barrier order
 * with mocks. Each method's memory actions are listed in program order (VarHandle access modes and fences, plain
 * {@code long[]} loads and stores, volatile field reads) and the pairing steps must appear where the protocol needs
 * them:
 * <ul>
 * <li>seqlock writers ({@code insert}, {@code invalidateEntry}): odd-version CAS, then {@code storeStoreFence}, then
 * the first payload store (Linux {@code write_seqcount_begin}'s {@code smp_wmb()}); the even version by release;
 * <li>the seqlock reader ({@code lookup}): acquire of the version, payload loads, {@code loadLoadFence}, re-read;
 * <li>the epoch handshake ({@code enter}): the volatile store of the slot is followed by a volatile re-read of the
 * epoch that can loop back (Dekker: publish, re-read, republish while it moved).
 * </ul>
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IotlbFenceOrderTest {

    /** A method's memory actions in program order, and whether it has a backward jump after a given action. */
    private record Actions(List<String> list, Set<Integer> loopsBackAfter) {
        int first(String action, int from) {
            for (int i = from; i < list.size(); i++) {
                if (list.get(i).equals(action)) {
                    return i;
                }
            }
            return -1;
        }
    }

    private static Actions actions(String method) throws IOException {
        final List<String> list = new ArrayList<>();
        final Set<Integer> loops = new HashSet<>();
        try (InputStream in = Iotlb.class.getResourceAsStream("Iotlb.class")) {
            new ClassReader(in.readAllBytes()).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String d, String s, String[] e) {
                    if (!name.equals(method)) {
                        return null;
                    }
                    return new MethodVisitor(Opcodes.ASM9) {
                        private final Set<Label> seen = new HashSet<>();

                        @Override
                        public void visitLabel(Label label) {
                            seen.add(label);
                        }

                        @Override
                        public void visitJumpInsn(int opcode, Label label) {
                            if (seen.contains(label)) {
                                loops.add(list.size() - 1); // a jump back to code already passed: a loop
                            }
                        }

                        @Override
                        public void visitMethodInsn(int opcode, String owner, String n, String desc, boolean itf) {
                            if (owner.equals("java/lang/invoke/VarHandle")) {
                                list.add(n);
                            }
                        }

                        @Override
                        public void visitFieldInsn(int opcode, String owner, String n, String desc) {
                            if (n.equals("epoch")) {
                                list.add(opcode == Opcodes.GETFIELD ? "read epoch" : "write epoch");
                            }
                        }

                        @Override
                        public void visitInsn(int opcode) {
                            if (opcode == Opcodes.LALOAD) {
                                list.add("load");
                            } else if (opcode == Opcodes.LASTORE) {
                                list.add("store");
                            }
                        }
                    };
                }
            }, 0);
        }
        assertTrue(!list.isEmpty(), "no method " + method + " in Iotlb");
        return new Actions(list, loops);
    }

    private static void assertWriterFencesAfterTheOddCas(String method) throws IOException {
        final Actions a = actions(method);
        final int cas = a.first("compareAndSet", 0);
        final int fence = a.first("storeStoreFence", cas);
        final int store = a.first("store", cas);
        final int release = a.first("setRelease", cas);
        assertTrue(cas >= 0 && fence == cas + 1, method + ": storeStoreFence right after the odd CAS: " + a.list());
        assertTrue(store > fence && release > store, method + ": payload stores, then the even release: " + a.list());
    }

    @Test
    void seqlockWritersFenceStoreStoreAfterTheOddVersion() throws IOException {
        assertWriterFencesAfterTheOddCas("insert");
        assertWriterFencesAfterTheOddCas("invalidateEntry");
    }

    @Test
    void seqlockReaderFencesLoadLoadBeforeTheVersionReRead() throws IOException {
        final Actions a = actions("lookup");
        final int acquire = a.first("getAcquire", 0);
        final int load = a.first("load", acquire);
        final int fence = a.first("loadLoadFence", load);
        final int reread = a.first("getOpaque", fence);
        assertTrue(acquire >= 0 && load > acquire && fence > load && reread == fence + 1,
            "acquire, payload, loadLoadFence, re-read: " + a.list());
        assertTrue(a.first("load", fence) < 0 || a.first("load", fence) > reread, "no payload load after the fence");
    }

    @Test
    void enterReReadsTheEpochAfterPublishingAndLoops() throws IOException {
        final Actions a = actions("enter");
        final int publish = a.first("setVolatile", 0);
        final int reread = a.first("read epoch", publish);
        assertTrue(publish >= 0 && reread > publish, "volatile publish, then a volatile re-read: " + a.list());
        assertTrue(a.loopsBackAfter().stream().anyMatch(i -> i >= reread),
            "republishes while the epoch moved (a loop after the re-read): " + a.list());
    }
}
