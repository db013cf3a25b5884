package io.softdsa.mdev.vmm;

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
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import io.softdsa.memory.HostMemory;

import java.util.ArrayList;
import java.util.List;

/**
 * Two hosts and a guest on the first, ready to migrate back and forth — what {@code ./softdsa migrate}, the VMM
 * tests and the migration benchmarks share. The hosts differ where a guest must not notice:
 * <pre>
 *  host A (dsa0): group 0, engine 0: wq0 user shared 16
 *                 group 1, engine 1: wq1 mdev shared {@value #WQ_SIZE}          &lt;- the guest's WQ 0
 *  host B (dsa1): group 0, engine 0: wq0 user shared 8, wq1 user dedicated 8, wq2 mdev dedicated 8
 *                 group 1, engine 1: wq3 mdev shared {@value #WQ_SIZE}, priority 5 &lt;- the guest's WQ 0 there
 * </pre>
 * so the guest's WQ is host WQ 1 on A and host WQ 3 on B, and host B holds a few PASIDs and interrupt handles of its
 * own before the guest arrives, so the guest's host PASIDs and handles differ too. The guest: movable RAM (lazily
 * backed on its first host if the config says so; a destination backs it up front), a guest
 * driver over the VM's forwarding device with one shared block-on-fault WQ of {@value #WQ_SIZE}, {@code pasids} guest
 * processes and a {@link GuestWorkload} (not started).
 */
public final class MigrationTestbed implements AutoCloseable {
    /** The guest's WQ size (and the host WQ reservation on both hosts). */
    public static final int WQ_SIZE = 32;
    private static final long HOST_MEMORY = 512L << 20;

    /** What to build: the workload's size, depth and processes, and the guest's RAM. */
    public record Config(int ops, int depth, int pasids, long seed, long guestRam, boolean lazyRam) {
        public Config {
            if (depth < 1 || depth > WQ_SIZE) {
                throw new IllegalArgumentException("depth 1.." + WQ_SIZE + ": " + depth);
            }
            if (pasids < 1 || pasids > 256) {
                throw new IllegalArgumentException("pasids 1..256: " + pasids);
            }
        }

        /** RAM enough for the workload's buffers (a plan of {@code ops} ops per cycle), page tables and slack. */
        public static Config of(int ops, int depth, int pasids, long seed) {
            final long bytes = (16L << 20) + GuestWorkload.bytesFor(pasids) + pasids * (256L << 10);
            return new Config(ops, depth, pasids, seed, (bytes + (1 << 21) - 1) & -(1L << 21), true);
        }
    }

    private final Config config;
    private final HostMemory memoryA;
    private final HostMemory memoryB;
    private final HostDsa hostA;
    private final HostDsa hostB;
    private final MdevManager mdevA;
    private final MdevManager mdevB;
    private final List<Integer> reservedPasidsB = new ArrayList<>();
    private final List<Integer> reservedHandlesB = new ArrayList<>();
    private final Object reservationOwner = new Object();
    private final List<GuestDomain> domains = new ArrayList<>();
    private final GuestDomain guest;
    private final VirtualMachine vm;
    private final GuestDriver driver;
    private final List<GuestProcess> processes = new ArrayList<>();
    private final GuestWorkload workload;
    private boolean onB;

