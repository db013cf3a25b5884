package io.softdsa.telemetry;

import org.agrona.concurrent.status.AtomicCounter;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A device's counters file and the counters in it: one {@link WqCounters} per WQ index that was ever configured, one
 * {@link EngineCounters} per engine index, and the {@link DeviceCounters}. Counters are allocated when their WQ or
 * engine first appears and stay until the device closes, so a reader sees counts go on across reconfiguration.
 * <p>
 * Labels start with the device and unit, so a reader needs nothing but the file: {@code dsa0 wq0.1 accepted},
 * {@code dsa0 wq0.2 "db" accepted} (a named WQ), {@code dsa0 engine0.0 busy ns}, {@code dsa0 page requests}.
 * <p>
 * {@link #DISABLED} (no file) hands out the disabled counter sets: nothing is mapped, nothing is counted.
 */
public final class DeviceTelemetry implements AutoCloseable {
    /** No counters file. */
    public static final DeviceTelemetry DISABLED = new DeviceTelemetry();

    private final CountersFile file;
    private final String deviceName;
    private final int deviceIndex;
    private final DeviceCounters device;
    private final Map<Integer, WqCounters> wqs = new HashMap<>();
    private final Map<Integer, String> wqLabels = new HashMap<>();
    private final Map<Integer, EngineCounters> engines = new HashMap<>();

    private DeviceTelemetry() {
        file = null;
        deviceName = "";
        deviceIndex = -1;
        device = DeviceCounters.DISABLED;
    }

    private DeviceTelemetry(CountersFile file, String deviceName, int deviceIndex) {
        this.file = file;
        this.deviceName = deviceName;
        this.deviceIndex = deviceIndex;
        this.device = new DeviceCounters(counter(CounterKind.DEVICE_PAGE_REQUESTS, -1, deviceName),
            counter(CounterKind.DEVICE_INTERNAL_ERRORS, -1, deviceName),
            counter(CounterKind.DEVICE_ENGINE_THREAD_ERRORS, -1, deviceName));
    }

    /**
     * Creates (or replaces) the counters file at {@code path} for a device with at most {@code maxWqs} WQs and
     * {@code maxEngines} engines.
     */
    public static DeviceTelemetry open(Path path, String deviceName, int deviceIndex, int maxWqs, int maxEngines) {
        final int capacity = maxWqs * CounterKind.count(CounterKind.Scope.WQ)
            + maxEngines * CounterKind.count(CounterKind.Scope.ENGINE) + CounterKind.count(CounterKind.Scope.DEVICE);
        return new DeviceTelemetry(CountersFile.create(path, deviceName, deviceIndex, capacity), deviceName,
            deviceIndex);
    }

    public boolean enabled() {
        return file != null;
    }

    /** The counters file, or null when disabled. */
    public Path file() {
        return file == null ? null : file.path();
    }

    public DeviceCounters device() {
        return device;
    }

    /**
     * The counters of WQ {@code index} ({@code wqName}: its configured name, may be empty; left out of the labels
     * when it is just the WQ's device name), allocated on first use; relabelled if the WQ's name changed.
     */
    public synchronized WqCounters wq(int index, String wqName) {
        if (file == null) {
            return WqCounters.DISABLED;
        }
        final String devName = "wq" + deviceIndex + "." + index;
        final String prefix = deviceName + " " + devName
            + (wqName == null || wqName.isEmpty() || wqName.equals(devName) ? "" : " \"" + wqName + "\"");
        WqCounters c = wqs.get(index);
        if (c == null) {
            c = new WqCounters(kind -> counter(kind, index, prefix));
            wqs.put(index, c);
            wqLabels.put(index, prefix);
        } else if (!prefix.equals(wqLabels.get(index))) {
            c.label(prefix);
            wqLabels.put(index, prefix);
        }
        return c;
    }

    /** The counters of engine {@code id}, allocated on first use. */
    public synchronized EngineCounters engine(int id) {
        if (file == null) {
            return EngineCounters.DISABLED;
        }
        return engines.computeIfAbsent(id, i -> new EngineCounters(
            kind -> counter(kind, i, deviceName + " engine" + deviceIndex + "." + i), device));
    }

    private AtomicCounter counter(CounterKind kind, int unit, String prefix) {
        return file.manager().newCounter(prefix + " " + kind.label(), kind.typeId(), key -> {
            key.putInt(CounterKind.KEY_DEVICE_OFFSET, deviceIndex);
            key.putInt(CounterKind.KEY_UNIT_OFFSET, unit);
        });
    }

    /** Stamps the file's close time; its values stay readable (see {@link CountersFile#close()}). */
    @Override
    public void close() {
        if (file != null) {
            file.close();
        }
    }
}
