package io.softdsa.device;

import io.softdsa.completion.InterruptTable;
import io.softdsa.completion.SoftwareErrorRegister;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.engine.DescriptorExecutor;
import io.softdsa.engine.Engine;
import io.softdsa.engine.Engines;
import io.softdsa.engine.EngineErrors;
import io.softdsa.iommu.Iommu;
import io.softdsa.memory.HostMemory;
import io.softdsa.ops.Dma;
import io.softdsa.ops.OpContext;
import io.softdsa.ops.OperationRules;
import io.softdsa.ops.OperationTable;
import io.softdsa.telemetry.DeviceTelemetry;
import io.softdsa.telemetry.EngineCounters;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A software DSA device: WQs, groups and engines configured as accel-config does, executing descriptors on
 * {@link HostMemory} through an {@link Iommu}. Lifecycle follows the hardware: configure while disabled, enable the
 * device (engines start), enable WQs, submit through portals; disable WQs (drain) or abort them, disable the device.
 *
 * <pre>{@code
 * try (HostMemory memory = HostMemory.allocate(64 << 20);
 *      Device dsa = Device.create(memory, DeviceConfig.singleWq(WqMode.SHARED, 32, 1))) {
 *     dsa.enableAll();
 *     Portal portal = dsa.wq(0).portal();
 *     ...
 * }
 * }</pre>
 */
public final class Device implements AutoCloseable {
    private final HostMemory memory;
    private final DeviceOptions options;
    private final DeviceCapabilities caps;
    private final SoftwareErrorRegister swerr = new SoftwareErrorRegister();
    private final InterruptTable interrupts;
    private final Iommu iommu;
    private final OperationRules rules;
    private final EngineErrors errors;
    /** The engines, their threads and the waits for their descriptors (the engine side's; this class wires). */
    private final Engines engines;
    /** The counters file, or {@link DeviceTelemetry#DISABLED}. */
    private final DeviceTelemetry telemetry;
    /** The name and index the device was created with: its counters' labels and its JFR events carry them. */
    private final String name;
    private final int index;

    private DeviceConfig config;
    private WorkQueue[] wqs = new WorkQueue[0];
    private int[] engineGroups = new int[0];
    private volatile DeviceState state = DeviceState.DISABLED;

    private Device(HostMemory memory, DeviceConfig config, DeviceOptions options) {
        this.memory = memory;
        this.options = options;
        this.caps = options.capabilities();
        this.iommu = options.iommu().apply(memory);
        this.rules = new OperationRules(caps, DescriptorExecutor.implementedOpcodes());
        this.name = config.name();
        this.index = config.deviceIndex();
        this.telemetry = options.countersFile() == null ? DeviceTelemetry.DISABLED
            : DeviceTelemetry.open(options.countersFile(), name, index, caps.maxWqs(), caps.maxEngines());
        this.errors = telemetry.enabled()
            ? new EngineErrors(telemetry.device().internalErrors(), telemetry.device().engineThreadErrors())
            : new EngineErrors();
        this.engines = new Engines(errors);
        this.interrupts = new InterruptTable(caps.interruptHandles(), options.threadFactory());
        for (int h = 0; h < interrupts.size(); h++) {
            interrupts.allocate(h); // MSI-X: every vector is set up at probe, handle = vector index
        }
        try {
            configure(config);
        } catch (RuntimeException e) {
            telemetry.close();
            throw e;
        }
    }

    public static Device create(HostMemory memory, DeviceConfig config) {
        return create(memory, config, DeviceOptions.defaults());
    }

    public static Device create(HostMemory memory, DeviceConfig config, DeviceOptions options) {
        return new Device(memory, config, options);
    }

