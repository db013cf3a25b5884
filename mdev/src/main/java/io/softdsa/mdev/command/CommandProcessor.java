package io.softdsa.mdev.command;

import io.softdsa.mdev.pci.PciConfigSpace;
import io.softdsa.mdev.regs.Bar0Layout;
import io.softdsa.mdev.regs.Bar0Registers;
import io.softdsa.mdev.regs.DeviceProfile;
import io.softdsa.mdev.regs.GrpcfgLayout;
import io.softdsa.mdev.regs.WqcfgLayout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static io.softdsa.mdev.command.CmdStatus.*;
import static io.softdsa.mdev.command.Commands.*;

/**
 * The virtual device's command processor (fact sheet section 14): a full 32-bit write of CMD sets CMDSTS.active and
 * queues the command; the processor's own thread validates it against the register file, carries it out on the host
 * slice, then writes CMDSTS (error, result, active clear) and, if CMD bit 31 asked, sets INTCAUSE bit 1 and raises
 * the misc interrupt. A CMD write while a command is active is ignored (softdsa rule: software must wait).
 * <p>
 * Every invalid case answers with its CMDSTS code ({@link CmdStatus}); nothing a guest writes reaches the host as
 * anything but a valid configuration of its own WQs.
 */
public final class CommandProcessor implements AutoCloseable {
    private final DeviceBackend backend;
    private final DeviceProfile profile;
    private final ExecutorService thread;
    private final AtomicReferenceArray<HostWqSettings> latched;
    private final int[] hostGroupOfGroup;
    private final List<String> log = new ArrayList<>();

