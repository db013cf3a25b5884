package io.softdsa.mdev.vdev;

/** What a guest's portal store came to. */
public enum PortalResult {
    /** MOVDIR64B: posted (the device may still drop it into SWERR). */
    POSTED,
    /** ENQCMD(S): accepted, ZF = 0. */
    ACCEPTED,
    /** ENQCMD(S): retry, ZF = 1 (WQ full, at its threshold, not enabled, or not a shared WQ). */
    RETRY,
    /** ENQCMD(S): the guest PASID has no valid translation: the CPU raises #GP, nothing reaches the device. */
    GP_FAULT,
    /** No WQ behind the address, or memory decoding disabled: the store goes nowhere. */
    UNCLAIMED
}
