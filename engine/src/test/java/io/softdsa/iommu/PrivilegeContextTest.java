package io.softdsa.iommu;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.memory.HostMemory;
import io.softdsa.testing.Devices;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A shared WQ whose WQCFG Priv is 0 never makes a supervisor request, not even for the completion of a Priv = 1
 * descriptor it refuses: the record of step 6's 0x1D (or of any step before it) is written through a user-level
 * translation, so a supervisor-only page of the PASID stays out of reach of a WQ that does not allow Priv, though the
 * PASID itself has SRE. (The old engine entered the descriptor's Priv = 1 context before step 6 and wrote the record
 * into the supervisor page.)
 */
class PrivilegeContextTest {
    private static final int PASID = 0x2345;

    @Test
    void aRefusedPrivilegedDescriptorsRecordIsAUserWrite() {
        try (Rig r = new Rig()) {
            final long kernelPage = r.as.allocate(4096, AddressSpace.READ | AddressSpace.WRITE); // supervisor only
            final CompletionRecord inKernel = new CompletionRecord(r.memory.segment(), r.as.hostAddress(kernelPage));
            inKernel.arm();
            r.runPrivilegedMove(kernelPage);

            assertEquals(0, inKernel.rawStatus(), "no byte of the supervisor page written by a WQ without Priv");
            final SwerrEntry e = r.device.swerr().history().getLast();
            assertEquals(0x1A, e.errorCode(), "the record's user-level write faults: SWERR 0x1A");
            assertEquals(kernelPage, e.faultAddress());
        }
    }

    @Test
    void aRefusedPrivilegedDescriptorsRecordOnAUserPageSays0x1D() {
        try (Rig r = new Rig()) {
            final long userPage = r.as.allocate(4096, AddressSpace.RW_USER);
            final CompletionRecord cr = new CompletionRecord(r.memory.segment(), r.as.hostAddress(userPage));
            cr.arm();
            r.runPrivilegedMove(userPage);

            assertEquals(0x1D, cr.rawStatus(), "step 6: Priv = 1 on a shared WQ without Priv");
            assertFalse(r.device.swerr().history().stream().anyMatch(s -> s.errorCode() == 0x1A));
        }
    }

    /** A shared, PASID-enabled WQ with WQCFG Priv = 0, over a PASID bound with SRE (supervisor requests allowed). */
    private static final class Rig implements AutoCloseable {
        final HostMemory memory = HostMemory.allocate(64L << 20);
        final ScalableModeIommu iommu = new ScalableModeIommu(memory);
        final Device device;
        final DsaClient client;
        final AddressSpace as;

        Rig() {
            final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
                .wq(WqConfig.builder(0).shared().size(16).group(0).pasidEnabled(true).priv(false).build())
                .build();
            device = Device.create(memory, cfg, DeviceOptions.defaults().sva(iommu).threading(Threading.INVOKER));
            device.enableAll();
            client = DsaClient.open(device, 0);
            as = iommu.bind(PASID, 4, true);
        }

        /** Submits a Priv = 1 memmove of this PASID with its record at {@code recordVa} (CRAV | RCR) and runs it. */
        void runPrivilegedMove(long recordVa) {
            final long src = as.allocate(4096, AddressSpace.RW_USER);
            final long dst = as.allocate(4096, AddressSpace.RW_USER);
            final Descriptor d = client.descriptor().opcode(Opcode.MEMMOVE).pasid(PASID).priv(true).source(src)
                .destination(dst).transferSize(64).completionAddress(recordVa).addFlags(0x0C);
            assertTrue(client.trySubmit(d));
            Devices.drive(device);
        }

        @Override
        public void close() {
            Devices.closeChecked(device, client, device, memory);
        }
    }
}
