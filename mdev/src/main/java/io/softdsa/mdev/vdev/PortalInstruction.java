package io.softdsa.mdev.vdev;

/** The 64-byte store a guest CPU uses on a portal. */
public enum PortalInstruction {
    /** Posted, to a dedicated WQ: the WQ's PASID is used, the descriptor's ignored. */
    MOVDIR64B,
    /** To a shared WQ from any privilege level: the CPU puts the translation of IA32_PASID in bytes 0-3, Priv 0. */
    ENQCMD,
    /** To a shared WQ from the guest kernel: the descriptor's PASID (translated by the CPU) and Priv are used. */
    ENQCMDS
}
