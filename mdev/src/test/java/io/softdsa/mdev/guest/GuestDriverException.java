package io.softdsa.mdev.guest;

/** A command the guest driver issued failed: carries the CMDSTS error code. */
public final class GuestDriverException extends RuntimeException {
    private final int cmdsts;

    public GuestDriverException(String what, int cmdsts) {
        super(what + " failed: CMDSTS error 0x" + Integer.toHexString(cmdsts & 0xFF));
        this.cmdsts = cmdsts;
    }

    /** The CMDSTS error code (bits 7:0). */
    public int error() {
        return cmdsts & 0xFF;
    }
}
