package io.softdsa.mdev.vmm;

import io.softdsa.iommu.GuestPhysicalMemory;
import io.softdsa.mdev.migration.DmaLogging;
import io.softdsa.mdev.migration.DmaLoggingException;
import io.softdsa.mdev.migration.MigrationState;
import io.softdsa.mdev.migration.MigrationStateMachine;
import io.softdsa.mdev.migration.SavingChannel;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.DeviceMigration;
import io.softdsa.memory.FrameAllocator;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One live migration of a {@link VirtualMachine}, in the phases of QEMU's precopy migration with a VFIO device:
 * <ol>
 * <li>{@link #setup}: DMA dirty logging on the source device over all guest RAM
 *     ({@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START}) and the vCPU dirty log; the source device to PRE_COPY when it
 *     has it (its initial data, the compatibility part, goes across at once) and the destination device to
 *     RESUMING, so an incompatible destination refuses before any downtime;</li>
 * <li>{@link #precopyRound}s while the guest runs: round 0 sends every page; round k harvests both dirty logs — the
 *     device's DMA log ({@code _REPORT}, device writes only) and the vCPU log (every CPU access), then waits for the
 *     vCPU grace period and the guest's interrupt threads — and sends their union, plus any new pre-copy device
 *     data; converged when a round finds at most {@link MigrationOptions#convergedDirtyBytes()};</li>
 * <li>{@link #switchover}: pause the vCPUs; the source device to STOP_COPY one arc at a time (via its P2P state);
 *     drain the guest's interrupt threads; the final dirty pages (nothing can dirty memory any more); logging off;
 *     read the device's stream to its end and write it to the destination; destination RESUMING → STOP (it validates
 *     the stream), source STOP_COPY → STOP; then — the commit point — the guest's domain switches to the
 *     destination ({@link GuestDomain#switchTo}), the guest's device is retargeted, the destination device goes to
 *     RUNNING (it resubmits what the source captured), and the vCPUs resume. The source device and what is left of
 *     the guest on the source are closed after the downtime ({@link #releaseSource}).</li>
 * </ol>
 * Any failure before the commit point rolls back (logging stopped, the source device back to RUNNING, the destination
 * reset, vCPUs resumed) and throws {@link MigrationFailedException}. The VMM thread drives all phases; the guest runs
 * on its own threads throughout.
 */
public final class LiveMigration {
    private static final long PAGE = FrameAllocator.FRAME_SIZE;
    private static final long MAX_STREAM_BYTES = 1L << 30;

    private final VirtualMachine vm;
    private final VmPlacement source;
    private final VmPlacement destination;
    private final MigrationOptions options;
    private final DeviceTransitions src;
    private final DeviceTransitions dst;
    private final RamTransfer ram;
    private final GuestPhysicalMemory guestRam;
    private final List<MigrationReport.Arc> arcs = new ArrayList<>();
    private final List<MigrationReport.Round> rounds = new ArrayList<>();
    private final ByteBuffer chunk;
    private MigrationReport.Round finalRound;
    private long deviceBytes;
    private long deviceStopCopyBytes;
    private long vcpuDowntime;
    private long deviceDowntime;
    private final long started = System.nanoTime();
    private long ended;
    private boolean converged;
    private boolean dmaLogging;
    private boolean dmaLogFailed;
    private int pageRequestsAtStop;
    private boolean setUp;
    private boolean done;
    private boolean completed;
    private GuestDomain leftBehind;

    LiveMigration(VirtualMachine vm, VmPlacement source, VmPlacement destination, MigrationOptions options) {
        this.vm = vm;
        this.source = source;
        this.destination = destination;
        this.options = options;
        this.src = new DeviceTransitions(MigrationReport.Side.SOURCE, source.device().migration(), arcs::add);
        this.dst = new DeviceTransitions(MigrationReport.Side.DESTINATION, destination.device().migration(),
            arcs::add);
        this.ram = new RamTransfer(source.domain().memory(), destination.domain().memory(),
            options.bandwidthBytesPerSecond());
        this.guestRam = vm.guest().memory().physical();
        this.chunk = ByteBuffer.allocate(options.streamChunk());
    }

    /** Dirty logging on, source to PRE_COPY (if it has it), destination to RESUMING, the initial device data sent. */
    public void setup() throws MigrationFailedException {
        requireNotDone();
        if (setUp) {
            throw new IllegalStateException("already set up");
        }
        setUp = true;
        try {
            final DmaLogging log = sourceMigration().dmaLogging();
            try {
                log.start(PAGE, List.of(new DmaLogging.Range(0, source.domain().memory().size())));
                dmaLogging = true;
            } catch (DmaLoggingException e) {
                dmaLogFailed = true; // a device that cannot log: every round sends all memory (uAPI rule)
            }
            guestRam.startDirtyLog();
            dst.moveTo(MigrationState.RESUMING);
            if (src.has(MigrationStateMachine.PRE_COPY)) {
                src.moveTo(MigrationState.PRE_COPY);
            }
        } catch (Exception e) {
            throw rollback("setup failed", e);
        }
    }

    /** Round 0, then rounds until converged or the round limit. */
    public void precopy() throws MigrationFailedException {
        while (!precopyRound()) {
            // the next round
        }
    }

    /**
     * One pre-copy round (round 0 the first time). Returns true once pre-copy should end: the round found at most the
     * converged threshold of dirty RAM, or it was the last round allowed.
     */
    public boolean precopyRound() throws MigrationFailedException {
        requireNotDone();
        if (!setUp) {
            setup();
        }
        try {
            final long t0 = System.nanoTime();
            final int index = rounds.size();
            if (index == 0) {
                final long copied = ram.copyAll();
                final long dev = pumpPrecopy();
                rounds.add(new MigrationReport.Round(0, -1, -1, ram.pages(), copied, dev, System.nanoTime() - t0));
                return options.maxRounds() == 0;
            }
            final Harvest h = harvest(true);
            final long copied = ram.copy(h.union);
            final long dev = pumpPrecopy();
            rounds.add(new MigrationReport.Round(index, h.devicePages, h.vcpuPages, h.pages(), copied, dev,
                System.nanoTime() - t0));
            converged = h.pages() * PAGE <= options.convergedDirtyBytes();
            return converged || index >= options.maxRounds();
        } catch (Exception e) {
            throw rollback("pre-copy round " + rounds.size() + " failed", e);
        }
    }

    /** The dirty pages since the last harvest, from both logs; {@code grace}: wait out the guest's accesses. */
    private Harvest harvest(boolean grace) {
        long[] device;
        if (dmaLogging && !dmaLogFailed) {
            try {
                device = sourceMigration().dmaLogging().report(0, source.domain().memory().size(), PAGE);
            } catch (DmaLoggingException e) {
                dmaLogFailed = true; // EIO: the caller must treat all memory as dirty, now and from now on
                device = RamTransfer.all(ram.pages());
            }
        } else {
            device = RamTransfer.all(ram.pages());
        }
        final long[] vcpu = guestRam.harvestDirty();
        if (grace) {
            // a step may store through an address it translated (and marked) before the harvest cleared the mark:
            // once every such step has ended, its store is in memory before we copy the page
            vm.vcpus().awaitStepBoundary();
            drainGuest();
        }
        return new Harvest(RamTransfer.union(device, vcpu), RamTransfer.count(device), RamTransfer.count(vcpu));
    }

    private void drainGuest() {
        for (Runnable d : vm.drains()) {
            d.run();
        }
    }

    /** Reads what the source's pre-copy stream has now and writes it to the destination. */
    private long pumpPrecopy() throws Exception {
        if (src.state() != MigrationState.PRE_COPY) {
            return 0;
        }
        long moved = 0;
        for (;;) {
            chunk.clear();
            final int n = sourceMigration().read(chunk);
            if (n == 0 || n == SavingChannel.ENOMSG) {
                break; // ENOMSG: nothing more for now; 0 would end the stream (not expected before STOP_COPY)
            }
            if (n < 0) {
                throw new IllegalStateException("pre-copy read failed: " + n);
            }
            moved += send(n);
        }
        deviceBytes += moved;
        return moved;
    }

    private long send(int n) throws Exception {
        chunk.flip();
        if (chunk.remaining() != n) {
            throw new IllegalStateException("the device said it read " + n + " bytes, the buffer has "
                + chunk.remaining());
        }
        destination.device().migration().write(chunk);
        return n;
    }

    /**
     * Stop and copy, then switch over (see the class comment). Returns the report; on a failure before the commit
     * point the VM is back on the source and running.
     */
    public MigrationReport switchover() throws MigrationFailedException {
        requireNotDone();
        if (!setUp || rounds.isEmpty()) {
            throw new IllegalStateException("run setup and at least round 0 first");
        }
        final long pauseStart = System.nanoTime();
        vm.vcpus().pause();
        pageRequestsAtStop = source.domain().iommu().outstandingPageRequests();
        final long deviceStop;
        try {
            deviceStop = System.nanoTime();
            src.moveTo(MigrationState.STOP_COPY);
            // the guest's interrupt threads finish what the device raised before it stopped (page requests included)
            drainGuest();
            final long t0 = System.nanoTime();
            final Harvest h = harvest(false); // vCPUs paused, device stopped, guest threads idle: nothing races
            final long copied = ram.copy(h.union);
            stopLogging();
            final long stream = pumpStopCopy();
            finalRound = new MigrationReport.Round(rounds.size(), h.devicePages, h.vcpuPages, h.pages(), copied,
                stream, System.nanoTime() - t0);
            dst.moveTo(MigrationState.STOP); // RESUMING -> STOP: the destination validates and loads the state
            src.moveTo(MigrationState.STOP);
        } catch (Exception e) {
            throw rollback("stop-and-copy failed", e);
        }
        // commit point: the destination holds the device state, the RAM is there; from here there is no way back
        final GuestDomain left;
        try {
            left = vm.guest().switchTo(destination.domain());
            vm.forwarding().retarget(destination.device());
            dst.moveTo(MigrationState.RUNNING);
            deviceDowntime = System.nanoTime() - deviceStop;
            vm.placed(destination);
        } catch (Exception e) {
            done = true;
            vm.vcpus().resume();
            vm.migrationEnded();
            throw new MigrationFailedException("switchover to " + destination.device().name() + " failed after the "
                + "commit point", report(), false, e);
        }
        vm.vcpus().resume();
        vcpuDowntime = System.nanoTime() - pauseStart;
        leftBehind = left;
        done = true;
        completed = true;
        ended = System.nanoTime();
        vm.migrationEnded();
        return report();
    }

    /**
     * After a switchover: closes the source device (its host WQ goes back to the source host) and what is left of the
     * guest on the source (its RAM there, its host PASIDs). {@link VirtualMachine#migrate} calls it right away; a
     * caller driving the phases itself calls it when the downtime it measures is over.
     */
    public void releaseSource() {
        if (!completed) {
            throw new IllegalStateException("no switchover happened");
        }
        if (leftBehind != null) {
            source.device().close();
            leftBehind.close();
            leftBehind = null;
        }
    }

    /** Reads the source's data fd until the end of its stream, writing every chunk to the destination. */
    private long pumpStopCopy() throws Exception {
        long moved = 0;
        for (;;) {
            chunk.clear();
            final int n = sourceMigration().read(chunk);
            if (n == 0) {
                break;
            }
            if (n < 0) {
                throw new IllegalStateException("STOP_COPY read failed (" + n + "): the stream must end with 0");
            }
            moved += send(n);
            if (moved > MAX_STREAM_BYTES) {
                throw new IllegalStateException("device stream beyond " + MAX_STREAM_BYTES + " bytes");
            }
        }
        deviceBytes += moved;
        deviceStopCopyBytes += moved;
        return moved;
    }

    private void stopLogging() {
        if (guestRam.isDirtyLogging()) {
            guestRam.stopDirtyLog();
        }
        if (dmaLogging) {
            dmaLogging = false;
            sourceMigration().dmaLogging().stop();
        }
    }

    /** Abandons the migration before its switchover (the guest goes on on the source). */
    public void abort() {
        if (!done) {
            rollback("aborted", null);
        }
    }

    private MigrationFailedException rollback(String what, Throwable cause) {
        done = true;
        boolean back = true;
        final List<Throwable> problems = new ArrayList<>();
        try {
            stopLogging();
        } catch (RuntimeException e) {
            problems.add(e);
        }
        try {
            if (src.state() == MigrationState.ERROR) {
                sourceMigration().resetDevice(); // the device's state is lost: the guest sees a reset device
                back = false;
            } else {
                src.moveTo(MigrationState.RUNNING);
            }
        } catch (Exception e) {
            problems.add(e);
            back = false;
        }
        try {
            destination.device().migration().resetDevice();
        } catch (Exception e) {
            problems.add(e);
        }
        if (vm.vcpus().isPaused()) {
            vm.vcpus().resume();
        }
        ended = System.nanoTime();
        vm.migrationEnded();
        final MigrationFailedException failure = new MigrationFailedException(what, report(), back, cause);
        problems.forEach(failure::addSuppressed);
        return failure;
    }

    private DeviceMigration sourceMigration() {
        return source.device().migration();
    }

    private void requireNotDone() {
        if (done) {
            throw new IllegalStateException("this migration has ended");
        }
    }

    /** What happened so far (the final report once the switchover has returned). */
    public MigrationReport report() {
        long ramBytes = ram.totalBytes();
        return new MigrationReport(vm.name(), source.describe(), destination.describe(), arcs, rounds,
            finalRound, ramBytes, deviceBytes, deviceStopCopyBytes, vcpuDowntime, deviceDowntime,
            (ended == 0 ? System.nanoTime() : ended) - started, converged, pageRequestsAtStop, completed);
    }

    private record Harvest(long[] union, long devicePages, long vcpuPages) {
        long pages() {
            return RamTransfer.count(union);
        }
    }
}
