package io.softdsa.mdev.vdev;

import io.softdsa.mdev.command.CommandProcessor;
import io.softdsa.mdev.pci.PciConfigSpace;
import io.softdsa.mdev.regs.Bar0Registers;

/**
 * Function-level reset and unplug of one virtual device, in the order that makes them safe: an FLR disables every
 * WQ and releases every handle through the command processor before the registers and config space return to reset
 * values; the unplug first stops every portal store and interrupt, then gives the host WQs back as they were, and
 * frees the posted-interrupt descriptor only when no engine can post to it any more.
 */
final class DeviceReset {
    private final VdevState state;
    private final CommandProcessor commands;
    private final Bar0Registers bar0;
    private final PciConfigSpace config;
    private final GuestPortals portals;
    private final HostSlice slice;
    private final MsixDelivery msix;
    private final GuestSwerr swerr;
    private final Runnable onClose;

    DeviceReset(VdevState state, CommandProcessor commands, Bar0Registers bar0, PciConfigSpace config,
                GuestPortals portals, HostSlice slice, MsixDelivery msix, GuestSwerr swerr, Runnable onClose) {
        this.state = state;
        this.commands = commands;
        this.bar0 = bar0;
        this.config = config;
        this.portals = portals;
        this.slice = slice;
        this.msix = msix;
        this.swerr = swerr;
        this.onClose = onClose;
    }

    /** FLR (config space's Initiate FLR, a migration reset or a failed restore): everything back to reset. */
    void functionLevelReset() {
        commands.functionLevelReset();
        synchronized (state.lock) {
            bar0.resetAll();
            config.reset();
            state.memoryDecode = false;
        }
    }

    /** Unplugs the device: its WQs are aborted and disabled and given back to the host as they were. */
    void unplug() {
        synchronized (state.lock) {
            if (state.closed) {
                return;
            }
            state.closed = true; // no MMIO, portal store or interrupt from here on
        }
        portals.awaitStores(); // a store that passed the closed check before has reached its WQ
        commands.functionLevelReset();
        commands.close();
        for (int q = 0; q < slice.wqs(); q++) {
            portals.stop(q);
            slice.giveBack(q);
        }
        // every handle is released (FLR) and the WQs are disabled: no engine can post or report any more
        msix.close();
        swerr.close();
        onClose.run();
    }
}
