package io.softdsa.mdev.command;

import io.softdsa.mdev.pci.PciConfigSpace;
import io.softdsa.mdev.regs.Bar0Layout;
import io.softdsa.mdev.regs.Bar0Registers;
import io.softdsa.mdev.regs.CmdLayout;
import io.softdsa.mdev.regs.DeviceProfile;
import io.softdsa.mdev.regs.GrpcfgLayout;
import io.softdsa.mdev.regs.WqcfgEntry;
import io.softdsa.mdev.regs.WqcfgLayout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntConsumer;

import static io.softdsa.mdev.command.CmdStatus.*;
import static io.softdsa.mdev.command.Commands.*;

/**
 * The virtual device's command processor (fact sheet section 14): a full 32-bit write of CMD sets CMDSTS.active and
 * queues the command; the processor's own thread validates it against the register file, carries it out on the host
 * slice, then writes CMDSTS (error, result, active clear) and, if CMD bit 31 asked, sets INTCAUSE bit 1 and raises
 * the misc interrupt. A CMD write while a command is active is ignored (softdsa rule: software must wait).
 * <p>
 * Every invalid case answers with its CMDSTS code ({@link CmdStatus}); nothing a guest writes reaches the host as
 * anything but a valid configuration of its own WQs. Each command code has its own handler, found in a table
 * indexed by the code.
 */
public final class CommandProcessor implements AutoCloseable {
    /** One command: its operand in, its CMDSTS value (error in 7:0, result in 23:8) out. */
    @FunctionalInterface
    private interface Handler {
        int execute(int operand);
    }

    private static final int ACTIVE = (int) CmdLayout.ACTIVE.mask();

    private final DeviceBackend backend;
    private final DeviceProfile profile;
    private final ExecutorService thread;
    private final AtomicReferenceArray<HostWqSettings> latched;
    private final int[] hostGroupOfGroup;
    private final List<String> log = new ArrayList<>();
    private final Handler[] handlers = new Handler[CmdLayout.COMMAND.getInt(-1) + 1];

