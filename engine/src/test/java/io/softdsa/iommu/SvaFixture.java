package io.softdsa.iommu;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.memory.HostMemory;
import io.softdsa.testing.Devices;

/** A device whose WQ 0 is shared, PASID-enabled, allows Priv and block-on-fault, over a scalable-mode IOMMU. */
final class SvaFixture implements AutoCloseable {
    final HostMemory memory;
    final ScalableModeIommu iommu;
    final Device device;
    final DsaClient client;

    SvaFixture(long memoryBytes, Threading threading, int engines) {
        memory = HostMemory.allocate(memoryBytes);
        iommu = new ScalableModeIommu(memory);
        final Integer[] ids = new Integer[engines];
        for (int i = 0; i < engines; i++) {
            ids[i] = i;
        }
        final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, ids))
            .wq(WqConfig.builder(0).shared().size(32).group(0).pasidEnabled(true).priv(true).blockOnFault(true)
                .maxTransferSize(1L << 31).maxBatchSize(64).build())
            .build();
        device = Device.create(memory, cfg, DeviceOptions.defaults().sva(iommu).threading(threading));
        device.enableAll();
        client = DsaClient.open(device, 0);
    }

    static SvaFixture invoker() {
        return new SvaFixture(256L << 20, Threading.INVOKER, 1);
    }

    /** A completion record inside a process address space: the device writes it at {@code va}, the CPU polls it. */
    static final class VaRecord {
        final long va;
        final CompletionRecord cr;

        VaRecord(long va, CompletionRecord cr) {
            this.va = va;
            this.cr = cr;
        }
    }

    /** A completion record on a fresh page of {@code as}. */
    VaRecord record(AddressSpace as) {
        final long va = as.allocate(4096, AddressSpace.RW_USER);
        return new VaRecord(va, new CompletionRecord(memory.segment(), as.hostAddress(va)));
    }

    /** Runs {@code d} (with CRAV|RCR towards {@code r}) to completion, driving engines if there are no threads. */
    int run(Descriptor d, VaRecord r) {
        final CompletionRecord cr = r.cr;
        d.completionAddress(r.va).addFlags(0x0C);
        cr.arm();
        if (!client.trySubmit(d)) {
            throw new AssertionError("WQ full");
        }
        if (device.options().threading() == Threading.INVOKER) {
            Devices.drive(device);
        } else {
            cr.await(new org.agrona.concurrent.BackoffIdleStrategy(), 60_000_000_000L);
        }
        return cr.status();
    }

    @Override
    public void close() {
        Devices.closeChecked(device, client, device, memory);
    }
}
