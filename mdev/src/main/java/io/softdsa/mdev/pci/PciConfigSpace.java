package io.softdsa.mdev.pci;

import io.softdsa.mdev.regs.RegisterBlock;
import io.softdsa.memory.Page;

import static io.softdsa.mdev.pci.PciConfigLayout.*;

/**
 * The virtual DSA function's configuration space with the access semantics of each bit (read-only, read-write,
 * write-1-to-clear), BAR sizing by the usual write-all-ones probe, and the capabilities of {@link PciConfigLayout}.
 * Side effects of a write (FLR, PRI reset) are reported to the owner through {@link Effects}. Not thread-safe: the
 * virtual device serialises accesses.
 */
public final class PciConfigSpace {
    /** What a config write asked the function to do. */
    public interface Effects {
        /** Device control bit 15 was written as 1: function-level reset. */
        void functionLevelReset();

        /** MSI-X enable or function mask changed (pending vectors may now be deliverable). */
        void msixControlChanged();

        /** PRI control reset bit was written as 1. */
        void priReset();
    }

    private static final Effects NO_EFFECTS = new Effects() {
        @Override
        public void functionLevelReset() {
        }

        @Override
        public void msixControlChanged() {
        }

        @Override
        public void priReset() {
        }
    };

    private final RegisterBlock regs = new RegisterBlock(SIZE);
    private Effects effects = NO_EFFECTS;

    /**
     * @param bar0Size     BAR0 (MMIO) size, a power of two >= 4 KiB
     * @param bar2Size     BAR2 (portals) size, a power of two >= 4 KiB
     * @param msixVectors  MSI-X table entries (1..2048)
     * @param msixTable    offset of the MSI-X table in BAR0
     * @param msixPba      offset of the pending-bit array in BAR0
     */
    public PciConfigSpace(long bar0Size, long bar2Size, int msixVectors, int msixTable, int msixPba) {
        checkBarSize(bar0Size);
        checkBarSize(bar2Size);
        if (msixVectors < 1 || msixVectors > 2048) {
            throw new IllegalArgumentException("MSI-X vectors 1..2048: " + msixVectors);
        }
        regs.constant(VENDOR_ID, 2, VENDOR_INTEL);
        regs.constant(DEVICE_ID, 2, DEVICE_DSA_SPR);
        regs.define(COMMAND, 2, 0, COMMAND_RW_MASK, 0);
        regs.define(STATUS, 2, STATUS_CAPABILITY_LIST, 0, STATUS_W1C_MASK);
        regs.constant(REVISION, 1, 0x01);
        regs.constant(CLASS_CODE, 3, CLASS_SYSTEM_PERIPHERAL_OTHER);
        regs.define(CACHE_LINE_SIZE, 1, 0, 0xFF, 0);
        regs.constant(HEADER_TYPE, 1, 0);
        defineBar(BAR0, bar0Size);
        defineBar(BAR2, bar2Size);
        regs.constant(SUBSYSTEM_VENDOR_ID, 2, VENDOR_INTEL);
        regs.constant(SUBSYSTEM_ID, 2, 0);
        regs.constant(CAPABILITY_POINTER, 1, PCIE_CAP);
        regs.define(INTERRUPT_LINE, 1, 0, 0xFF, 0);
        regs.constant(INTERRUPT_PIN, 1, 0);

        regs.constant(PCIE_CAP, 2, PCIE_CAP_ID | (MSIX_CAP << 8));
        regs.constant(PCIE_CAPABILITIES, 2, PCIE_CAPABILITIES_VALUE);
        regs.constant(PCIE_DEVICE_CAPABILITIES, 4, PCIE_DEVCAP_FLR);
        regs.define(PCIE_DEVICE_CONTROL, 2, 0x2810, PCIE_DEVCTL_RW_MASK, 0); // relaxed ordering, no snoop, MRRS 512
        regs.define(PCIE_DEVICE_STATUS, 2, 0, 0, PCIE_DEVSTA_W1C_MASK);
        regs.define(PCIE_DEVICE_CONTROL2, 2, 0, 0x040F, 0); // completion timeout value/disable, LTR... (RW)

        regs.constant(MSIX_CAP, 2, MSIX_CAP_ID);
        regs.define(MSIX_MESSAGE_CONTROL, 2, msixVectors - 1, MSIX_CONTROL_ENABLE | MSIX_CONTROL_FUNCTION_MASK, 0);
        regs.constant(MSIX_TABLE_OFFSET_BIR, 4, msixTable); // BIR 0: BAR0
        regs.constant(MSIX_PBA_OFFSET_BIR, 4, msixPba);

        regs.constant(ATS_CAP, 4, extendedHeader(ATS_ID, 1, PASID_CAP));
        regs.constant(ATS_CAPABILITY, 2, ATS_CAPABILITY_VALUE);
        regs.define(ATS_CONTROL, 2, 0, ATS_CONTROL_RW_MASK, 0);
        regs.constant(PASID_CAP, 4, extendedHeader(PASID_ID, 1, PRI_CAP));
        regs.constant(PASID_CAPABILITY, 2, PASID_CAPABILITY_VALUE);
        regs.define(PASID_CONTROL, 2, 0, PASID_CONTROL_RW_MASK, 0);
        regs.constant(PRI_CAP, 4, extendedHeader(PRI_ID, 1, 0));
        regs.define(PRI_CONTROL, 2, 0, PRI_CONTROL_ENABLE, 0);
        regs.define(PRI_STATUS, 2, PRI_STATUS_STOPPED | PRI_STATUS_PASID_REQUIRED, 0,
            PRI_STATUS_RESPONSE_FAILURE | PRI_STATUS_UNEXPECTED_GROUP);
        regs.constant(PRI_CAPACITY, 4, PRI_CAPACITY_VALUE);
        regs.define(PRI_ALLOCATION, 4, 0, 0xFFFF_FFFFL, 0);
    }

