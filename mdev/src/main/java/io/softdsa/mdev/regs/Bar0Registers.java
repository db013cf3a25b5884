package io.softdsa.mdev.regs;

import io.softdsa.device.registers.Opcap;
import io.softdsa.completion.SwerrLayout;

import static io.softdsa.mdev.regs.Bar0Layout.*;

/**
 * The virtual DSA's BAR0: every register of {@link Bar0Layout} with its width, reset value and access semantics,
 * and the MMIO decode (softdsa rule, the fact sheet being silent: accesses of 1, 2, 4 or 8 bytes at any offset are
 * accepted; each byte follows the semantics of the bits it holds; unimplemented space reads 0 and ignores writes).
 * <p>
 * What a write means beyond storing bits is the device's business, reached through {@link Hooks}: whether a
 * configuration table may change now (WQCFG of an enabled WQ, GRPCFG and GENCFG of an enabled device keep their
 * values), the command a full 32-bit CMD write issues, and the MSI-X vector-control changes. The MSI-X table, PBA
 * and permission table are {@link MsixTable}'s. A write the decode does not take as written (a read-only bit, a
 * locked table, unimplemented space, a bad width) is reported to {@link Hooks#guestError} before it is ignored.
 * <p>
 * The raw register block is this register file's own: the device side changes registers through named methods.
 * Not thread-safe: the virtual device serialises accesses.
 */
public final class Bar0Registers {
    /** The device behind the register file. */
    public interface Hooks {
        boolean wqcfgWritable(int wq);

        boolean groupConfigWritable();

        /** A 32-bit write to CMD (after it is stored). */
        void command(int value);

        /** A vector's MSI-X mask bit changed. */
        void vectorControlChanged(int vector);

        /** Live occupancy of WQ {@code wq} for WQCFG word 6. */
        int occupancy(int wq);

        /** The command in CMD finished: CMDSTS now holds {@code cmdsts} (active clear). */
        void commandCompleted(int cmd, int cmdsts);

        /** Software did something the register file ignores or rejects (QEMU's LOG_GUEST_ERROR). */
        void guestError(String what);
    }

    private final DeviceProfile profile;
    private final RegisterBlock regs = new RegisterBlock(SIZE);
    private final Hooks hooks;
    private final MsixTable msix;

