package io.softdsa.mdev.matrix;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.PageRequest;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.userspace.UserPortal;
import io.softdsa.mdev.userspace.UserProcess;
import io.softdsa.mdev.userspace.UserspaceDmaDriver;
import io.softdsa.mdev.userspace.WqFile;
import io.softdsa.mdev.vdev.MdevManager;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.memory.HostMemory;

import java.util.ArrayList;
import java.util.List;

/**
 * The userspace-DMA and virtual-device cells on one host DSA (an engine thread per group):
 *
 * <pre>
 *  group 0, engine 0: wq0 user shared "uswq", wq1 user dedicated "udwq" (BOF; the driver enables PASID)
 *  group 1, engine 1: wq2, wq3 mdev dedicated; wq4 mdev shared (threshold 16)
 *  every WQ: 16 entries; user WQs 2 GiB transfers and batches of 64, mdev WQs 1 GiB and 1024
 *  guests (one each, 128 MiB): dsa-1dwq with PASID off (guest-physical), dsa-1swq with a process (nested),
 *  dsa-1dwq programmed with a process's guest PASID (nested); guest WQs: 1 GiB transfers, batches of 64, BOF when
 *  translated
 * </pre>
 */
final class HostTargets implements AutoCloseable {
    private static final long GUEST_BYTES = 128L << 20;
    private static final int GUEST_TRANSFER_SHIFT = 30;
    private static final int GUEST_BATCH_SHIFT = 6;

    private final HostMemory memory = HostMemory.allocate(1L << 30);
    private final HostDsa host;
    private final UserspaceDmaDriver userspace;
    private final MdevManager mdev;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    final List<Target> targets = new ArrayList<>();

    HostTargets() {
        host = HostDsa.start(memory, DeviceConfig.builder("dsa0")
            .group(GroupConfig.of(0, 0)).group(GroupConfig.of(1, 1))
            .wq(user(0).shared().threshold(16).name("uswq").build())
            .wq(user(1).dedicated().name("udwq").build())
            .wq(mdevWq(2).dedicated().build()).wq(mdevWq(3).dedicated().build())
            .wq(mdevWq(4).shared().threshold(16).build())
            .build());
        userspace = new UserspaceDmaDriver(host);
        mdev = new MdevManager(host);
        targets.add(new User(new Cell(Cell.Path.USERSPACE_DMA, Cell.Mode.SHARED, Cell.Translation.SVA), "uswq"));
        targets.add(new User(new Cell(Cell.Path.USERSPACE_DMA, Cell.Mode.DEDICATED, Cell.Translation.SVA), "udwq"));
        targets.add(new GuestPhysical());
        targets.add(new Nested(false));
        targets.add(new Nested(true));
    }

    private static WqConfig.Builder user(int index) {
        return WqConfig.builder(index).size(16).group(0).type(HostDsa.TYPE_USER).blockOnFault(true)
            .maxTransferSize(1L << 31).maxBatchSize(BareEngineTargets.MAX_BATCH);
    }

    private static WqConfig.Builder mdevWq(int index) {
        return WqConfig.builder(index).size(16).group(1).type(HostDsa.TYPE_MDEV).maxTransferSize(1L << 30)
            .maxBatchSize(1024);
    }

    private <T extends AutoCloseable> T track(T c) {
        closeables.add(c);
        return c;
    }

    private static long pages(long bytes) {
        return (bytes + Target.PAGE - 1) & -Target.PAGE;
    }

    /** What every target of this host shares: the device behind it, records polled by the tenant's CPU. */
    private abstract class OnHost extends Target {
        OnHost(Cell cell) {
            super(cell);
        }

        @Override
        public long internalErrors() {
            return host.device().internalErrors();
        }
    }

    /** A process of the userspace-DMA driver with one open WQ file. */
    private final class User extends OnHost {
        final UserProcess process;
        final UserPortal portal;
        final int wqIndex;
        final PageTables pageTables;

        User(Cell cell, String wq) {
            super(cell);
            process = track(userspace.spawn(cell.mode().name().toLowerCase()));
            final WqFile file = userspace.open(process, wq);
            portal = file.portal();
            wqIndex = file.wqIndex();
            pageTables = new PageTables(process.addressSpace(), memory.frames()::allocateFrame);
            // the kernel's I/O page-fault path (handle_mm_fault), which the driver does not model: on-demand only
            host.pasidOwner(process.pasid(), (request, responder) -> responder.respond(
                pageTables.fault(request.pageAddress())
                ? PageRequest.RESPONSE_SUCCESS : PageRequest.RESPONSE_INVALID_REQUEST));
        }

        @Override
        protected long map(long bytes) {
            return process.allocate(pages(bytes));
        }

        @Override
        public void write(long address, byte[] data) {
            process.write(address, data);
        }

        @Override
        public byte[] read(long address, int length) {
            return process.read(address, length);
        }

        @Override
        protected CompletionRecord recordAt(long address) {
            return process.completionRecord(address);
        }

