package io.softdsa.testing;

import io.softdsa.device.Device;
import io.softdsa.device.Threading;

/**
 * What every module's test fixture does with a device it made: drive its engines from the test thread
 * ({@link Threading#INVOKER}), and close it failing the test if any engine hit an internal error while it ran.
 */
public final class Devices {
    private Devices() {
    }

    /** Drives {@code device}'s engines until none has work. */
    public static void drive(Device device) {
        while (device.invokeEngines() > 0) {
            // keep going
        }
    }

    /**
     * Closes {@code resources} in order (the device, or the host that owns it, then its memory and the rest), then
     * throws if {@code device} counted internal errors; they are read before anything closes.
     */
    public static void closeChecked(Device device, AutoCloseable... resources) {
        final long errors = device.internalErrors();
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                throw new AssertionError("closing " + r, e);
            }
        }
        if (errors != 0) {
            throw new AssertionError(errors + " internal engine errors");
        }
    }
}