    private static void checkBarSize(long size) {
        if (size < Page.SIZE || Long.bitCount(size) != 1) {
            throw new IllegalArgumentException("BAR size must be a power of two >= " + Page.SIZE + ": " + size);
        }
    }

    private void defineBar(int offset, long size) {
        final long addressMask = ~(size - 1);
        regs.define(offset, 4, BAR_MEMORY_64_PREFETCHABLE, addressMask & 0xFFFF_FFF0L, 0);
        regs.define(offset + 4, 4, 0, 0xFFFF_FFFFL, 0);
    }

    public void effects(Effects e) {
        this.effects = e == null ? NO_EFFECTS : e;
    }

    /** A config read of 1, 2 or 4 bytes; offsets outside the 4 KiB space read as all ones (no function there). */
    public int read(int offset, int width) {
        checkWidth(width);
        if (offset < 0 || offset + width > SIZE) {
            return width == 4 ? -1 : (1 << (8 * width)) - 1;
        }
        return (int) regs.read(offset, width);
    }

    /** A config write of 1, 2 or 4 bytes; read-only bits keep their value, W1C bits written as 1 clear. */
    public void write(int offset, int width, int value) {
        checkWidth(width);
        if (offset < 0 || offset + width > SIZE) {
            return;
        }
        final int msixBefore = (int) regs.get(MSIX_MESSAGE_CONTROL, 2);
        regs.write(offset, width, value & 0xFFFF_FFFFL);
        if (touches(offset, width, PCIE_DEVICE_CONTROL + 1)
            && ((value >>> (8 * (PCIE_DEVICE_CONTROL + 1 - offset))) & 0x80) != 0) {
            regs.clearBits(PCIE_DEVICE_CONTROL, 2, PCIE_DEVCTL_INITIATE_FLR); // reads as 0
            effects.functionLevelReset();
            return;
        }
        if (touches(offset, width, PRI_CONTROL) && ((value >>> (8 * (PRI_CONTROL - offset))) & PRI_CONTROL_RESET) != 0) {
            effects.priReset();
        }
        if (regs.get(MSIX_MESSAGE_CONTROL, 2) != msixBefore) {
            effects.msixControlChanged();
        }
    }

    private static boolean touches(int offset, int width, int byteOffset) {
        return byteOffset >= offset && byteOffset < offset + width;
    }

    private static void checkWidth(int width) {
        if (width != 1 && width != 2 && width != 4) {
            throw new IllegalArgumentException("config access width must be 1, 2 or 4: " + width);
        }
    }

    /** Everything back to reset values (FLR, or creation). */
    public void reset() {
        regs.reset();
    }

    // ---- the state the device model acts on

    public boolean memorySpaceEnabled() {
        return (regs.get(COMMAND, 2) & COMMAND_MEMORY_SPACE) != 0;
    }

    public boolean busMasterEnabled() {
        return (regs.get(COMMAND, 2) & COMMAND_BUS_MASTER) != 0;
    }

    public boolean msixEnabled() {
        return (regs.get(MSIX_MESSAGE_CONTROL, 2) & MSIX_CONTROL_ENABLE) != 0;
    }

    public boolean msixFunctionMasked() {
        return (regs.get(MSIX_MESSAGE_CONTROL, 2) & MSIX_CONTROL_FUNCTION_MASK) != 0;
    }

    public int msixTableSize() {
        return (int) (regs.get(MSIX_MESSAGE_CONTROL, 2) & MSIX_CONTROL_TABLE_SIZE_MASK) + 1;
    }

    public boolean pasidEnabled() {
        return (regs.get(PASID_CONTROL, 2) & PASID_CONTROL_ENABLE) != 0;
    }

    public boolean privilegedModeEnabled() {
        return (regs.get(PASID_CONTROL, 2) & PASID_CONTROL_PRIVILEGED) != 0;
    }

    public boolean atsEnabled() {
        return (regs.get(ATS_CONTROL, 2) & ATS_CONTROL_ENABLE) != 0;
    }

    public boolean priEnabled() {
        return (regs.get(PRI_CONTROL, 2) & PRI_CONTROL_ENABLE) != 0;
    }

    /** The device sets a PRI status bit (response failure, unexpected group index). */
    public void setPriStatus(int bits) {
        regs.setBits(PRI_STATUS, 2, bits);
    }

    /** Stopped (bit 8) is set while PRI is disabled and nothing is outstanding. */
    public void priStopped(boolean stopped) {
        if (stopped) {
            regs.setBits(PRI_STATUS, 2, PRI_STATUS_STOPPED);
        } else {
            regs.clearBits(PRI_STATUS, 2, PRI_STATUS_STOPPED);
        }
    }

    /** Raw access to the register block (masks and reset values, for tests and the fuzzer). */
    public RegisterBlock registers() {
        return regs;
    }
}
