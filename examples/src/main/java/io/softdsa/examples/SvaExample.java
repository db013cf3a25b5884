package io.softdsa.examples;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.memory.HostMemory;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The README's shared-virtual-addressing example ({@code ./softdsa example-sva}): a shared WQ with PASID enabled, a
 * scalable-mode IOMMU, a process address space bound to a PASID the IOMMU allocates, buffers and the completion
 * record at virtual addresses of that space, one memmove submitted with the PASID and waited for; everything opened
 * is closed (the space unbound, the PASID freed, the device and host memory closed).
 */
public final class SvaExample {
    private SvaExample() {
    }

    public static void main(String[] args) {
        if (!run()) {
            System.exit(1); // after every resource is closed
        }
    }

    /** Runs the example; true when the memmove succeeded and the destination matches. */
    public static boolean run() {
        try (HostMemory memory = HostMemory.allocate(64L << 20)) {
            final ScalableModeIommu iommu = new ScalableModeIommu(memory);
            final DeviceConfig config = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
                .wq(WqConfig.builder(0).shared().size(32).group(0).name("wq0.0").pasidEnabled(true).build())
                .build();
            final int pasid = iommu.allocatePasid();                // as the kernel's iommu_sva_bind_device does
            final AddressSpace process = iommu.bind(pasid);
            try (Device dsa = Device.create(memory, config, DeviceOptions.defaults().sva(iommu))) {
                dsa.enableAll();
                try (DsaClient client = DsaClient.open(dsa, 0)) {
                    // Virtual addresses of the process; the device translates them through PASID `pasid`.
                    final long src = process.allocate(8192, AddressSpace.RW_USER);
                    final long dst = process.allocate(8192, AddressSpace.RW_USER);
                    final long records = process.allocate(4096, AddressSpace.RW_USER);
                    final byte[] data = new byte[8192];
                    for (int i = 0; i < data.length; i++) {
                        data[i] = (byte) (i * 31 + 7);
                    }
                    process.write(src, MemorySegment.ofArray(data));

                    // The record is read where the device writes it: the host address behind its virtual address.
                    final CompletionRecord cr = new CompletionRecord(memory.segment(), process.hostAddress(records))
                        .arm();
                    final Descriptor move = client.descriptor().opcode(Opcode.MEMMOVE).pasid(pasid)
                        .source(src).destination(dst).transferSize(data.length).completionAddress(records)
                        .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID
                            | DescriptorFlags.REQUEST_COMPLETION_RECORD);
                    client.submit(move, new BackoffIdleStrategy());
                    final int status = cr.await(new BackoffIdleStrategy());
                    final boolean same = Arrays.equals(process.read(dst, data.length), data);
                    System.out.printf("PASID %d: memmove of %d bytes at virtual 0x%x -> 0x%x: %s, destination %s%n",
                        pasid, data.length, src, dst, Status.name(status), same ? "matches" : "DIFFERS");
                    System.out.printf("completion record at virtual 0x%x (host 0x%x), bytes completed %d%n",
                        records, process.hostAddress(records), cr.bytesCompleted());
                    return status == Status.SUCCESS && same;
                }
            } finally {
                process.unbind();
                iommu.freePasid(pasid);
            }
        }
    }
}