    public Bar0Registers(DeviceProfile profile, Hooks hooks) {
        this.profile = profile;
        this.hooks = hooks;
        regs.constant(VERSION, 4, profile.version());
        regs.constant(GENCAP, 8, profile.gencap());
        regs.constant(WQCAP, 8, profile.wqcap());
        regs.constant(GRPCAP, 8, profile.grpcap());
        regs.constant(ENGCAP, 8, profile.engcap());
        final long[] opcap = profile.opcap();
        for (int i = 0; i < Opcap.WORDS; i++) {
            regs.constant(OPCAP + 8 * i, 8, opcap[i]);
        }
        regs.constant(TABLE_OFFSET, 8, tableOffsetValue());
        regs.constant(TABLE_OFFSET + 8, 8, 0);
        regs.define(GENCFG, 4, 0, GENCFG_READ_BUFFER_LIMIT_MASK, 0);
        regs.define(GENCTRL, 4, 0, GENCTRL_SOFTWARE_ERROR_INTERRUPT | GENCTRL_HALT_INTERRUPT, 0);
        regs.constant(GENSTS, 4, GENSTS_DISABLED);
        regs.define(INTCAUSE, 4, 0, 0, INTCAUSE_W1C_MASK);
        regs.define(CMD, 4, 0, CmdLayout.CMD_RW_MASK, 0);
        regs.constant(CMDSTS, 4, 0);
        regs.constant(CMDCAP, 4, profile.cmdcap());
        regs.define(SWERR, 8, 0, 0, SWERR_W1C_MASK);
        regs.constant(SWERR + 8, 8, 0);
        regs.constant(SWERR + 16, 8, 0);
        regs.constant(SWERR + 24, 8, 0);
        regs.constant(EVLCFG, 16, 0);
        regs.constant(EVLSTATUS, 8, 0);
        this.msix = new MsixTable(regs, profile.vectors());
        final long engineBits = profile.engines() >= 64 ? -1L : (1L << profile.engines()) - 1;
        for (int g = 0; g < profile.groups(); g++) {
            final int base = grpcfg(g);
            for (int w = 0; w < 4; w++) {
                final int first = 64 * w;
                final long mask = profile.wqs() <= first ? 0
                    : profile.wqs() - first >= 64 ? -1L : (1L << (profile.wqs() - first)) - 1;
                regs.define(base + GrpcfgLayout.WQ_BITMAP + 8 * w, 8, 0, mask, 0);
            }
            regs.define(base + GrpcfgLayout.ENGINE_BITMAP, 8, 0, engineBits, 0);
            regs.define(base + GrpcfgLayout.FLAGS, 8, 0, GrpcfgLayout.FLAGS_RW_MASK, 0);
        }
        final int statusWord = profile.modeSupport() ? WqcfgLayout.MODE_SUPPORT : 0;
        for (int q = 0; q < profile.wqs(); q++) {
            final int base = wqcfg(q);
            regs.define(base + WqcfgLayout.SIZE, 4, 0, WqcfgLayout.SIZE_MASK, 0);
            regs.define(base + WqcfgLayout.THRESHOLD, 4, 0, WqcfgLayout.THRESHOLD_MASK, 0);
            regs.define(base + WqcfgLayout.MODE_WORD, 4, 0, WqcfgLayout.MODE_WORD_RW_MASK, 0);
            regs.define(base + WqcfgLayout.LIMITS_WORD, 4, 0, WqcfgLayout.LIMITS_WORD_RW_MASK, 0);
            regs.constant(base + WqcfgLayout.OCCUPANCY_INT_WORD, 4, 0);
            regs.constant(base + WqcfgLayout.OCCUPANCY_LIMIT_WORD, 4, 0);
            regs.constant(base + WqcfgLayout.STATUS_WORD, 4, statusWord);
            regs.constant(base + 0x1C, 4, 0);
            for (int i = 0; i < Opcap.WORDS; i++) {
                // every supported operation allowed after reset
                regs.define(base + WqcfgLayout.OP_CONFIG + 8 * i, 8, opcap[i], opcap[i], 0);
            }
        }
    }

    public DeviceProfile profile() {
        return profile;
    }

    /** The MSI-X table, PBA and permission table. */
    public MsixTable msix() {
        return msix;
    }

    /** The raw register block: this package's (the MSI-X table and its tests) only. */
    RegisterBlock block() {
        return regs;
    }

    // ---- software (guest) access

    /** An MMIO read of 1, 2, 4 or 8 bytes. */
    public long read(int offset, int width) {
        checkWidth(offset, width);
        if (offset < 0 || offset >= SIZE) {
            hooks.guestError("BAR0 read of " + width + " bytes outside the register file at 0x"
                + Integer.toHexString(offset));
            return 0;
        }
        refreshOccupancy(offset, width);
        return regs.read(offset, width);
    }

