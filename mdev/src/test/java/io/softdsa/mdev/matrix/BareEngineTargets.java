package io.softdsa.mdev.matrix;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.PageRequest;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.memory.HostMemory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bare engine's four cells on one device whose engine the test thread drives (deterministic, as the engine's own
 * suites run):
 *
 * <pre>
 *  group 0, engine 0: wq0 shared, PASID off      (host-physical)
 *                     wq1 dedicated, PASID off   (host-physical)
 *                     wq2 shared, PASID on, BOF  (descriptor PASID = a bound address space)
 *                     wq3 dedicated, BOF, programmed with a second bound address space's PASID
 *  every WQ: 16 entries, 2 GiB transfers, batches of 64
 * </pre>
 */
final class BareEngineTargets implements AutoCloseable {
    static final int MAX_BATCH = 64;

    private final HostMemory memory = HostMemory.allocate(512L << 20);
    private final ScalableModeIommu iommu = new ScalableModeIommu(memory);
    private final Device device;
    private final Map<Integer, Sva> byPasid = new ConcurrentHashMap<>();
    final List<Target> targets = new ArrayList<>();

    BareEngineTargets() {
        final int sharedPasid = iommu.allocatePasid();
        final int dedicatedPasid = iommu.allocatePasid();
        final DeviceConfig config = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
            .wq(wq(0).shared().threshold(16).build())
            .wq(wq(1).dedicated().build())
            .wq(wq(2).shared().threshold(16).pasidEnabled(true).blockOnFault(true).build())
            .wq(wq(3).dedicated().pasid(true, dedicatedPasid).blockOnFault(true).build())
            .build();
        device = Device.create(memory, config, DeviceOptions.defaults().sva(iommu).threading(Threading.INVOKER));
        device.enableAll();
        iommu.pageRequests().handler((request, responder) -> {
            final Sva t = byPasid.get(request.pasid());
            responder.respond(t != null && t.pageTables.fault(request.pageAddress())
                ? PageRequest.RESPONSE_SUCCESS : PageRequest.RESPONSE_INVALID_REQUEST);
        });
        targets.add(new PassThrough(new Cell(Cell.Path.BARE_ENGINE, Cell.Mode.SHARED, Cell.Translation.PASS_THROUGH),
            DsaClient.open(device, 0)));
        targets.add(new PassThrough(new Cell(Cell.Path.BARE_ENGINE, Cell.Mode.DEDICATED,
            Cell.Translation.PASS_THROUGH), DsaClient.open(device, 1)));
        targets.add(new Sva(new Cell(Cell.Path.BARE_ENGINE, Cell.Mode.SHARED, Cell.Translation.SVA),
            DsaClient.open(device, 2), sharedPasid, true));
        targets.add(new Sva(new Cell(Cell.Path.BARE_ENGINE, Cell.Mode.DEDICATED, Cell.Translation.SVA),
            DsaClient.open(device, 3), dedicatedPasid, false));
    }

    private static WqConfig.Builder wq(int index) {
        return WqConfig.builder(index).size(16).group(0).maxTransferSize(1L << 31).maxBatchSize(MAX_BATCH);
    }

    /** What the bare cells share: a WQ client and the engine the test thread drives. */
    private abstract class Bare extends Target {
        final DsaClient client;

        Bare(Cell cell, DsaClient client) {
            super(cell);
            this.client = client;
        }

        @Override
        protected boolean store(Descriptor d) {
            return client.trySubmit(d);
        }

        @Override
        protected void awaitDone(CompletionRecord cr) {
            while (!cr.isDone()) {
                if (device.invokeEngines() == 0 && !cr.isDone()) {
                    return; // nothing left to run: no record will come
                }
            }
        }

        @Override
        protected void progress() {
            device.invokeEngines();
        }

        @Override
        protected List<long[]> softwareErrors() {
            final int wq = client.wq().index();
            return device.swerr().history().stream().filter(e -> e.wqIndex() == wq).map(SwerrEntry::toWords).toList();
        }

        @Override
        public long internalErrors() {
            return device.internalErrors();
        }

        @Override
        void release() {
            client.close();
            super.release();
        }
    }

    /** Host-physical addresses on a WQ with PASID disabled. */
    private final class PassThrough extends Bare {
        PassThrough(Cell cell, DsaClient client) {
            super(cell, client);
        }

        @Override
        protected long map(long bytes) {
            return client.allocate(bytes).address();
        }

        @Override
        public void write(long address, byte[] data) {
            MemorySegment.copy(MemorySegment.ofArray(data), 0, memory.segment(), address, data.length);
        }

        @Override
        public byte[] read(long address, int length) {
            return memory.segment().asSlice(address, length).toArray(ValueLayout.JAVA_BYTE);
        }

        @Override
        protected CompletionRecord recordAt(long address) {
            return new CompletionRecord(memory.segment(), address);
        }

        @Override
        public long endOfReach(int reachable) {
            return memory.size() - reachable;
        }
    }

    /** A bound address space: its PASID in each descriptor (shared WQ) or programmed in the WQ (dedicated). */
    private final class Sva extends Bare {
        final int pasid;
        final boolean pasidPerDescriptor;
        final AddressSpace as;
        final PageTables pageTables;

        Sva(Cell cell, DsaClient client, int pasid, boolean pasidPerDescriptor) {
            super(cell, client);
            this.pasid = pasid;
            this.pasidPerDescriptor = pasidPerDescriptor;
            this.as = iommu.bind(pasid);
            this.pageTables = new PageTables(as, memory.frames()::allocateFrame);
            byPasid.put(pasid, this);
        }

        @Override
        protected boolean store(Descriptor d) {
            if (pasidPerDescriptor) {
                d.pasid(pasid);
            }
            return super.store(d);
        }

        @Override
        protected long map(long bytes) {
            return as.allocate(bytes, AddressSpace.RW_USER);
        }

        @Override
        public void write(long address, byte[] data) {
            as.write(address, MemorySegment.ofArray(data));
        }

        @Override
        public byte[] read(long address, int length) {
            return as.read(address, length);
        }

        @Override
        protected CompletionRecord recordAt(long address) {
            return new CompletionRecord(memory.segment(), as.hostAddress(address));
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

    @Override
    public void close() {
        for (Target t : targets) {
            t.release();
        }
        final long errors = device.internalErrors();
        device.close();
        memory.close();
        if (errors != 0) {
            throw new AssertionError(errors + " internal engine errors");
        }
    }
}