    /** Replaces the configuration (validated against the capabilities); only while the device is disabled. */
    public synchronized void configure(DeviceConfig newConfig) {
        if (state != DeviceState.DISABLED) {
            throw new IllegalStateException("device enabled: configuration is read-only");
        }
        final DeviceConfig valid = newConfig.validate(caps);
        if (wqs.length == 0) {
            wqs = new WorkQueue[caps.maxWqs()];
            for (int i = 0; i < wqs.length; i++) {
                wqs[i] = new WorkQueue(this, engines, valid.wq(i).orElse(unconfigured(i)), caps.totalWqSize());
            }
        } else {
            for (int i = 0; i < wqs.length; i++) {
                wqs[i].apply(valid.wq(i).orElse(unconfigured(i)));
            }
        }
        final List<Engine> newEngines = new ArrayList<>();
        final List<Integer> groupOf = new ArrayList<>();
        for (GroupConfig g : valid.groups()) {
            for (int e : g.engines()) {
                newEngines.add(newEngine(valid, e));
                groupOf.add(g.id());
            }
        }
        engines.replace(newEngines.toArray(Engine[]::new)); // the device is disabled: no engine runs
        this.config = valid;
        this.engineGroups = groupOf.stream().mapToInt(Integer::intValue).toArray();
        assignWqsToEngines();
    }

    /**
     * Reconfigures one WQ while it is disabled; the device may stay enabled (WQCFG is writable per WQ when the device
     * is configurable). Checked against the whole device (total WQ size, groups) before anything changes.
     */
    public synchronized void configureWq(WqConfig wqConfig) {
        final WorkQueue wq = wq(wqConfig.index());
        if (wq.isEnabled()) {
            throw new IllegalStateException(wq.devName() + ": WQ enabled: configuration is read-only");
        }
        final DeviceConfig valid = config.withWq(wqConfig).validate(caps);
        wq.apply(valid.wq(wqConfig.index()).orElseThrow());
        this.config = valid;
        assignWqsToEngines();
    }

    private static WqConfig unconfigured(int index) {
        return WqConfig.builder(index).size(0).group(-1).threshold(0).build();
    }

    /** Gives every engine its group's configured WQs, highest priority first. */
    private void assignWqsToEngines() {
        final List<Engine> all = engines.list();
        for (int i = 0; i < all.size(); i++) {
            final int group = engineGroups[i];
            final long groupEngines = java.util.Arrays.stream(engineGroups, 0, all.size()).filter(g -> g == group)
                .count();
            all.get(i).serve(java.util.Arrays.stream(wqs)
                .filter(w -> w.config().groupId() == group && w.config().size() > 0)
                .sorted(Comparator.comparingInt((WorkQueue w) -> -w.config().priority())
                    .thenComparingInt(WorkQueue::index))
                .toArray(WorkQueue[]::new), groupEngines > 1);
        }
    }

    private Engine newEngine(DeviceConfig cfg, int id) {
        final Arena engineArena = Arena.ofShared(); // freed with the engine: reconfiguring leaks nothing
        final EngineCounters counters = telemetry.engine(id);
        final Dma dma = new Dma(memory.segment(), iommu, options.translationHoldBytes());
        dma.pageFaultHandler(options.pageFaultHandler());
        dma.counters(counters);
        final OpContext context = new OpContext(dma, memory.bufferView(), engineArena);
        final DescriptorExecutor executor = new DescriptorExecutor(context, rules, new OperationTable(), swerr,
            interrupts, errors);
        return new Engine(id, "softdsa-" + cfg.name() + "-engine" + id, new WorkQueue[0], executor, engineArena,
            counters, name, options.threading() == Threading.INVOKER_RUNS);
    }

    /** Enable device: engines start. WQs stay as they are; see {@link #enableAll()}. */
    public synchronized void enable() {
        if (state == DeviceState.ENABLED) {
            throw new IllegalStateException("device already enabled");
        }
        if (options.threading() == Threading.THREAD_PER_ENGINE) {
            engines.startThreads(options.idleStrategy(), options.threadFactory());
        }
        state = DeviceState.ENABLED;
    }

    /** Enables the device and every configured WQ (size > 0, in a group), as {@code accel-config enable-device}. */
    public synchronized void enableAll() {
        if (state != DeviceState.ENABLED) {
            enable();
        }
        for (WorkQueue wq : wqs) {
            if (wq != null && wq.config().size() > 0 && wq.config().groupId() >= 0 && !wq.isEnabled()) {
                wq.enable();
            }
        }
    }

    /** Disable device: every enabled WQ drains and disables, then the engines stop. */
    public synchronized void disable() {
        if (state == DeviceState.DISABLED) {
            return;
        }
        state = DeviceState.DRAINING;
        for (WorkQueue wq : wqs) {
            if (wq != null) {
                wq.disable();
            }
        }
        engines.stopThreads();
        state = DeviceState.DISABLED;
    }

