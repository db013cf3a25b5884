package io.softdsa.mdev.matrix;

import java.util.List;

/**
 * One cell of the operation matrix: how a tenant reaches the device (path), the WQ mode it submits to, and how its
 * addresses are translated. {@link #EXISTING} are the cells the model has; {@link #ABSENT} says why the others are not
 * generated.
 */
public record Cell(Path path, Mode mode, Translation translation) {
    /** Who submits: the host's own WQ client, a process through the userspace-DMA driver, a guest's driver. */
    public enum Path { BARE_ENGINE, USERSPACE_DMA, VIRTUAL_DEVICE }

    /** Shared WQ (ENQCMD / ENQCMDS, PASID per descriptor) or dedicated WQ (MOVDIR64B, the WQ's PASID). */
    public enum Mode { SHARED, DEDICATED }

    /**
     * Pass-through: physical addresses of the tenant (host-physical on the bare engine, guest-physical through host
     * stage 2 for a guest), no PASID. SVA: a process address space bound to a PASID (one level of x86-64 tables).
     * Nested: a guest process's stage-1 tables in guest memory walked through the host's stage 2.
     */
    public enum Translation { PASS_THROUGH, SVA, NESTED }

    /** A combination the model does not have, and why. */
    public record Absent(Path path, Mode mode, Translation translation, String reason) {
    }

    public static final List<Cell> EXISTING = List.of(
        new Cell(Path.BARE_ENGINE, Mode.SHARED, Translation.PASS_THROUGH),
        new Cell(Path.BARE_ENGINE, Mode.DEDICATED, Translation.PASS_THROUGH),
        new Cell(Path.BARE_ENGINE, Mode.SHARED, Translation.SVA),
        new Cell(Path.BARE_ENGINE, Mode.DEDICATED, Translation.SVA),
        new Cell(Path.USERSPACE_DMA, Mode.SHARED, Translation.SVA),
        new Cell(Path.USERSPACE_DMA, Mode.DEDICATED, Translation.SVA),
        new Cell(Path.VIRTUAL_DEVICE, Mode.DEDICATED, Translation.PASS_THROUGH),
        new Cell(Path.VIRTUAL_DEVICE, Mode.SHARED, Translation.NESTED),
        new Cell(Path.VIRTUAL_DEVICE, Mode.DEDICATED, Translation.NESTED));

    public static final List<Absent> ABSENT = List.of(
        new Absent(Path.BARE_ENGINE, Mode.SHARED, Translation.NESTED, "nested translation needs a guest's stage 1"),
        new Absent(Path.BARE_ENGINE, Mode.DEDICATED, Translation.NESTED, "nested translation needs a guest's stage 1"),
        new Absent(Path.USERSPACE_DMA, Mode.SHARED, Translation.PASS_THROUGH,
            "the userspace-DMA driver sets every user WQ up for SVA (a process has no physical addresses)"),
        new Absent(Path.USERSPACE_DMA, Mode.DEDICATED, Translation.PASS_THROUGH,
            "the userspace-DMA driver sets every user WQ up for SVA (a process has no physical addresses)"),
        new Absent(Path.USERSPACE_DMA, Mode.SHARED, Translation.NESTED, "a host process has no stage 2"),
        new Absent(Path.USERSPACE_DMA, Mode.DEDICATED, Translation.NESTED, "a host process has no stage 2"),
        new Absent(Path.VIRTUAL_DEVICE, Mode.SHARED, Translation.PASS_THROUGH,
            "ENQCMD/ENQCMDS carry a guest PASID the guest's PASID table must translate; guest PASID 0 (the default"
                + " domain, guest-physical) is not one, so a guest's shared WQ always runs nested"),
        new Absent(Path.VIRTUAL_DEVICE, Mode.SHARED, Translation.SVA,
            "a guest process's address space is always nested (stage 1 over the host's stage 2)"),
        new Absent(Path.VIRTUAL_DEVICE, Mode.DEDICATED, Translation.SVA,
            "a guest process's address space is always nested (stage 1 over the host's stage 2)"));

    /** Pass-through faults are translation errors (0x22) beyond the tenant's memory; translated ones page faults. */
    public boolean translated() {
        return translation != Translation.PASS_THROUGH;
    }

    @Override
    public String toString() {
        return path.name().toLowerCase().replace('_', ' ') + ", " + mode.name().toLowerCase() + " WQ, "
            + translation.name().toLowerCase().replace('_', '-');
    }
}