    public CommandProcessor(DeviceBackend backend, DeviceProfile profile, String name) {
        this.backend = backend;
        this.profile = profile;
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
        if ((regs.cmdsts() & Bar0Layout.CMDSTS_ACTIVE) != 0) {
            return;
        }
        regs.cmdsts(Bar0Layout.CMDSTS_ACTIVE);
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
                log.add(Commands.name((cmd >>> Bar0Layout.CMD_CODE_SHIFT) & Bar0Layout.CMD_CODE_MASK)
                    + " (migration replay) -> 0x" + Integer.toHexString(s & Bar0Layout.CMDSTS_ERROR_MASK));
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
        final boolean interrupt = (cmd & Bar0Layout.CMD_REQUEST_INTERRUPT) != 0;
        synchronized (backend.lock()) {
            backend.registers().cmdsts(status & ~Bar0Layout.CMDSTS_ACTIVE);
            if (interrupt) {
                backend.registers().raiseIntcause(Bar0Layout.INTCAUSE_COMMAND);
            }
            synchronized (log) {
                log.add(Commands.name((cmd >>> Bar0Layout.CMD_CODE_SHIFT) & Bar0Layout.CMD_CODE_MASK) + " -> 0x"
                    + Integer.toHexString(status & Bar0Layout.CMDSTS_ERROR_MASK));
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
        final int code = (cmd >>> Bar0Layout.CMD_CODE_SHIFT) & Bar0Layout.CMD_CODE_MASK;
        final int operand = cmd & Bar0Layout.CMD_OPERAND_MASK;
        if (code == 0 || (profile.cmdcap() & (1 << code)) == 0) {
            return INVALID_COMMAND;
        }
        return switch (code) {
            case ENABLE_DEVICE -> enableDevice();
            case DISABLE_DEVICE -> disableDevice();
            case DRAIN_ALL -> forEnabledWqs(backend::drainHostWq);
            case ABORT_ALL -> forEnabledWqs(backend::abortHostWq);
            case RESET_DEVICE -> resetDevice();
            case ENABLE_WQ -> enableWq(operand);
            case DISABLE_WQ, DRAIN_WQ, ABORT_WQ, RESET_WQ -> wqCommand(code, operand);
            case DRAIN_PASID, ABORT_PASID -> pasidCommand(code, operand);
            case REQUEST_INT_HANDLE -> requestInterruptHandle(operand);
            case RELEASE_INT_HANDLE -> releaseInterruptHandle(operand);
            default -> INVALID_COMMAND;
        };
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
            backend.registers().cmdsts(Bar0Layout.CMDSTS_ACTIVE);
        }
        return SUCCESS;
    }

    /** Function-level reset: as Reset Device; the caller resets config space and the MSI-X table. */
    public void functionLevelReset() {
        runExclusive(this::resetDevice);
    }

    private int forEnabledWqs(java.util.function.IntConsumer op) {
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
            final PciConfigSpace cfg = backend.config();
            if (q >= profile.wqs()) {
                return INVALID_WQ_INDEX;
            }
            if (regs.deviceState() != Bar0Layout.GENSTS_ENABLED) {
                return DEVICE_NOT_ENABLED_FOR_WQ;
            }
            if (regs.wqEnabled(q)) {
                return WQ_ENABLED;
            }
            final int size = regs.wqcfgWord(q, WqcfgLayout.SIZE) & WqcfgLayout.SIZE_MASK;
            final int threshold = regs.wqcfgWord(q, WqcfgLayout.THRESHOLD) & WqcfgLayout.THRESHOLD_MASK;
            final int mode = regs.wqcfgWord(q, WqcfgLayout.MODE_WORD);
            final int limits = regs.wqcfgWord(q, WqcfgLayout.LIMITS_WORD);
            final boolean dedicated = (mode & WqcfgLayout.MODE_DEDICATED) != 0;
            final boolean bof = (mode & WqcfgLayout.BLOCK_ON_FAULT) != 0;
            final boolean prsDisable = (mode & WqcfgLayout.PRS_DISABLE) != 0;
            final boolean pasidEnable = (mode & WqcfgLayout.PASID_ENABLE) != 0;
            final int priority = WqcfgLayout.priority(mode);
            int group = -1;
            for (int g = 0; g < profile.groups(); g++) {
                if (regs.groupHasWq(g, q)) {
                    group = g;
                }
            }
            if (size == 0 || size > backend.wqSizeLimit(q) || group < 0 || hostGroupOfGroup[group] < 0) {
                return WQ_SIZE;
            }
            if (!dedicated && (threshold == 0 || threshold > size)) {
                return WQ_SIZE;
            }
            if (priority == 0) {
                return WQ_PRIORITY;
            }
            if (dedicated ? !profile.dedicatedMode() : !profile.sharedMode()) {
                return WQ_MODE;
            }
            if (bof && (!profile.blockOnFault() || prsDisable || !cfg.priEnabled())) {
                return BOF_ENABLE;
            }
            if ((pasidEnable && !cfg.pasidEnabled()) || (!dedicated && !pasidEnable)) {
                return PASID_ENABLE;
            }
            if (WqcfgLayout.maxBatchShift(limits) > profile.maxBatchShift()) {
                return MAX_BATCH_SIZE;
            }
            if (WqcfgLayout.maxTransferShift(limits) > profile.maxTransferShift()) {
                return MAX_TRANSFER_SIZE;
            }
            final int guestPasid = WqcfgLayout.pasid(mode);
            int hostPasid = 0;
            if (dedicated) {
                hostPasid = pasidEnable ? backend.hostPasid(guestPasid) : backend.defaultHostPasid();
                if (hostPasid < 0) {
                    return INVALID_PASID;
                }
            }
            final long[] ops = regs.wqOpConfig(q);
            final long[] opcap = profile.opcap();
            for (int i = 0; i < ops.length; i++) {
                ops[i] &= opcap[i];
            }
            s = new HostWqSettings(dedicated, size, dedicated ? 0 : threshold, priority, bof, hostPasid,
                (mode & WqcfgLayout.PRIV) != 0, WqcfgLayout.maxTransferShift(limits), WqcfgLayout.maxBatchShift(limits),
                ops, hostGroupOfGroup[group], (mode & WqcfgLayout.ATS_DISABLE) != 0, prsDisable, guestPasid,
                pasidEnable);
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

    private int wqCommand(int code, int operand) {
        final int block = operand >>> 16;
        final int mask = operand & 0xFFFF;
        if (mask == 0) {
            return INVALID_WQ_INDEX;
        }
        final List<Integer> targets = new ArrayList<>();
        for (int bit = 0; bit < 16; bit++) {
            if ((mask & (1 << bit)) != 0) {
                final int q = block * 16 + bit;
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
            final boolean enabled = latched.get(q) != null;
            switch (code) {
                case DISABLE_WQ -> {
                    if (enabled) {
                        backend.disableHostWq(q);
                        markDisabled(q);
                    }
                }
                case DRAIN_WQ -> {
                    if (enabled) {
                        backend.drainHostWq(q);
                    }
                }
                case ABORT_WQ -> {
                    if (enabled) {
                        backend.abortHostWq(q);
                    }
                }
                case RESET_WQ -> {
                    if (enabled) {
                        backend.disableHostWqAborting(q);
                        markDisabled(q);
                    }
                    synchronized (backend.lock()) {
                        backend.registers().resetWqcfg(q);
                    }
                }
                default -> throw new IllegalArgumentException("not a WQ command: " + code);
            }
        }
        return SUCCESS;
    }

    private void markDisabled(int q) {
        synchronized (backend.lock()) {
            latched.set(q, null);
            backend.registers().wqState(q, false);
        }
    }

    /**
     * Drain / Abort PASID. The operand is a guest PASID: one the guest allocated, or a dedicated WQ's configured
     * PASID, else 0x13. Drain waits for every enabled WQ (a superset of the PASID's descriptors). Abort aborts the
     * dedicated WQs of that PASID and, on shared WQs, discards only that PASID's queued descriptors (the host PASID
     * the guest PASID translates to); other PASIDs' descriptors run.
     */
    private int pasidCommand(int code, int operand) {
        final int gpasid = operand;
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
        if (!known) {
            return INVALID_PASID;
        }
        for (int q = 0; q < profile.wqs(); q++) {
            final HostWqSettings s = latched.get(q);
            if (s == null) {
                continue;
            }
            if (code == ABORT_PASID && s.dedicated()) {
                if (s.guestPasidEnabled() && s.guestPasid() == gpasid) {
                    backend.abortHostWq(q);
                }
            } else if (code == ABORT_PASID && backend.hostPasid(gpasid) >= 0) {
                backend.abortHostWqPasid(q, backend.hostPasid(gpasid));
            } else {
                backend.drainHostWq(q);
            }
        }
        return SUCCESS;
    }

    // ---- interrupt handles

    private int requestInterruptHandle(int operand) {
        if ((operand & INT_HANDLE_IMS) != 0) {
            return NO_HANDLE_AVAILABLE; // the virtual device has no IMS
        }
        final int vector = operand & 0xFFFF;
        if (vector == 0 || vector >= profile.vectors()) {
            return INVALID_INTERRUPT_INDEX;
        }
        final int handle = backend.requestInterruptHandle(vector);
        if (handle < 0) {
            return NO_HANDLE_AVAILABLE;
        }
        return SUCCESS | (handle << Bar0Layout.CMDSTS_RESULT_SHIFT);
    }

    private int releaseInterruptHandle(int operand) {
        if ((operand & INT_HANDLE_IMS) != 0) {
            return INVALID_INTERRUPT_INDEX;
        }
        return backend.releaseInterruptHandle(operand & 0xFFFF) ? SUCCESS : INVALID_INTERRUPT_INDEX;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
