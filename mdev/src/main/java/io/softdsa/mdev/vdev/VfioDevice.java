package io.softdsa.mdev.vdev;

import java.lang.foreign.MemorySegment;

/**
 * A device as a VMM exposes it to a guest, VFIO-style: configuration space, MMIO regions, the 64-byte portal stores
 * of the guest CPU, and an interrupt route. All a guest driver may use: nothing here reveals the host side.
 */
public interface VfioDevice {
    int configRead(int offset, int width);

    void configWrite(int offset, int width, int value);

    long mmioRead(int bar, long offset, int width);

    void mmioWrite(int bar, long offset, int width, long value);

    /**
     * A MOVDIR64B / ENQCMD / ENQCMDS of the 64 bytes at {@code src + srcOffset} to BAR2 offset {@code offset}.
     *
     * @param guestPasid for ENQCMD, the guest's IA32_PASID (-1 when not valid)
     */
    PortalResult portalWrite(long offset, MemorySegment src, long srcOffset, PortalInstruction insn, int guestPasid);

    /** Where MSI-X messages go (the guest's interrupt controller). */
    void msiSink(MsiSink sink);
}