    private MigrationTestbed(Config config) {
        this.config = config;
        memoryA = HostMemory.allocate(HOST_MEMORY);
        memoryB = HostMemory.allocate(HOST_MEMORY);
        hostA = HostDsa.start(memoryA, hostAConfig());
        hostB = HostDsa.start(memoryB, hostBConfig());
        mdevA = new MdevManager(hostA);
        mdevB = new MdevManager(hostB);
        final int extra = 3 + (int) Math.floorMod(config.seed(), 5L);
        for (int i = 0; i < extra; i++) {
            reservedPasidsB.add(hostB.allocatePasid());
            reservedHandlesB.add(hostB.interruptHandles().allocate(reservationOwner, h -> { }));
        }
        guest = GuestDomain.createMigratable(hostA, "vm0", config.guestRam(), config.lazyRam());
        domains.add(guest);
        final VirtualDsa first = mdevA.create(VdevType.SHARED_WQ, guest);
        vm = new VirtualMachine(guest, first);
        driver = new GuestDriver(vm.device(), guest);
        vm.addGuestDrain(driver::quiesce);
        driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, WQ_SIZE, 0).withBlockOnFault(true)
            .withLimits(30, 5)));
        for (int p = 0; p < config.pasids(); p++) {
            final GuestProcess proc = driver.newProcess("app" + p);
            proc.faultAround(1); // one page request per page: more of them outstanding at any moment
            processes.add(proc);
        }
        workload = new GuestWorkload(driver, vm.vcpus().vcpu("0"),
            processes, WorkloadPlan.generate(config.seed(), config.ops(), config.pasids()), config.depth(), 0);
    }

    /** Builds both hosts and the guest on host A (the guest driver is up, the workload not started). */
    public static MigrationTestbed open(Config config) {
        return new MigrationTestbed(config);
    }

    static DeviceConfig hostAConfig() {
        return DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0)).group(GroupConfig.of(1, 1))
            .wq(WqConfig.builder(0).shared().size(16).group(0).type(HostDsa.TYPE_USER).name("app").build())
            .wq(mdevShared(1, 1, 10))
            .build();
    }

    static DeviceConfig hostBConfig() {
        return DeviceConfig.builder("dsa1").group(GroupConfig.of(0, 0)).group(GroupConfig.of(1, 1))
            .wq(WqConfig.builder(0).shared().size(8).group(0).type(HostDsa.TYPE_USER).name("app").build())
            .wq(WqConfig.builder(1).dedicated().size(8).group(0).type(HostDsa.TYPE_USER).name("dwq").build())
            .wq(WqConfig.builder(2).dedicated().size(8).group(0).type(HostDsa.TYPE_MDEV)
                .maxTransferSize(1L << 30).maxBatchSize(1024).build())
            .wq(mdevShared(3, 1, 5))
            .build();
    }

    private static WqConfig mdevShared(int index, int group, int priority) {
        return WqConfig.builder(index).shared().size(WQ_SIZE).threshold(WQ_SIZE).priority(priority).group(group)
            .type(HostDsa.TYPE_MDEV).maxTransferSize(1L << 30).maxBatchSize(1024).build();
    }

    public Config config() {
        return config;
    }

    /**
     * Makes the guest's page-fault path take {@code nanos} per request (a guest swapping a page in): the handler the
     * guest driver installed is wrapped with a delay on the IOMMU's delivery thread, so block-on-fault descriptors
     * have their page requests outstanding for that long — and some of them when the VMM stops the device. The
     * wrapper moves with the guest at each switchover, as any handler does.
     */
    public void slowPageRequests(long nanos) {
        final io.softdsa.mdev.translation.GuestPageRequestHandler h = guest.iommu().pageRequestHandler();
        guest.iommu().pageRequestHandler(r -> {
            java.util.concurrent.locks.LockSupport.parkNanos(nanos);
            h.pageRequest(r);
        });
    }

    public VirtualMachine vm() {
        return vm;
    }

    public GuestDomain guest() {
        return guest;
    }

    public GuestDriver driver() {
        return driver;
    }

    public List<GuestProcess> processes() {
        return List.copyOf(processes);
    }

    public GuestWorkload workload() {
        return workload;
    }

    public HostDsa hostA() {
        return hostA;
    }

    public HostDsa hostB() {
        return hostB;
    }

    /** The host the VM runs on now. */
    public HostDsa currentHost() {
        return onB ? hostB : hostA;
    }

    /** The other host's name, where the next {@link #migrate} goes. */
    public String otherHostName() {
        return (onB ? hostA : hostB).device().config().name();
    }

    /**
     * A destination placement on the host the VM is not on: a movable domain of the guest's RAM size and a virtual
     * device of the guest's type over it.
     */
    public VmPlacement newDestination() {
        return newDestination(VdevType.SHARED_WQ);
    }

    /** As {@link #newDestination()} with a virtual device of {@code type} (another type: an incompatible one). */
    public VmPlacement newDestination(VdevType type) {
        final HostDsa host = onB ? hostA : hostB;
        // backed up front, as a destination QEMU allocates the guest's RAM before the incoming migration: backing
        // page by page as RAM arrives would change stage 2 (and invalidate the IOTLB) once per page
        final GuestDomain d = GuestDomain.createMigratable(host, guest.name() + "@" + host.device().config().name(),
            config.guestRam(), false);
        domains.add(d);
        return new VmPlacement(d, (onB ? mdevA : mdevB).create(type, d));
    }

    /** Migrates the VM to the other host ({@link #newDestination}). */
    public MigrationReport migrate(MigrationOptions options) throws MigrationFailedException {
        final VmPlacement destination = newDestination();
        try {
            final MigrationReport r = vm.migrate(destination, options);
            onB = !onB;
            return r;
        } catch (MigrationFailedException e) {
            if (e.rolledBack()) {
                destination.device().close();
                destination.domain().close();
            } else {
                onB = !onB;
            }
            throw e;
        }
    }

    /** Records that a migration driven by phases ({@link VirtualMachine#prepareMigration}) switched over. */
    public void switchedOver() {
        onB = !onB;
    }

    @Override
    public void close() {
        workload.stop();
        try {
            workload.join(10_000_000_000L);
        } catch (RuntimeException e) {
            // stopping: a workload that did not finish is the caller's finding, not a reason to leak the hosts
        }
        driver.close();
        vm.placement().device().close();
        for (int i = domains.size() - 1; i >= 0; i--) {
            domains.get(i).close();
        }
        mdevA.close();
        mdevB.close();
        for (int h : reservedHandlesB) {
            hostB.interruptHandles().release(h, reservationOwner);
        }
        for (int p : reservedPasidsB) {
            hostB.freePasid(p);
        }
        final long errors = hostA.device().internalErrors() + hostB.device().internalErrors();
        hostA.close();
        hostB.close();
        memoryA.close();
        memoryB.close();
        if (errors != 0) {
            throw new IllegalStateException(errors + " internal engine errors");
        }
    }
}