    /** An MMIO write of 1, 2, 4 or 8 bytes. */
    public void write(int offset, int width, long value) {
        checkWidth(offset, width);
        if (offset < 0 || offset >= SIZE) {
            hooks.guestError("BAR0 write of " + width + " bytes outside the register file at 0x"
                + Integer.toHexString(offset));
            return;
        }
        final int end = Math.min(SIZE, offset + width);
        final boolean groupWritable = hooks.groupConfigWritable();
        final long[] vectorControls = msix.touchedVectorControls(offset, end);
        final boolean readOnlyRegister = !regs.writable(offset, end - offset);
        final long readOnly = regs.readOnlySet(offset, end - offset, value);
        boolean locked = false;
        for (int b = offset; b < end; b++) {
            final long byteValue = (value >>> (8 * (b - offset))) & 0xFF;
            final boolean writable;
            if (b >= WQCFG_BASE && b < WQCFG_BASE + profile.wqs() * WqcfgLayout.STRIDE) {
                writable = hooks.wqcfgWritable((b - WQCFG_BASE) / WqcfgLayout.STRIDE);
            } else if (b >= GRPCFG_BASE && b < GRPCFG_BASE + profile.groups() * GrpcfgLayout.STRIDE
                || b >= GENCFG && b < GENCFG + 4) {
                writable = groupWritable;
            } else {
                writable = true;
            }
            if (writable) {
                regs.write(b, 1, byteValue);
            } else {
                locked |= ((byteValue ^ regs.get(b, 1)) & regs.rwMask(b, 1)) != 0; // a change the lock refused
            }
        }
        if (readOnlyRegister || readOnly != 0) {
            hooks.guestError("BAR0 write of 0x" + Long.toHexString(value) + " (" + width + " bytes) at 0x"
                + Integer.toHexString(offset) + (readOnlyRegister ? " to read-only or unimplemented registers"
                : " sets read-only bits 0x" + Long.toHexString(readOnly)));
        }
        if (locked) {
            hooks.guestError("BAR0 write at 0x" + Integer.toHexString(offset) + " to a configuration table that is"
                + " locked (WQCFG of an enabled WQ, GRPCFG or GENCFG of an enabled device)");
        }
        if (offset <= SWERR && end > SWERR && (regs.get(SWERR, 8) & 1) == 0) {
            // valid cleared: the register is free again; only a pending overflow indication stays
            regs.set(SWERR, 8, regs.get(SWERR, 8) & 2);
            regs.set(SWERR + 8, 8, 0);
            regs.set(SWERR + 16, 8, 0);
            regs.set(SWERR + 24, 8, 0);
        }
        if (offset <= CMD && offset + width >= CMD + 4) {
            hooks.command((int) regs.get(CMD, 4));
        }
        for (int i = 0; i < vectorControls.length; i += 2) {
            final int v = (int) vectorControls[i];
            if ((msix.vectorControl(v) & 0xFFFF_FFFFL) != vectorControls[i + 1]) {
                hooks.vectorControlChanged(v);
            }
        }
    }

    private void refreshOccupancy(int offset, int width) {
        final int end = offset + width;
        for (int q = 0; q < profile.wqs(); q++) {
            final int word = wqcfg(q) + WqcfgLayout.STATUS_WORD;
            if (offset < word + 4 && end > word) {
                final long w = regs.get(word, 4);
                regs.set(word, 4, (w & ~WqcfgLayout.OCCUPANCY_MASK) | (hooks.occupancy(q) & WqcfgLayout.OCCUPANCY_MASK));
            }
        }
    }

    private void checkWidth(int offset, int width) {
        if (width != 1 && width != 2 && width != 4 && width != 8) {
            hooks.guestError("BAR0 access of " + width + " bytes at 0x" + Integer.toHexString(offset));
            throw new IllegalArgumentException("MMIO access width must be 1, 2, 4 or 8: " + width);
        }
    }

    // ---- device-side state

    public int gensts() {
        return (int) regs.get(GENSTS, 4);
    }

    public void deviceState(int state) {
        regs.set(GENSTS, 4, state & GENSTS_STATE_MASK);
    }

    public int deviceState() {
        return gensts() & GENSTS_STATE_MASK;
    }

    public int genctrl() {
        return (int) regs.get(GENCTRL, 4);
    }

    public int gencfg() {
        return (int) regs.get(GENCFG, 4);
    }

    public int cmdsts() {
        return (int) regs.get(CMDSTS, 4);
    }

    public void cmdsts(int value) {
        regs.set(CMDSTS, 4, value & 0xFFFF_FFFFL);
        if (!CmdLayout.active(value & 0xFFFF_FFFFL)) {
            hooks.commandCompleted(cmd(), value);
        }
    }

    public int cmd() {
        return (int) regs.get(CMD, 4);
    }

    public void raiseIntcause(int bits) {
        regs.setBits(INTCAUSE, 4, bits & 0xFFFF_FFFFL);
    }

    public int intcause() {
        return (int) regs.get(INTCAUSE, 4);
    }

    public long swerrWord(int i) {
        return regs.get(SWERR + 8 * i, 8);
    }

    /**
     * Latches a software error as the device does: into SWERR if it is free, else only the overflow bit is set
     * (the first entry is kept until software clears valid).
     */
    public void latchSwerr(long[] words) {
        if ((regs.get(SWERR, 8) & SwerrLayout.VALID) != 0) {
            swerrOverflow();
        } else {
            swerrWords(words);
        }
    }

    /** Sets SWERR's overflow bit: an error came that the register could not take. */
    public void swerrOverflow() {
        regs.setBits(SWERR, 8, SwerrLayout.OVERFLOW);
    }

