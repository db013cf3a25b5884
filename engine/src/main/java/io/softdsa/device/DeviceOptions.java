package io.softdsa.device;

import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.iommu.Iommu;
import io.softdsa.iommu.PassThroughIommu;
import io.softdsa.memory.HostMemory;
import io.softdsa.iommu.PageFaultHandler;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How a {@link Device} is built and run: its capabilities, who runs engines and how they idle, the IOMMU and
 * page-request handler its DMA goes through, and where (if anywhere) it keeps its counters file.
 *
 * @param countersFile where the device keeps its counters (an Agrona counters file that {@code ./softdsa stat}
 *                     reads from another process), or null: no file, and nothing counted
 */
public record DeviceOptions(
    DeviceCapabilities capabilities,
    Threading threading,
    Supplier<IdleStrategy> idleStrategy,
    Function<HostMemory, Iommu> iommu,
    PageFaultHandler pageFaultHandler,
    java.util.concurrent.ThreadFactory threadFactory,
    long translationHoldBytes,
    Path countersFile) {

    public DeviceOptions {
        Objects.requireNonNull(capabilities);
        Objects.requireNonNull(threading);
        Objects.requireNonNull(idleStrategy);
        Objects.requireNonNull(iommu);
        Objects.requireNonNull(pageFaultHandler);
        Objects.requireNonNull(threadFactory);
        if (translationHoldBytes < 1) {
            throw new IllegalArgumentException("translationHoldBytes must be >= 1: " + translationHoldBytes);
        }
    }

    /** Default capabilities, a thread per engine with a backoff idle strategy, pass-through addressing. */
    public static DeviceOptions defaults() {
        return new DeviceOptions(DeviceCapabilities.defaults(), Threading.THREAD_PER_ENGINE,
            () -> new BackoffIdleStrategy(100, 10, 1_000, 100_000),
            memory -> new PassThroughIommu(memory.size()), PageFaultHandler.NONE, Thread::new,
            io.softdsa.ops.Dma.DEFAULT_HOLD_BYTES, null);
    }

    /** Busy-spinning engines, for benchmarks and latency measurement. */
    public DeviceOptions busySpin() {
        return idleStrategy(BusySpinIdleStrategy::new);
    }

    public DeviceOptions capabilities(DeviceCapabilities caps) {
        return new DeviceOptions(caps, threading, idleStrategy, iommu, pageFaultHandler, threadFactory,
            translationHoldBytes, countersFile);
    }

    public DeviceOptions threading(Threading t) {
        return new DeviceOptions(capabilities, t, idleStrategy, iommu, pageFaultHandler, threadFactory,
            translationHoldBytes, countersFile);
    }

    public DeviceOptions idleStrategy(Supplier<IdleStrategy> idle) {
        return new DeviceOptions(capabilities, threading, idle, iommu, pageFaultHandler, threadFactory,
            translationHoldBytes, countersFile);
    }

    public DeviceOptions iommu(Function<HostMemory, Iommu> factory) {
        return new DeviceOptions(capabilities, threading, idleStrategy, factory, pageFaultHandler, threadFactory,
            translationHoldBytes, countersFile);
    }

    /**
     * Shared virtual addressing through {@code iommu}: PASID-enabled WQs translate through its page tables, and
     * block-on-fault faults go to its page request interface.
     */
    public DeviceOptions sva(io.softdsa.iommu.ScalableModeIommu iommu) {
        return iommu(memory -> {
            if (memory != iommu.memory()) {
                throw new IllegalArgumentException("the IOMMU was built over other host memory");
            }
            return iommu;
        }).pageFaultHandler(iommu.pageRequests());
    }

    /** Where engine threads come from (name them, pin them to cores, make them daemons). */
    public DeviceOptions threadFactory(java.util.concurrent.ThreadFactory factory) {
        return new DeviceOptions(capabilities, threading, idleStrategy, iommu, pageFaultHandler, factory,
            translationHoldBytes, countersFile);
    }

    public DeviceOptions pageFaultHandler(PageFaultHandler handler) {
        return new DeviceOptions(capabilities, threading, idleStrategy, iommu, handler, threadFactory,
            translationHoldBytes, countersFile);
    }

    /**
     * Bytes an engine may access under one IOTLB epoch before it lets go of it (and translates again): bounds how long
     * an invalidation waits on another tenant's long descriptor (default {@link io.softdsa.ops.Dma#DEFAULT_HOLD_BYTES}).
     */
    public DeviceOptions translationHoldBytes(long bytes) {
        return new DeviceOptions(capabilities, threading, idleStrategy, iommu, pageFaultHandler, threadFactory, bytes,
            countersFile);
    }

    /**
     * Keeps the device's counters in a memory-mapped file at {@code file} (created, or replaced if it exists), for
     * {@code ./softdsa stat FILE} in another process: per WQ, per engine and device-wide. Off by default ({@code null}):
     * no file, and no counting on the data path. One device per file.
     */
    public DeviceOptions countersFile(Path file) {
        return new DeviceOptions(capabilities, threading, idleStrategy, iommu, pageFaultHandler, threadFactory,
            translationHoldBytes, file);
    }
}
