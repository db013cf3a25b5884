package io.softdsa.reliability.lincheck;

import io.softdsa.engine.DescriptorRing;
import io.softdsa.portal.Portal;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dedicated-WQ posted path: {@code Portal.movdir64b} never answers; a descriptor that finds the WQ full (0x30)
 * or disabled (0x31) is dropped into SWERR through the portal's drop listener. Its sequential meaning: a bounded FIFO
 * where every posted descriptor is either queued or dropped with the right SWERR code, and a drop for "full" happens
 * only when the WQ holds {@code SIZE} descriptors. Twin of the engine's {@code Portal} over the twin of its
 * ring, so the model checker sees every off-heap access of both.
 */
class DedicatedPortalLincheckTest {
    static final int SIZE = 2;

    @Param(name = "id", gen = IntGen.class, conf = "1:3")
    public abstract static class DwqScenario {
        private final RingAccess ring;
        private final PortalAccess portal;
        /** The SWERR code of the submitting thread's last drop (the drop listener runs in the submitter). */
        private final ThreadLocal<int[]> lastDrop = ThreadLocal.withInitial(() -> new int[1]);

        DwqScenario(boolean twin) {
            final Portal.DropListener drops = (code, src, offset) -> lastDrop.get()[0] = code;
            if (twin) {
                final Map<Class<?>, Class<?>[]> classes = new LinkedHashMap<>();
                classes.put(DescriptorRing.class, new Class<?>[] {RingAccess.class});
                classes.put(Portal.class, new Class<?>[] {PortalAccess.class});
                final Map<Class<?>, Class<?>> twins = OffHeapTwin.define(classes);
                try {
                    ring = (RingAccess) twins.get(DescriptorRing.class).getConstructor(int.class)
                        .newInstance(SIZE);
                    portal = (PortalAccess) twins.get(Portal.class).getConstructor(twins.get(DescriptorRing.class),
                        int.class, boolean.class, long.class, Portal.DropListener.class)
                        .newInstance(ring, SIZE, true, -1L, drops);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            } else {
                final DescriptorRing real = new DescriptorRing(SIZE);
                final Portal p = new Portal(real, SIZE, true, -1, drops);
                ring = Rings.engine(real);
                portal = new PortalAccess() {
                    @Override
                    public boolean enqcmd(java.lang.foreign.MemorySegment src, long offset) {
                        return p.enqcmd(src, offset);
                    }

                    @Override
                    public void movdir64b(java.lang.foreign.MemorySegment src, long offset) {
                        p.movdir64b(src, offset);
                    }
                };
            }
            ring.open();
            LincheckRuns.INSTANCES.incrementAndGet();
        }

        /** MOVDIR64B; returns what the device did with it: 0 queued, else the SWERR code of the drop. */
        @Operation
        public int movdir64b(@Param(name = "id") int id) {
            final int[] drop = lastDrop.get();
            drop[0] = 0;
            portal.movdir64b(Rings.descriptor(id), 0);
            return drop[0];
        }

        @Operation
        public int dispatch() {
            return Rings.dispatch(ring);
        }

        @Operation
        public long disable() {
            return ring.close();
        }

        @Operation
        public void enable() {
            ring.open();
        }
    }

    public static final class EngineDwqTwin extends DwqScenario {
        public EngineDwqTwin() {
            super(true);
        }
    }

    public static final class EngineDwq extends DwqScenario {
        public EngineDwq() {
            super(false);
        }
    }

    public static final class Spec {
        private final ArrayDeque<Integer> queue = new ArrayDeque<>();
        private boolean closed;
        private long accepted;
        public int movdir64b(int id) {
            if (closed) {
                return 0x31;
            }
            if (queue.size() >= SIZE) {
                return 0x30;
            }
            queue.add(id);
            accepted++;
            return 0;
        }

        public int dispatch() {
            final Integer id = queue.poll();
            return id == null ? Rings.EMPTY : id;
        }

        public long disable() {
            closed = true;
            return accepted;
        }

        public void enable() {
            closed = false;
        }
    }

    @AfterAll
    static void figures() {
        System.out.println("[lincheck] scenario instances run so far (one per invocation): "
            + LincheckRuns.INSTANCES.get() + " (" + LincheckRuns.ITERATIONS + " scenarios x "
            + LincheckRuns.INVOCATIONS + " invocations per check)");
    }

    @Test
    void modelCheckingFindsThePostedPathLinearizable() {
        LincheckRuns.bounded(new ModelCheckingOptions()).threads(3).actorsPerThread(2).actorsBefore(1)
            .actorsAfter(2).sequentialSpecification(Spec.class).check(EngineDwqTwin.class);
    }

    @Test
    void stressFindsThePostedPathLinearizableOnRealThreads() {
        LincheckRuns.bounded(new StressOptions()).threads(3).actorsPerThread(2).actorsBefore(1).actorsAfter(2)
            .sequentialSpecification(Spec.class).check(EngineDwq.class);
    }
}
