package io.softdsa.mdev.examples;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.MdevManager;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import io.softdsa.memory.HostMemory;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Brings a virtual DSA up inside a guest through registers only, as the Linux driver does, and runs a memory move
 * from a guest process's virtual addresses (guest PASID, guest page tables, nested translation), with a completion
 * interrupt on the guest's MSI-X vector.
 */
public final class VirtualDsaExample {
    private VirtualDsaExample() {
    }

    public static void main(String[] args) {
        final DeviceConfig hostConfig = DeviceConfig.builder("dsa0")
            .group(GroupConfig.of(0, 0))
            .group(GroupConfig.of(1, 1))
            .wq(WqConfig.builder(0).shared().size(16).group(0).type(HostDsa.TYPE_USER).name("app").build())
            .wq(WqConfig.builder(1).shared().size(32).threshold(32).group(1).type(HostDsa.TYPE_MDEV)
                .maxTransferSize(1L << 30).maxBatchSize(1024).build())
            .build();
        try (HostMemory memory = HostMemory.allocate(256L << 20);
             HostDsa host = HostDsa.start(memory, hostConfig);
             MdevManager mdev = new MdevManager(host);
             GuestDomain guest = GuestDomain.create(host, "vm0", 64L << 20, false)) {
            final VirtualDsa vdsa = mdev.create(VdevType.SHARED_WQ, guest);
            System.out.println("host: " + host.device().config().name() + ", virtual device " + vdsa);

            try (GuestDriver driver = new GuestDriver(vdsa, guest)) {
                driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 32, 0)));
                System.out.printf("guest driver: VERSION 0x%x, GENCAP 0x%x, WQCAP 0x%x, WQCFG at 0x%x, GRPCFG at 0x%x%n",
                    driver.version(), driver.gencap(), driver.wqcap(), driver.wqcfgOffset(), driver.grpcfgOffset());
                System.out.println("commands: " + vdsa.commandLog());

                final GuestProcess app = driver.newProcess("app");
                final int size = 1 << 20;
                final long src = app.allocate(size);
                final long dst = app.allocate(size);
                final long crVa = app.allocate(4096);
                final byte[] data = new byte[size];
                new SplittableRandom(42).nextBytes(data);
                app.write(src, data);
                System.out.printf("guest process %s: src 0x%x, dst 0x%x (guest-virtual)%n", app, src, dst);

                final CompletionRecord cr = app.completionRecord(crVa).arm();
                final Descriptor d = driver.descriptor().opcode(Opcode.MEMMOVE)
                    .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD
                        | DescriptorFlags.REQUEST_COMPLETION_INTERRUPT)
                    .completionAddress(crVa).source(src).destination(dst).transferSize(size)
                    .interruptHandle(driver.interruptHandle(0));
                final PortalResult r = driver.submitUser(0, d, app, false);
                final int status = cr.await(new BackoffIdleStrategy(), 10_000_000_000L);
                driver.awaitInterrupts(1, 1, 10_000_000_000L);
                System.out.printf("ENQCMD %s, completion status 0x%02x, interrupts on vector 1: %d, data %s%n", r,
                    status, driver.interrupts(1), Arrays.equals(data, app.read(dst, size)) ? "copied" : "WRONG");
                System.out.printf("guest PASID %d ran as host PASID %d%n", app.pasid(),
                    guest.iommu().hostPasid(app.pasid()));
            }
        }
    }
}
