package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.MdevManager;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import io.softdsa.memory.HostMemory;
import org.agrona.concurrent.BackoffIdleStrategy;
import io.softdsa.testing.TestData;
import io.softdsa.testing.Devices;

import java.util.ArrayList;
import java.util.List;

/**
 * A host DSA with user WQs and mdev WQs, and helpers to give guests virtual devices.
 *
 * <pre>
 *  group 0, engine 0: wq0 user shared 16 ("app"), wq1 user dedicated 8 ("dwq")
 *  group 1, engine 1: wq2 mdev dedicated 16, wq3 mdev shared 16, wq4 mdev shared 16
 *  group 2, engine 2: wq5 mdev shared 16, wq6 mdev dedicated 16
 *  group 3, engine 3: wq7 mdev shared 16
 *  mdev WQs: max transfer 2^30, max batch 1024
 * </pre>
 */
final class MdevFixture implements AutoCloseable {
    static final long TIMEOUT = 20_000_000_000L;

    final HostMemory memory;
    final HostDsa host;
    final MdevManager mdev;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    MdevFixture() {
        this(512L << 20);
    }

    MdevFixture(long hostMemory) {
        memory = HostMemory.allocate(hostMemory);
        host = HostDsa.start(memory, hostConfig());
        mdev = new MdevManager(host);
    }

    static DeviceConfig hostConfig() {
        return DeviceConfig.builder("dsa0")
            .group(GroupConfig.of(0, 0)).group(GroupConfig.of(1, 1)).group(GroupConfig.of(2, 2))
            .group(GroupConfig.of(3, 3))
            .wq(WqConfig.builder(0).shared().size(16).group(0).type(HostDsa.TYPE_USER).name("app")
                .maxTransferSize(1L << 30).build())
            .wq(WqConfig.builder(1).dedicated().size(8).group(0).type(HostDsa.TYPE_USER).name("dwq")
                .maxTransferSize(1L << 30).build())
            .wq(mdevWq(2, true, 1)).wq(mdevWq(3, false, 1)).wq(mdevWq(4, false, 1))
            .wq(mdevWq(5, false, 2)).wq(mdevWq(6, true, 2))
            .wq(mdevWq(7, false, 3))
            .build();
    }

    private static WqConfig mdevWq(int index, boolean dedicated, int group) {
        final WqConfig.Builder b = WqConfig.builder(index).size(16).group(group).type(HostDsa.TYPE_MDEV)
            .maxTransferSize(1L << 30).maxBatchSize(1024);
        return (dedicated ? b.dedicated() : b.shared().threshold(16)).build();
    }

    <T extends AutoCloseable> T track(T c) {
        closeables.add(c);
        return c;
    }

    GuestDomain guest(String name) {
        return guest(name, 64L << 20, false);
    }

    GuestDomain guest(String name, long bytes, boolean lazy) {
        return track(GuestDomain.create(host, name, bytes, lazy));
    }

    VirtualDsa vdev(VdevType type, GuestDomain guest) {
        return track(mdev.create(type, guest));
    }

    GuestDriver driver(VirtualDsa dev, GuestDomain guest) {
        return track(new GuestDriver(dev, guest));
    }

    static byte[] random(int n, long seed) {
        return TestData.random(n, seed);
    }

    /** Waits until {@code condition} holds (interrupts are raised after the record is visible, on another thread). */
    static void eventually(java.util.function.BooleanSupplier condition, String what) {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("never happened: " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(10_000);
        }
    }

    static int await(CompletionRecord cr) {
        final int s = cr.await(new BackoffIdleStrategy(), TIMEOUT);
        return s;
    }

    /** A memmove descriptor with a completion record (CRAV | RCR). */
    static Descriptor memmove(Descriptor d, long src, long dst, int size, long record) {
        return d.clear().opcode(Opcode.MEMMOVE)
            .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD)
            .completionAddress(record).source(src).destination(dst).transferSize(size);
    }

    @Override
    public void close() {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                throw new AssertionError("closing " + closeables.get(i), e);
            }
        }
        mdev.close();
        Devices.closeChecked(host.device(), host, memory);
    }
}
