package io.softdsa.reliability.stress;

import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.memory.HostMemory;

import java.util.ArrayList;
import java.util.List;

import static io.softdsa.reliability.stress.StressRun.CANARY;
import static io.softdsa.reliability.stress.StressRun.DEDICATED_WQ;
import static io.softdsa.reliability.stress.StressRun.DWQ_PASID;
import static io.softdsa.reliability.stress.StressRun.PAGE;
import static io.softdsa.reliability.stress.StressRun.SHARED_WQ;

/**
 * What a stress run runs on: host memory, a scalable-mode IOMMU and a device with one group of M engines serving a
 * shared WQ (block-on-fault, PASID) and a dedicated WQ (one PASID), both enabled; and the canary frames scattered
 * through host memory that no address space maps.
 */
final class StressRig {
    final HostMemory memory;
    final ScalableModeIommu iommu;
    final Device device;
    /** (frame, length) of every canary frame. */
    final List<long[]> canaryFrames = new ArrayList<>();

    /** Builds the device on {@code memory} (the caller closes the memory after {@link #close}). */
    StressRig(HostMemory memory, int engines) {
        this.memory = memory;
        this.iommu = new ScalableModeIommu(memory);
        final Integer[] ids = new Integer[engines];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, ids))
            .wq(WqConfig.builder(SHARED_WQ).shared().size(32).threshold(24).group(0).pasidEnabled(true)
                .blockOnFault(true).maxTransferSize(1L << 20).maxBatchSize(32).build())
            .wq(WqConfig.builder(DEDICATED_WQ).dedicated().size(16).group(0).pasid(true, DWQ_PASID)
                .maxTransferSize(1L << 20).maxBatchSize(32).build())
            .build();
        this.device = Device.create(memory, cfg, DeviceOptions.defaults().sva(iommu));
    }

    /** Takes {@code n} frames out of host memory and fills them with canary bytes: the device must never write them. */
    void addCanaryFrames(int n) {
        for (int k = 0; k < n; k++) {
            final long frame = memory.frames().allocateFrame();
            memory.segment().asSlice(frame, PAGE).fill(CANARY);
            canaryFrames.add(new long[] {frame, PAGE});
        }
    }

    /** Canary frames some write changed. */
    long canaryFramesHit() {
        return canaryFrames.stream().filter(c -> !Canaries.intact(memory.segment(), c[0], c[1])).count();
    }

    void close() {
        device.close();
    }
}