    public CommandProcessor(DeviceBackend backend, DeviceProfile profile, String name) {
        this.backend = backend;
        this.profile = profile;
        handlers[ENABLE_DEVICE] = operand -> enableDevice();
        handlers[DISABLE_DEVICE] = operand -> disableDevice();
        handlers[DRAIN_ALL] = operand -> forEnabledWqs(backend::drainHostWq);
        handlers[ABORT_ALL] = operand -> forEnabledWqs(backend::abortHostWq);
        handlers[RESET_DEVICE] = operand -> resetDevice();
        handlers[ENABLE_WQ] = this::enableWq;
        handlers[DISABLE_WQ] = operand -> forWqs(operand, this::disableWq);
        handlers[DRAIN_WQ] = operand -> forWqs(operand, this::drainWq);
        handlers[ABORT_WQ] = operand -> forWqs(operand, this::abortWq);
        handlers[RESET_WQ] = operand -> forWqs(operand, this::resetWq);
        handlers[DRAIN_PASID] = this::drainPasid;
        handlers[ABORT_PASID] = this::abortPasid;
        handlers[REQUEST_INT_HANDLE] = this::requestInterruptHandle;
        handlers[RELEASE_INT_HANDLE] = this::releaseInterruptHandle;
        this.latched = new AtomicReferenceArray<>(profile.wqs());
        this.hostGroupOfGroup = new int[profile.groups()];
        this.thread = Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, name + "-cmd");
            t.setDaemon(true);
            return t;
        });
    }

    /** Called (under the device lock) after software wrote CMD. */
    public void issue(int cmd) {
        final Bar0Registers regs = backend.registers();
        if (CmdLayout.active(regs.cmdsts())) {
            return;
        }
        regs.cmdsts(ACTIVE);
        thread.execute(() -> run(cmd));
    }

    /** Runs {@code task} on the command thread after every queued command and waits for it (FLR, close). */
    public void runExclusive(Runnable task) {
        final Future<?> f = thread.submit(task);
        try {
            f.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("virtual device command thread did not finish", e);
        }
    }

    /**
     * Runs {@code cmd} on the command thread after every queued command, as software's write of CMD would, but
     * without touching CMDSTS or INTCAUSE, and returns its CMDSTS value: a migration destination replays the
     * commands that brought the source's guest to its state (Enable Device, Enable WQ) with them.
     */
    public int replay(int cmd) {
        final int[] status = new int[1];
        runExclusive(() -> {
            int s;
            try {
                s = execute(cmd);
            } catch (RuntimeException e) {
                s = HARDWARE_ERROR;
            }
            status[0] = s;
            synchronized (log) {
                log.add(Commands.name(CmdLayout.command(cmd)) + " (migration replay) -> 0x"
                    + Integer.toHexString(CmdLayout.error(s)));
            }
        });
        return status[0];
    }

    private void run(int cmd) {
        int status;
        try {
            status = execute(cmd);
        } catch (RuntimeException e) {
            status = HARDWARE_ERROR;
        }
        final boolean interrupt = CmdLayout.requestsInterrupt(cmd);
        synchronized (backend.lock()) {
            backend.registers().cmdsts(status & ~ACTIVE);
            if (interrupt) {
                backend.registers().raiseIntcause(Bar0Layout.INTCAUSE_COMMAND);
            }
            synchronized (log) {
                log.add(Commands.name(CmdLayout.command(cmd)) + " -> 0x" + Integer.toHexString(CmdLayout.error(status)));
            }
        }
        if (interrupt) {
            backend.raiseMiscInterrupt();
        }
    }

    /** Commands run so far with their CMDSTS error code, oldest first. */
    public List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** The configuration Enable WQ latched for guest WQ {@code wq} while it is enabled, else null. Lock-free. */
    public HostWqSettings latched(int wq) {
        return wq >= 0 && wq < latched.length() ? latched.get(wq) : null;
    }

    /** Executes one command; returns the CMDSTS value (error in 7:0, result in 23:8). */
    int execute(int cmd) {
        final int code = CmdLayout.command(cmd);
        final Handler handler = handlers[code];
        if (handler == null || (profile.cmdcap() & (1 << code)) == 0) {
            return INVALID_COMMAND;
        }
        return handler.execute(CmdLayout.operand(cmd));
    }

    // ---- device commands

    private int enableDevice() {
        synchronized (backend.lock()) {
            final Bar0Registers regs = backend.registers();
            final PciConfigSpace cfg = backend.config();
            if (regs.deviceState() == Bar0Layout.GENSTS_ENABLED) {
                return DEVICE_ENABLED;
            }
            if (!cfg.busMasterEnabled()) {
                return BUS_MASTER_DISABLED;
            }
            if (cfg.pasidEnabled() != cfg.priEnabled() || (cfg.pasidEnabled() && !cfg.atsEnabled())) {
                return CONFIGURATION_ERROR;
            }
            long total = 0;
            for (int q = 0; q < profile.wqs(); q++) {
                final int size = regs.wqcfgWord(q, WqcfgLayout.SIZE) & WqcfgLayout.SIZE_MASK;
                if (size > backend.wqSizeLimit(q)) {
                    return WQ_SIZE_OUT_OF_RANGE;
                }
                total += size;
            }
            if (total > profile.totalWqSize()) {
                return WQ_SIZE_OUT_OF_RANGE;
            }
            final int groupStatus = checkGroups(regs);
            if (groupStatus != SUCCESS) {
                return groupStatus;
            }
            regs.deviceState(Bar0Layout.GENSTS_ENABLED);
            return SUCCESS;
        }
    }

    /** GRPCFG validation (errors 0x15 - 0x18) and the guest-group to host-group mapping. */
    private int checkGroups(Bar0Registers regs) {
        long reservedSum = 0;
        for (int g = 0; g < profile.groups(); g++) {
            final long flags = regs.groupFlags(g);
            final int reserved = GrpcfgLayout.readBuffersReserved(flags);
            final int allowed = GrpcfgLayout.readBuffersAllowed(flags);
            reservedSum += reserved;
            if (allowed > profile.totalReadBuffers() || (allowed != 0 && reserved > allowed)) {
                return GROUP_READ_BUFFERS;
            }
        }
        if (reservedSum > profile.totalReadBuffers()) {
            return GROUP_READ_BUFFERS;
        }
        for (int q = 0; q < profile.wqs(); q++) {
            int groups = 0;
            for (int g = 0; g < profile.groups(); g++) {
                groups += regs.groupHasWq(g, q) ? 1 : 0;
            }
            if (groups > 1) {
                return GROUP_WQ_IN_TWO_GROUPS;
            }
        }
        long seenEngines = 0;
        for (int g = 0; g < profile.groups(); g++) {
            final long engines = regs.groupEngines(g);
            if ((engines & seenEngines) != 0) {
                return GROUP_ENGINE_IN_TWO_GROUPS;
            }
            seenEngines |= engines;
        }
        final int[] mapping = new int[profile.groups()];
        for (int g = 0; g < profile.groups(); g++) {
            final long engines = regs.groupEngines(g);
            boolean hasWq = false;
            for (int q = 0; q < profile.wqs(); q++) {
                hasWq |= regs.groupHasWq(g, q);
            }
            mapping[g] = -1;
            if (engines == 0) {
                if (hasWq) {
                    return GROUP_ENGINES;
                }
                continue;
            }
            for (int e = 0; e < profile.engines(); e++) {
                if ((engines & (1L << e)) != 0) {
                    final int hg = backend.hostGroupOfEngine(e);
                    if (mapping[g] >= 0 && mapping[g] != hg) {
                        return GROUP_ENGINES; // the host slice cannot put these engines in one group
                    }
                    mapping[g] = hg;
                }
            }
            for (int other = 0; other < g; other++) {
                if (mapping[other] == mapping[g]) {
                    return GROUP_ENGINES; // two guest groups on the engines of one host group
                }
            }
            for (int q = 0; q < profile.wqs(); q++) {
                if (regs.groupHasWq(g, q) && backend.fixedHostGroup(q) >= 0 && backend.fixedHostGroup(q) != mapping[g]) {
                    return GROUP_ENGINES;
                }
            }
        }
        System.arraycopy(mapping, 0, hostGroupOfGroup, 0, mapping.length);
        return SUCCESS;
    }

    private int disableDevice() {
        synchronized (backend.lock()) {
            if (backend.registers().deviceState() != Bar0Layout.GENSTS_ENABLED) {
                return DISABLE_DEVICE_NOT_ENABLED;
            }
            backend.registers().deviceState(Bar0Layout.GENSTS_DRAINING);
        }
        for (int q = 0; q < profile.wqs(); q++) {
            if (latched.get(q) != null) {
                backend.disableHostWq(q);
                markDisabled(q);
            }
        }
        synchronized (backend.lock()) {
            backend.registers().deviceState(Bar0Layout.GENSTS_DISABLED);
        }
        return SUCCESS;
    }

    private int resetDevice() {
        for (int q = 0; q < profile.wqs(); q++) {
            if (latched.get(q) != null) {
                backend.disableHostWqAborting(q);
                markDisabled(q);
            }
        }
        backend.releaseAllInterruptHandles();
        synchronized (backend.lock()) {
            backend.registers().resetDeviceRegisters();
            backend.registers().cmdsts(ACTIVE);
        }
        return SUCCESS;
    }

    /** Function-level reset: as Reset Device; the caller resets config space and the MSI-X table. */
    public void functionLevelReset() {
        runExclusive(this::resetDevice);
    }

    private int forEnabledWqs(IntConsumer op) {
        synchronized (backend.lock()) {
            if (backend.registers().deviceState() != Bar0Layout.GENSTS_ENABLED) {
                return DEVICE_NOT_ENABLED;
            }
        }
        for (int q = 0; q < profile.wqs(); q++) {
            if (latched.get(q) != null) {
                op.accept(q);
            }
        }
        return SUCCESS;
    }

    // ---- WQ commands

    private int enableWq(int operand) {
        final HostWqSettings s;
        final int q = operand;
        synchronized (backend.lock()) {
            final Bar0Registers regs = backend.registers();
            if (q >= profile.wqs()) {
                return INVALID_WQ_INDEX;
            }
            if (regs.deviceState() != Bar0Layout.GENSTS_ENABLED) {
                return DEVICE_NOT_ENABLED_FOR_WQ;
            }
            if (regs.wqEnabled(q)) {
                return WQ_ENABLED;
            }
            final WqcfgEntry w = WqcfgEntry.read(regs, q);
            int group = -1;
            for (int g = 0; g < profile.groups(); g++) {
                if (regs.groupHasWq(g, q)) {
                    group = g;
                }
            }
            final int error = checkWq(w, q, group, backend.config());
            if (error != SUCCESS) {
                return error;
            }
            int hostPasid = 0;
            if (w.dedicated()) {
                hostPasid = w.pasidEnable() ? backend.hostPasid(w.pasid()) : backend.defaultHostPasid();
                if (hostPasid < 0) {
                    return INVALID_PASID;
                }
            }
            s = new HostWqSettings(w.withinOpcap(profile.opcap()), hostPasid, hostGroupOfGroup[group]);
        }
        final int status = backend.enableHostWq(q, s);
        if (status != SUCCESS) {
            return status;
        }
        synchronized (backend.lock()) {
            latched.set(q, s);
            backend.registers().wqState(q, true);
        }
        return SUCCESS;
    }

    /** Enable WQ's checks of a WQCFG entry, in CMDSTS order; SUCCESS when the WQ may be enabled. */
    private int checkWq(WqcfgEntry w, int q, int group, PciConfigSpace cfg) {
        if (w.size() == 0 || w.size() > backend.wqSizeLimit(q) || group < 0 || hostGroupOfGroup[group] < 0) {
            return WQ_SIZE;
        }
        if (!w.dedicated() && (w.threshold() == 0 || w.threshold() > w.size())) {
            return WQ_SIZE;
        }
        if (w.priority() == 0) {
            return WQ_PRIORITY;
        }
        if (w.dedicated() ? !profile.dedicatedMode() : !profile.sharedMode()) {
            return WQ_MODE;
        }
        if (w.blockOnFault() && (!profile.blockOnFault() || w.prsDisable() || !cfg.priEnabled())) {
            return BOF_ENABLE;
        }
        if ((w.pasidEnable() && !cfg.pasidEnabled()) || (!w.dedicated() && !w.pasidEnable())) {
            return PASID_ENABLE;
        }
        if (w.maxBatchShift() > profile.maxBatchShift()) {
            return MAX_BATCH_SIZE;
        }
        if (w.maxTransferShift() > profile.maxTransferShift()) {
            return MAX_TRANSFER_SIZE;
        }
        return SUCCESS;
    }

    /**
     * Disable / Drain / Abort / Reset WQ: {@code op} on every WQ the WQ-mask operand names, once all of them exist and
     * the device is enabled.
     */
    private int forWqs(int operand, IntConsumer op) {
        final int block = CmdLayout.WQ_BLOCK.getInt(operand);
        final int mask = CmdLayout.WQ_MASK.getInt(operand);
        if (mask == 0) {
            return INVALID_WQ_INDEX;
        }
        final List<Integer> targets = new ArrayList<>();
        for (int bit = 0; bit < CmdLayout.WQS_PER_BLOCK; bit++) {
            if ((mask & (1 << bit)) != 0) {
                final int q = block * CmdLayout.WQS_PER_BLOCK + bit;
                if (q >= profile.wqs()) {
                    return INVALID_WQ_INDEX;
                }
                targets.add(q);
            }
        }
        synchronized (backend.lock()) {
            if (backend.registers().deviceState() != Bar0Layout.GENSTS_ENABLED) {
                return DEVICE_NOT_ENABLED;
            }
        }
        for (int q : targets) {
            op.accept(q);
        }
        return SUCCESS;
    }

    private void disableWq(int q) {
        if (latched.get(q) != null) {
            backend.disableHostWq(q);
            markDisabled(q);
        }
    }

    private void drainWq(int q) {
        if (latched.get(q) != null) {
            backend.drainHostWq(q);
        }
    }

    private void abortWq(int q) {
        if (latched.get(q) != null) {
            backend.abortHostWq(q);
        }
    }

    private void resetWq(int q) {
        if (latched.get(q) != null) {
            backend.disableHostWqAborting(q);
            markDisabled(q);
        }
        synchronized (backend.lock()) {
            backend.registers().resetWqcfg(q);
        }
    }

    private void markDisabled(int q) {
        synchronized (backend.lock()) {
            latched.set(q, null);
            backend.registers().wqState(q, false);
        }
    }

    /**
     * Drain PASID. The operand is a guest PASID: one the guest allocated, or a dedicated WQ's configured PASID, else
     * 0x13. It waits for every enabled WQ (a superset of the PASID's descriptors).
     */
    private int drainPasid(int gpasid) {
        final int error = checkPasidCommand(gpasid);
        if (error != SUCCESS) {
            return error;
        }
        for (int q = 0; q < profile.wqs(); q++) {
            if (latched.get(q) != null) {
                backend.drainHostWq(q);
            }
        }
        return SUCCESS;
    }

    /**
     * Abort PASID (operand as for {@link #drainPasid}): aborts the dedicated WQs of that PASID and, on shared WQs,
     * discards only that PASID's queued descriptors (the host PASID the guest PASID translates to); other PASIDs'
     * descriptors run. A PASID known only as a dedicated WQ's drains the shared WQs instead.
     */
    private int abortPasid(int gpasid) {
        final int error = checkPasidCommand(gpasid);
        if (error != SUCCESS) {
            return error;
        }
        for (int q = 0; q < profile.wqs(); q++) {
            final HostWqSettings s = latched.get(q);
            if (s == null) {
                continue;
            }
            if (s.dedicated()) {
                if (s.guestPasidEnabled() && s.guestPasid() == gpasid) {
                    backend.abortHostWq(q);
                }
            } else if (backend.hostPasid(gpasid) >= 0) {
                backend.abortHostWqPasid(q, backend.hostPasid(gpasid));
            } else {
                backend.drainHostWq(q);
            }
        }
        return SUCCESS;
    }

    /** What Drain and Abort PASID check first: the device is enabled and the guest PASID is one it knows. */
    private int checkPasidCommand(int gpasid) {
        synchronized (backend.lock()) {
            if (backend.registers().deviceState() != Bar0Layout.GENSTS_ENABLED) {
                return DEVICE_NOT_ENABLED;
            }
        }
        boolean known = backend.hostPasid(gpasid) >= 0;
        for (int q = 0; q < profile.wqs(); q++) {
            final HostWqSettings s = latched.get(q);
            known |= s != null && s.dedicated() && s.guestPasidEnabled() && s.guestPasid() == gpasid;
        }
        return known ? SUCCESS : INVALID_PASID;
    }

    // ---- interrupt handles

    private int requestInterruptHandle(int operand) {
        if (CmdLayout.HANDLE_IMS.isSet(operand)) {
            return NO_HANDLE_AVAILABLE; // the virtual device has no IMS
        }
        final int vector = CmdLayout.HANDLE_INDEX.getInt(operand);
        if (vector == 0 || vector >= profile.vectors()) {
            return INVALID_INTERRUPT_INDEX;
        }
        final int handle = backend.requestInterruptHandle(vector);
        if (handle < 0) {
            return NO_HANDLE_AVAILABLE;
        }
        return CmdLayout.status(SUCCESS, handle);
    }

    private int releaseInterruptHandle(int operand) {
        if (CmdLayout.HANDLE_IMS.isSet(operand)) {
            return INVALID_INTERRUPT_INDEX;
        }
        return backend.releaseInterruptHandle(CmdLayout.HANDLE_INDEX.getInt(operand)) ? SUCCESS
            : INVALID_INTERRUPT_INDEX;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
