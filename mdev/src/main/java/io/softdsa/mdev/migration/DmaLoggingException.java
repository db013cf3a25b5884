package io.softdsa.mdev.migration;

/** A refused DMA-logging request, with the errno the uAPI ioctl would return. */
public final class DmaLoggingException extends Exception {
    public static final int E2BIG = 7;
    public static final int EIO = 5;
    public static final int EBUSY = 16;
    public static final int EINVAL = 22;
    public static final int EOVERFLOW = 75;

    private final int errno;

    public DmaLoggingException(int errno, String message) {
        super(message + " (errno " + errno + ")");
        this.errno = errno;
    }

    public DmaLoggingException(int errno, String message, Throwable cause) {
        this(errno, message);
        initCause(cause);
    }

    public int errno() {
        return errno;
    }
}