    /** Disable device after discarding every queued descriptor (Abort All, then disable). */
    public synchronized List<AbortReport> disableAborting() {
        final List<AbortReport> reports = new ArrayList<>();
        if (state == DeviceState.DISABLED) {
            return reports;
        }
        state = DeviceState.DRAINING;
        for (WorkQueue wq : wqs) {
            if (wq != null && wq.isEnabled()) {
                reports.add(wq.disableAborting());
            }
        }
        engines.stopThreads();
        state = DeviceState.DISABLED;
        return reports;
    }

    /** Drain All: returns when every descriptor accepted before the call, on every WQ, has completed. */
    public void drainAll() {
        for (WorkQueue wq : wqs) {
            if (wq != null && wq.isEnabled()) {
                wq.drain();
            }
        }
    }

    /** Abort All: discards what has not started on every enabled WQ; WQs stay enabled. */
    public List<AbortReport> abortAll() {
        final List<AbortReport> reports = new ArrayList<>();
        for (WorkQueue wq : wqs) {
            if (wq != null && wq.isEnabled()) {
                reports.add(wq.abort());
            }
        }
        return reports;
    }


    public DeviceState state() {
        return state;
    }

    public DeviceConfig config() {
        return config;
    }

    public DeviceCapabilities capabilities() {
        return caps;
    }

    public DeviceOptions options() {
        return options;
    }

    public HostMemory memory() {
        return memory;
    }

    public Iommu iommu() {
        return iommu;
    }

    public SoftwareErrorRegister swerr() {
        return swerr;
    }

    public InterruptTable interrupts() {
        return interrupts;
    }

    public OperationRules rules() {
        return rules;
    }

    /** The WQ at {@code index} (every index below the device's WQ count exists; unconfigured ones have size 0). */
    public WorkQueue wq(int index) {
        if (index < 0 || index >= wqs.length) {
            throw new IllegalArgumentException("wq" + config.deviceIndex() + "." + index + ": the device has "
                + wqs.length + " WQs");
        }
        return wqs[index];
    }

    /** A WQ by accel-config device name ({@code wq0.1}) or by its {@code name}. */
    public Optional<WorkQueue> wq(String name) {
        for (WorkQueue wq : wqs) {
            if (wq != null && (wq.devName().equals(name) || wq.config().name().equals(name))) {
                return Optional.of(wq);
            }
        }
        return Optional.empty();
    }

    /** The configured WQs (size > 0). */
    public List<WorkQueue> workQueues() {
        final List<WorkQueue> list = new ArrayList<>();
        for (WorkQueue wq : wqs) {
            if (wq.config().size() > 0) {
                list.add(wq);
            }
        }
        return list;
    }

    public List<Engine> engines() {
        return engines.list();
    }

    /** Drives every engine once on the caller's thread (INVOKER or INVOKER_RUNS threading); returns the work done. */
    public int invokeEngines() {
        return engines.invokeAll();
    }

    /** Descriptors completed by all engines. */
    public long completedDescriptors() {
        return engines.completed();
    }

    /**
     * Throwables inside descriptors (each completed as a hardware error) plus any that escaped an engine's duty
     * cycle; {@link #errors()} has the counters and each distinct error's stack trace.
     */
    public long internalErrors() {
        return errors.internalErrors() + errors.engineThreadErrors();
    }

    /** What went wrong inside this device's engines: counters and a distinct error log. */
    public EngineErrors errors() {
        return errors;
    }

    /** The counters file this device writes (see {@link DeviceOptions#countersFile}), or null. */
    public java.nio.file.Path countersFile() {
        return telemetry.file();
    }

    /** The device's counters ({@link DeviceTelemetry#DISABLED} without a counters file). */
    DeviceTelemetry telemetry() {
        return telemetry;
    }

    /** The name the device was created with ({@code dsa0}), as its counters and JFR events carry it. */
    public String name() {
        return name;
    }

    /** The index the device was created with (the N of {@code dsaN}). */
    int index() {
        return index;
    }

    /** Disables (draining) and releases the device's memory. Host memory stays the caller's. */
    @Override
    public void close() {
        synchronized (this) {
            disable();
            engines.close();
        }
        interrupts.close(); // after the engines stopped: nothing raises any more
        telemetry.close(); // stamps the close time; the values stay readable in the file
    }
}
