package io.softdsa.mdev.vdev;

import io.softdsa.mdev.pci.PciConfigLayout;
import io.softdsa.mdev.pci.PciConfigSpace;
import io.softdsa.mdev.regs.Bar0Layout;
import io.softdsa.mdev.regs.Bar0Registers;

/**
 * The guest's register accesses to one virtual device, as QEMU's MemoryRegionOps decode them: configuration space
 * and BAR0 under the device lock, with the decode rules around them — memory decoding off is a master abort, BAR2
 * takes 64-byte stores only (narrow stores submit nothing and reads return all ones), and an unplugged or stopped
 * device changes no state. Whatever the decode ignores is reported as a guest error; after every write, MSI-X
 * messages that became deliverable are sent, and an FLR the write asked for is carried out.
 */
final class MmioDecoder {
    private final VdevState state;
    private final PciConfigSpace config;
    private final Bar0Registers bar0;
    private final GuestErrors errors;
    private final MsixDelivery msix;
    private final Runnable functionLevelReset;
    /** Set by config space's effects during a write (under the lock), acted on after it. */
    private boolean flrRequested;

    MmioDecoder(VdevState state, PciConfigSpace config, Bar0Registers bar0, GuestErrors errors, MsixDelivery msix,
                Runnable functionLevelReset) {
        this.state = state;
        this.config = config;
        this.bar0 = bar0;
        this.errors = errors;
        this.msix = msix;
        this.functionLevelReset = functionLevelReset;
        config.effects(new PciConfigSpace.Effects() {
            @Override
            public void functionLevelReset() {
                flrRequested = true;
            }

            @Override
            public void msixControlChanged() {
                // delivered by flushPending after the write
            }

            @Override
            public void priReset() {
                config.setPriStatus(0);
            }
        });
    }

    int configRead(int offset, int width) {
        if (offset < 0 || offset + width > PciConfigLayout.SIZE) {
            errors.report("config read of " + width + " bytes at 0x" + Integer.toHexString(offset)
                + ", outside config space");
        }
        synchronized (state.lock) {
            return config.read(offset, width);
        }
    }

    void configWrite(int offset, int width, int value) {
        final boolean flr;
        synchronized (state.lock) {
            if (!state.acceptsWrites()) {
                return; // a stopped device's state does not change (VFIO migration STOP)
            }
            if (offset < 0 || offset + width > PciConfigLayout.SIZE) {
                errors.report("config write of " + width + " bytes at 0x" + Integer.toHexString(offset)
                    + ", outside config space");
            }
            flrRequested = false;
            config.write(offset, width, value);
            flr = flrRequested;
            state.memoryDecode = config.memorySpaceEnabled();
        }
        if (flr) {
            functionLevelReset.run();
        }
        msix.flushPending();
    }

    /** After a restore of config space: memory decoding as the restored COMMAND register says. */
    void configRestored() {
        synchronized (state.lock) {
            state.memoryDecode = config.memorySpaceEnabled();
        }
    }

    long mmioRead(int bar, long offset, int width) {
        final long ones = width == 8 ? -1L : (1L << (8 * width)) - 1;
        if (bar != 0) {
            errors.report("read of " + width + " bytes from BAR" + bar + " at 0x" + Long.toHexString(offset)
                + " (portals are write-only)");
            return ones;
        }
        synchronized (state.lock) {
            if (!config.memorySpaceEnabled()) {
                errors.report("BAR0 read at 0x" + Long.toHexString(offset) + " with memory decoding off");
                return ones; // master abort
            }
            if (offset < 0 || offset >= Bar0Layout.SIZE) {
                errors.report("BAR0 read of " + width + " bytes at 0x" + Long.toHexString(offset) + ", beyond BAR0");
                return 0;
            }
            return bar0.read((int) offset, width);
        }
    }

    void mmioWrite(int bar, long offset, int width, long value) {
        if (bar != 0) {
            errors.report(width + "-byte store to BAR" + bar + " at 0x" + Long.toHexString(offset)
                + " (a narrow store to a portal submits nothing)");
            return;
        }
        synchronized (state.lock) {
            if (!state.acceptsWrites()) {
                return;
            }
            if (!config.memorySpaceEnabled() || offset < 0 || offset >= Bar0Layout.SIZE) {
                errors.report("BAR0 write of " + width + " bytes at 0x" + Long.toHexString(offset)
                    + (config.memorySpaceEnabled() ? ", beyond BAR0" : " with memory decoding off"));
                return;
            }
            bar0.write((int) offset, width, value);
        }
        msix.flushPending();
    }
}
