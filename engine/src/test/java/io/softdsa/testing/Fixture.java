package io.softdsa.testing;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A device on fresh host memory with engines driven by the test thread (deterministic), plus helpers to run one
 * descriptor to completion. Closing it checks that no engine hit an internal error.
 */
public final class Fixture implements AutoCloseable {
    public final HostMemory memory;
    public final Device device;
    public final DsaClient client;

    private Fixture(HostMemory memory, Device device) {
        this.memory = memory;
        this.device = device;
        this.client = DsaClient.open(device, 0);
    }

    public static Fixture invoker(DeviceConfig config) {
        return invoker(config, DeviceCapabilities.defaults());
    }

    public static Fixture invoker(DeviceConfig config, DeviceCapabilities caps) {
        final HostMemory memory = HostMemory.allocate(64L << 20);
        final Device device = Device.create(memory, config,
            DeviceOptions.defaults().capabilities(caps).threading(Threading.INVOKER));
        device.enableAll();
        return new Fixture(memory, device);
    }

    /** One shared WQ of 32 entries and one embedder-driven engine. */
    public static Fixture sharedWq() {
        return invoker(DeviceConfig.singleWq(WqMode.SHARED, 32, 1));
    }

    public HostBuffer buffer(long bytes) {
        return client.allocate(bytes);
    }

    public MemorySegment mem() {
        return memory.segment();
    }

    /** Sets CRAV|RCR towards {@code cr}, arms it, submits, drives the engines until the record is written. */
    public int run(Descriptor d, CompletionRecord cr) {
        d.completionAddress(cr.address())
            .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD);
        return submitAndDrain(d, cr);
    }

    /** Submits {@code d} as it is and drives engines until idle; returns {@code cr}'s status (0 if unwritten). */
    public int submitAndDrain(Descriptor d, CompletionRecord cr) {
        cr.arm();
        if (!client.trySubmit(d)) {
            throw new AssertionError("WQ refused a descriptor in a test that expects room");
        }
        drive();
        return cr.status();
    }

    /** Drives engines until none has work. */
    public void drive() {
        Devices.drive(device);
    }

    public static void fillRandom(MemorySegment s, long seed) {
        final java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (long i = 0; i < s.byteSize(); i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        }
    }

    public static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @Override
    public void close() {
        Devices.closeChecked(device, client, device, memory);
    }
}
