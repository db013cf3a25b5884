package io.softdsa.reliability.property;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.device.Threading;
import io.softdsa.device.WorkQueue;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.memory.HostMemory;
import io.softdsa.testing.Devices;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A small device for property and fuzz tests: 4 MiB of host memory, one embedder-driven engine (deterministic),
 * a shared WQ 0 and a dedicated WQ 1, physical addressing. It runs one descriptor at a time to its end with a time
 * bound, and checks what the device wrote against a snapshot of all of host memory: every byte outside the buffers a
 * descriptor names is a canary.
 */
public final class DeviceUnderTest implements AutoCloseable {
    public static final long MEMORY = 4L << 20;
    /** Completion records live in the first 64 KiB (past frame 0); buffers in [1 MiB, 4 MiB). */
    public static final long RECORDS = 0x1000;
    public static final long DATA = 1L << 20;
    public static final long MAX_TRANSFER = 1L << 20;
    public static final int MAX_BATCH = 32;
    private static final Duration TIME_BOUND = Duration.ofSeconds(20);

    /** Completion statuses of fact sheet section 5 (0x1A and 0x1B go to SWERR, never to a record). */
    public static final int[] RECORD_STATUSES = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x10, 0x11,
        0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x21, 0x22};
    /** SWERR error codes: the statuses, the two SWERR-only ones, and 0x30 / 0x31 for dropped posted descriptors. */
    public static final int[] SWERR_CODES = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x10, 0x11, 0x12,
        0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x21, 0x22, 0x30, 0x31};

    public final HostMemory memory;
    public final Device device;
    public final MemorySegment m;
    private final Arena arena = Arena.ofShared();
    private final Descriptor staging = Descriptor.allocate(arena);
    private final byte[] snapshot = new byte[(int) MEMORY];
    private final ExecutorService driver = Executors.newSingleThreadExecutor(r -> {
        final Thread t = new Thread(r, "property-engine-driver");
        t.setDaemon(true);
        return t;
    });
    private long descriptorsRun;

    public DeviceUnderTest() {
        this(null);
    }

    /** @param iommu the IOMMU the device's DMA goes through (null: pass-through, the device's default) */
    public DeviceUnderTest(java.util.function.Function<HostMemory, io.softdsa.iommu.Iommu> iommu) {
        memory = HostMemory.allocate(MEMORY);
        m = memory.segment();
        final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
            .wq(WqConfig.builder(0).shared().size(32).threshold(32).group(0).maxTransferSize(MAX_TRANSFER)
                .maxBatchSize(MAX_BATCH).build())
            .wq(WqConfig.builder(1).dedicated().size(16).group(0).maxTransferSize(MAX_TRANSFER)
                .maxBatchSize(MAX_BATCH).build())
            .build();
        final DeviceOptions options = DeviceOptions.defaults().threading(Threading.INVOKER);
        device = Device.create(memory, cfg, iommu == null ? options : options.iommu(iommu));
        device.enableAll();
    }

    public WorkQueue wq(boolean dedicated) {
        return device.wq(dedicated ? 1 : 0);
    }

    /** Fills [DATA, MEMORY) with random bytes and zeroes the record area. */
    public void randomize(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        for (long a = DATA; a < MEMORY; a += 8) {
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, a, r.nextLong());
        }
        m.asSlice(0, DATA).fill((byte) 0);
    }

    /** Remembers all of host memory. */
    public void snapshot() {
        MemorySegment.copy(m, ValueLayout.JAVA_BYTE, 0, snapshot, 0, snapshot.length);
    }

    public byte[] snapshotBytes() {
        return snapshot;
    }

    /** Host memory bytes as they are now. */
    public byte[] bytes(long address, int length) {
        final byte[] out = new byte[length];
        MemorySegment.copy(m, ValueLayout.JAVA_BYTE, address, out, 0, length);
        return out;
    }

    public byte[] before(long address, int length) {
        final byte[] out = new byte[length];
        System.arraycopy(snapshot, (int) address, out, 0, length);
        return out;
    }

    public void write(long address, byte[] bytes) {
        MemorySegment.copy(bytes, 0, m, ValueLayout.JAVA_BYTE, address, bytes.length);
    }

    /** A staging descriptor (outside host memory, as a CPU register operand), cleared. */
    public Descriptor descriptor() {
        return staging.clear();
    }

    /**
     * Submits the staged descriptor (ENQCMD on WQ 0, MOVDIR64B on WQ 1) and drives the engine until it is idle,
     * within a time bound; throws if the WQ refused it, an engine threw, or the bound passed.
     */
    public void run(Descriptor d, boolean dedicated) {
        final WorkQueue wq = wq(dedicated);
        if (dedicated) {
            wq.portal().movdir64b(d);
        } else if (!wq.portal().enqcmd(d)) {
            throw new AssertionError("an empty shared WQ answered retry");
        }
        final Future<?> f = driver.submit(() -> Devices.drive(device));
        try {
            f.get(TIME_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the device did not finish one descriptor within " + TIME_BOUND + ": " + d);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("an engine threw out of invokeEngines", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        descriptorsRun++;
    }

    public long descriptorsRun() {
        return descriptorsRun;
    }

    /**
     * The first address whose byte changed since the snapshot and lies outside every range of {@code allowed}
     * ({start, length} pairs, unsigned), or -1.
     */
    public long changedOutside(List<long[]> allowed) {
        final MemorySegment before = MemorySegment.ofArray(snapshot);
        long from = 0;
        while (from < MEMORY) {
            final long at = MemorySegment.mismatch(before, from, MEMORY, m, from, MEMORY);
            if (at < 0) {
                return -1;
            }
            final long address = from + at;
            final long end = coveringEnd(allowed, address);
            if (end < 0) {
                return address;
            }
            from = Math.min(MEMORY, end);
        }
        return -1;
    }

    private static long coveringEnd(List<long[]> allowed, long address) {
        for (long[] r : allowed) {
            if (Long.compareUnsigned(address - r[0], r[1]) < 0) {
                final long end = r[0] + r[1];
                return Long.compareUnsigned(end, r[0]) < 0 || end > MEMORY || end < 0 ? MEMORY : end;
            }
        }
        return -1;
    }

    /** New SWERR entries since {@code mark} (an index into the history). */
    public List<SwerrEntry> swerrSince(int mark) {
        final List<SwerrEntry> h = device.swerr().history();
        return new ArrayList<>(h.subList(Math.min(mark, h.size()), h.size()));
    }

    public int swerrMark() {
        final int size = device.swerr().history().size();
        if (size > 3000) {
            device.swerr().clearHistory();
            device.swerr().clear(3);
            return 0;
        }
        return size;
    }

    public static boolean in(int[] set, int value) {
        for (int v : set) {
            if (v == value) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        driver.shutdownNow();
        Devices.closeChecked(device, device, memory, arena);
    }
}
