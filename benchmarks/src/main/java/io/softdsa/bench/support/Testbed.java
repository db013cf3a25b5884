package io.softdsa.bench.support;

import io.softdsa.client.DsaClient;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.WorkQueue;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;

import java.nio.file.Path;

/**
 * A device under measurement: one group, one WQ 0 served by {@code engines} busy-spinning engines, and a client of
 * that WQ. Closing it disables the device (draining the WQ, stopping the engine threads) and frees the client's
 * completion records; the host memory stays the caller's.
 */
public final class Testbed implements AutoCloseable {
    /** WQ size used by every benchmark: deep enough for the in-flight window, within the default total of 128. */
    public static final int WQ_SIZE = 64;

    private final Device device;
    private final DsaClient client;

    private Testbed(Device device, DsaClient client) {
        this.device = device;
        this.client = client;
    }

    /**
     * Where every benchmark device keeps its counters when nothing else says: the {@code softdsa.counters} system
     * property, else the {@code SOFTDSA_COUNTERS} environment variable (JMH's forks inherit it), else none.
     */
    public static final String COUNTERS_PROPERTY = "softdsa.counters";
    public static final String COUNTERS_ENVIRONMENT = "SOFTDSA_COUNTERS";

    /** Engine threads that busy-spin, as a benchmark wants them. */
    public static Testbed open(HostMemory memory, WqMode mode, int engines) {
        return open(memory, mode, engines, Threading.THREAD_PER_ENGINE);
    }

    /** As {@link #open(HostMemory, WqMode, int)}, keeping the device's counters in {@code counters} (null: none). */
    public static Testbed open(HostMemory memory, WqMode mode, int engines, Path counters) {
        return open(memory, DeviceConfig.singleWq(mode, WQ_SIZE, engines),
            DeviceOptions.defaults().busySpin().countersFile(counters));
    }

    /** With {@link Threading#INVOKER} no engine thread runs: the caller drives engines ({@link Device#invokeEngines()}). */
    public static Testbed open(HostMemory memory, WqMode mode, int engines, Threading threading) {
        return open(memory, DeviceConfig.singleWq(mode, WQ_SIZE, engines),
            DeviceOptions.defaults().busySpin().threading(threading));
    }

    /**
     * A device of any {@code config} (whose WQ 0 the client opens) and {@code options}, e.g. with an IOMMU for
     * shared virtual addressing ({@link DeviceOptions#sva}) or a WQ with PASID enabled. Options without a counters
     * file get the one {@link #COUNTERS_PROPERTY} or {@link #COUNTERS_ENVIRONMENT} names, if any.
     */
    public static Testbed open(HostMemory memory, DeviceConfig config, DeviceOptions options) {
        if (options.countersFile() == null && defaultCountersFile() != null) {
            options = options.countersFile(defaultCountersFile());
        }
        final Device device = Device.create(memory, config, options);
        try {
            device.enableAll();
            return new Testbed(device, DsaClient.open(device, 0));
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /** The counters file {@link #COUNTERS_PROPERTY} or {@link #COUNTERS_ENVIRONMENT} names, or null. */
    public static Path defaultCountersFile() {
        final String p = System.getProperty(COUNTERS_PROPERTY, System.getenv(COUNTERS_ENVIRONMENT));
        return p == null || p.isBlank() ? null : Path.of(p);
    }

    public static Testbed open(HostMemory memory, String mode, int engines) {
        return open(memory, parseMode(mode), engines);
    }

    /** {@code shared} or {@code dedicated}, as accel-config spells the WQ mode. */
    public static WqMode parseMode(String mode) {
        for (WqMode m : WqMode.values()) {
            if (m.accelConfigName().equalsIgnoreCase(mode)) {
                return m;
            }
        }
        throw new IllegalArgumentException("WQ mode must be shared or dedicated: " + mode);
    }

    public Device device() {
        return device;
    }

    public DsaClient client() {
        return client;
    }

    public WorkQueue wq() {
        return client.wq();
    }

    /** Throws if the device reported anything unexpected: a SWERR entry (e.g. a dropped descriptor) or an internal error. */
    public void checkHealthy() {
        final long swerr = device.swerr().totalErrors();
        final long internal = device.internalErrors();
        if (swerr != 0 || internal != 0) {
            throw new IllegalStateException("device reported " + swerr + " SWERR entries and " + internal
                + " internal errors; first: " + (swerr != 0 ? device.swerr().history().getFirst() : "-"));
        }
    }

    @Override
    public void close() {
        try {
            device.close();
        } finally {
            client.close();
        }
    }
}