    public void swerrWords(long[] words) {
        for (int i = 0; i < 4; i++) {
            regs.set(SWERR + 8 * i, 8, words[i]);
        }
    }

    public int wqcfgWord(int wq, int wordOffset) {
        return (int) regs.get(wqcfg(wq) + wordOffset, 4);
    }

    public long[] wqOpConfig(int wq) {
        final long[] bits = new long[Opcap.WORDS];
        for (int i = 0; i < Opcap.WORDS; i++) {
            bits[i] = regs.get(wqcfg(wq) + WqcfgLayout.OP_CONFIG + 8 * i, 8);
        }
        return bits;
    }

    /** WQCFG word 6 WQ state (bits 31:30). */
    public void wqState(int wq, boolean enabled) {
        final int word = wqcfg(wq) + WqcfgLayout.STATUS_WORD;
        final long w = regs.get(word, 4) & ~(3L << WqcfgLayout.STATE_SHIFT);
        regs.set(word, 4, w | ((long) (enabled ? WqcfgLayout.STATE_ENABLED : WqcfgLayout.STATE_DISABLED)
            << WqcfgLayout.STATE_SHIFT));
    }

    public boolean wqEnabled(int wq) {
        return ((regs.get(wqcfg(wq) + WqcfgLayout.STATUS_WORD, 4) >>> WqcfgLayout.STATE_SHIFT) & 3)
            == WqcfgLayout.STATE_ENABLED;
    }

    /** Resets WQ {@code wq}'s WQCFG entry to its reset values (Reset WQ). */
    public void resetWqcfg(int wq) {
        regs.reset(wqcfg(wq), WqcfgLayout.STRIDE);
    }

    public long groupWqBitmapWord(int group, int word) {
        return regs.get(grpcfg(group) + GrpcfgLayout.WQ_BITMAP + 8 * word, 8);
    }

    public long groupEngines(int group) {
        return regs.get(grpcfg(group) + GrpcfgLayout.ENGINE_BITMAP, 8);
    }

    public long groupFlags(int group) {
        return regs.get(grpcfg(group) + GrpcfgLayout.FLAGS, 8);
    }

    public boolean groupHasWq(int group, int wq) {
        return (groupWqBitmapWord(group, wq >>> 6) & (1L << wq)) != 0;
    }

    // ---- what a migration saves and restores (device side, bypassing the access masks)

    /** A capability register (VERSION, GENCAP, WQCAP, GRPCAP, ENGCAP, OPCAP words): {@code width} bytes. */
    public long capability(int offset, int width) {
        if (offset < VERSION || offset + width > GENCFG) {
            throw new IllegalArgumentException("not a capability register: 0x" + Integer.toHexString(offset));
        }
        return regs.get(offset, width);
    }

    public void gencfg(int value) {
        regs.set(GENCFG, 4, value & 0xFFFF_FFFFL);
    }

    public void genctrl(int value) {
        regs.set(GENCTRL, 4, value & 0xFFFF_FFFFL);
    }

    public void intcause(int value) {
        regs.set(INTCAUSE, 4, value & 0xFFFF_FFFFL);
    }

    public void wqcfgWord(int wq, int wordOffset, int value) {
        regs.set(wqcfg(wq) + wordOffset, 4, value & 0xFFFF_FFFFL);
    }

    public void groupWqBitmapWord(int group, int word, long value) {
        regs.set(grpcfg(group) + GrpcfgLayout.WQ_BITMAP + 8 * word, 8, value);
    }

    public void groupEngines(int group, long value) {
        regs.set(grpcfg(group) + GrpcfgLayout.ENGINE_BITMAP, 8, value);
    }

    public void groupFlags(int group, long value) {
        regs.set(grpcfg(group) + GrpcfgLayout.FLAGS, 8, value);
    }

    /**
     * Reset Device: the DSA registers (GENCFG .. SWERR, GRPCFG, WQCFG) return to reset values; the MSI-X table,
     * PBA and permission table are the PCI function's and keep theirs (an FLR resets them: {@link #resetAll()}).
     */
    public void resetDeviceRegisters() {
        regs.reset(GENCFG, MSIX_PERM - GENCFG);
        regs.reset(GRPCFG_BASE, MSIX_TABLE - GRPCFG_BASE);
    }

    /** Function-level reset: everything. */
    public void resetAll() {
        regs.reset();
    }
}
