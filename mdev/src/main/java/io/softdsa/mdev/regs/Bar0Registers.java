package io.softdsa.mdev.regs;

import io.softdsa.device.registers.Opcap;

import static io.softdsa.mdev.regs.Bar0Layout.*;

/**
 * The virtual DSA's BAR0: every register of {@link Bar0Layout} with its width, reset value and access semantics,
 * and the MMIO decode (softdsa rule, the fact sheet being silent: accesses of 1, 2, 4 or 8 bytes at any offset are
 * accepted; each byte follows the semantics of the bits it holds; unimplemented space reads 0 and ignores writes).
 * <p>
 * What a write means beyond storing bits is the device's business, reached through {@link Hooks}: whether a
 * configuration table may change now (WQCFG of an enabled WQ, GRPCFG and GENCFG of an enabled device keep their
 * values), the command a full 32-bit CMD write issues, and the MSI-X vector-control and permission changes.
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
    }

    private final DeviceProfile profile;
    private final RegisterBlock regs = new RegisterBlock(SIZE);
    private final Hooks hooks;

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
        for (int v = 0; v < profile.vectors(); v++) {
            regs.define(msixPerm(v), 4, 0, MsixLayout.PERM_RW_MASK, 0);
            regs.constant(msixPerm(v) + 4, 4, 0);
            final int e = msixEntry(v);
            regs.define(e + MsixLayout.ADDRESS_LOW, 4, 0, 0xFFFF_FFFCL, 0);
            regs.define(e + MsixLayout.ADDRESS_HIGH, 4, 0, 0xFFFF_FFFFL, 0);
            regs.define(e + MsixLayout.DATA, 4, 0, 0xFFFF_FFFFL, 0);
            regs.define(e + MsixLayout.VECTOR_CONTROL, 4, MsixLayout.VECTOR_MASKED, MsixLayout.VECTOR_MASKED, 0);
        }
        regs.constant(MSIX_PBA, ((profile.vectors() + 63) / 64) * 8, 0);
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

    /** Raw register block (device side and tests). */
    public RegisterBlock block() {
        return regs;
    }

    // ---- software (guest) access

    /** An MMIO read of 1, 2, 4 or 8 bytes. */
    public long read(int offset, int width) {
        checkWidth(width);
        if (offset < 0 || offset >= SIZE) {
            return 0;
        }
        refreshOccupancy(offset, width);
        return regs.read(offset, width);
    }

    /** An MMIO write of 1, 2, 4 or 8 bytes. */
    public void write(int offset, int width, long value) {
        checkWidth(width);
        if (offset < 0 || offset >= SIZE) {
            return;
        }
        final int end = Math.min(SIZE, offset + width);
        final boolean groupWritable = hooks.groupConfigWritable();
        final long[] vectorControls = touchedVectorControls(offset, end);
        for (int b = offset; b < end; b++) {
            final long byteValue = (value >>> (8 * (b - offset))) & 0xFF;
            if (b >= WQCFG_BASE && b < WQCFG_BASE + profile.wqs() * WqcfgLayout.STRIDE) {
                if (!hooks.wqcfgWritable((b - WQCFG_BASE) / WqcfgLayout.STRIDE)) {
                    continue;
                }
            } else if (b >= GRPCFG_BASE && b < GRPCFG_BASE + profile.groups() * GrpcfgLayout.STRIDE
                || b >= GENCFG && b < GENCFG + 4) {
                if (!groupWritable) {
                    continue;
                }
            }
            regs.write(b, 1, byteValue);
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
            if (regs.get(msixEntry(v) + MsixLayout.VECTOR_CONTROL, 4) != vectorControls[i + 1]) {
                hooks.vectorControlChanged(v);
            }
        }
    }

    private long[] touchedVectorControls(int offset, int end) {
        if (end <= MSIX_TABLE || offset >= MSIX_TABLE + profile.vectors() * MsixLayout.ENTRY_SIZE) {
            return new long[0];
        }
        final int first = Math.max(0, (offset - MSIX_TABLE) / MsixLayout.ENTRY_SIZE);
        final int last = Math.min(profile.vectors() - 1, (end - 1 - MSIX_TABLE) / MsixLayout.ENTRY_SIZE);
        final long[] out = new long[2 * (last - first + 1)];
        for (int v = first; v <= last; v++) {
            out[2 * (v - first)] = v;
            out[2 * (v - first) + 1] = regs.get(msixEntry(v) + MsixLayout.VECTOR_CONTROL, 4);
        }
        return out;
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

    private static void checkWidth(int width) {
        if (width != 1 && width != 2 && width != 4 && width != 8) {
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

    public long msixPermission(int vector) {
        return regs.get(msixPerm(vector), 4);
    }

    public long msixAddress(int vector) {
        return regs.get(msixEntry(vector) + MsixLayout.ADDRESS_LOW, 8);
    }

    public int msixData(int vector) {
        return (int) regs.get(msixEntry(vector) + MsixLayout.DATA, 4);
    }

    public boolean msixMasked(int vector) {
        return (regs.get(msixEntry(vector) + MsixLayout.VECTOR_CONTROL, 4) & MsixLayout.VECTOR_MASKED) != 0;
    }

    public boolean pending(int vector) {
        return (regs.get(MSIX_PBA + 8 * (vector >>> 6), 8) & (1L << vector)) != 0;
    }

    public void pending(int vector, boolean pending) {
        if (pending) {
            regs.setBits(MSIX_PBA + 8 * (vector >>> 6), 8, 1L << vector);
        } else {
            regs.clearBits(MSIX_PBA + 8 * (vector >>> 6), 8, 1L << vector);
        }
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
