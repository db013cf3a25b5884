package io.softdsa.mdev.userspace;

/** A failed {@code open()} of a WQ character device, with the errno the kernel would return. */
public final class DsaOpenException extends RuntimeException {
    /** The errnos the idxd character device returns on open. */
    public enum Errno {
        /** No such WQ device. */
        ENOENT,
        /** Not a user WQ (kernel or mdev WQ). */
        EPERM,
        /** WQ not enabled. */
        ENODEV,
        /** A dedicated WQ already has its one owner. */
        EBUSY
    }

    private final Errno errno;

    public DsaOpenException(Errno errno, String message) {
        super(errno + ": " + message);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