        @Override
        protected boolean store(Descriptor d) {
            return portal.submit(d);
        }

        @Override
        protected List<long[]> softwareErrors() {
            return userspace.errors(wqIndex).stream().map(SwerrEntry::toWords).toList();
        }

        @Override
        public long endOfReach(int reachable) {
            return pageTables.endOfReach(reachable);
        }

        @Override
        public long onDemand(long bytes) {
            return pageTables.onDemand(bytes);
        }
    }

    /** A guest whose driver brought a virtual DSA up through its registers. */
    private abstract class InGuest extends OnHost {
        final GuestDomain guest;
        final GuestDriver driver;

        InGuest(Cell cell, VdevType type) {
            super(cell);
            guest = track(GuestDomain.create(host, "vm-" + cell.mode().name().toLowerCase() + "-"
                + cell.translation().name().toLowerCase(), GUEST_BYTES, false));
            driver = track(new GuestDriver(track(mdev.create(type, guest)), guest));
        }

        @Override
        protected List<long[]> softwareErrors() {
            return driver.swerrReports(); // consumed by the guest driver's misc-interrupt handler
        }

        @Override
        protected void softwareErrorHandled() {
            driver.quiesce(); // the handler records the entry, then clears SWERR: wait for all of it
        }

        WqSetup limits(WqSetup w) {
            return w.withLimits(GUEST_TRANSFER_SHIFT, GUEST_BATCH_SHIFT);
        }
    }

    /** The guest kernel's DMA on a dedicated WQ with PASID disabled: guest-physical addresses through stage 2. */
    private final class GuestPhysical extends InGuest {
        GuestPhysical() {
            super(new Cell(Cell.Path.VIRTUAL_DEVICE, Cell.Mode.DEDICATED, Cell.Translation.PASS_THROUGH),
                VdevType.DEDICATED_WQ);
            driver.bringUp(false, DeviceSetup.oneGroup(1, limits(WqSetup.dedicatedKernel(0, 16, 0))));
        }

        @Override
        protected long map(long bytes) {
            return driver.allocateDma(pages(bytes));
        }

        @Override
        public void write(long address, byte[] data) {
            guest.memory().write(address, data);
        }

        @Override
        public byte[] read(long address, int length) {
            return guest.memory().read(address, length);
        }

        @Override
        protected CompletionRecord recordAt(long address) {
            return driver.completionRecord(address);
        }

        @Override
        protected boolean store(Descriptor d) {
            return driver.submitKernel(0, d, true) == PortalResult.POSTED;
        }

        @Override
        public long endOfReach(int reachable) {
            return guest.memory().size() - reachable;
        }
    }

    /** A guest process (guest PASID, stage-1 tables in guest memory) on the guest's shared or dedicated WQ. */
    private final class Nested extends InGuest {
        final GuestProcess process;
        final boolean dedicated;
        final PageTables pageTables;

        Nested(boolean dedicated) {
            super(new Cell(Cell.Path.VIRTUAL_DEVICE, dedicated ? Cell.Mode.DEDICATED : Cell.Mode.SHARED,
                Cell.Translation.NESTED), dedicated ? VdevType.DEDICATED_WQ : VdevType.SHARED_WQ);
            this.dedicated = dedicated;
            driver.probe(true);
            process = driver.newProcess("app");
            pageTables = new PageTables(process.pageTables(), guest.memory().physical()::allocateFrame);
            final WqSetup wq = dedicated ? WqSetup.dedicatedPasid(0, 16, 0, process.pasid()) : WqSetup.shared(0, 16, 0);
            driver.configure(DeviceSetup.oneGroup(1, limits(wq).withBlockOnFault(true)));
        }

        @Override
        protected long map(long bytes) {
            return process.allocate(pages(bytes));
        }

        @Override
        public void write(long address, byte[] data) {
            process.write(address, data);
        }

        @Override
        public byte[] read(long address, int length) {
            return process.read(address, length);
        }

        @Override
        protected CompletionRecord recordAt(long address) {
            return process.completionRecord(address);
        }

        @Override
        protected boolean store(Descriptor d) {
            final PortalResult r = driver.submitUser(0, d, process, dedicated);
            if (r == PortalResult.GP_FAULT) {
                throw new AssertionError(cell() + ": #GP on the portal store");
            }
            return r != PortalResult.RETRY;
        }

        @Override
        public long endOfReach(int reachable) {
            return pageTables.endOfReach(reachable);
        }

        @Override
        public long onDemand(long bytes) {
            return process.allocateOnDemand(pages(bytes));
        }
    }

    @Override
    public void close() {
        for (Target t : targets) {
            t.release();
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                throw new AssertionError("closing " + closeables.get(i), e);
            }
        }
        userspace.close();
        mdev.close();
        final long errors = host.device().internalErrors();
        host.close();
        memory.close();
        if (errors != 0) {
            throw new AssertionError(errors + " internal engine errors");
        }
    }
}
