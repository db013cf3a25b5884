package io.softdsa.mdev.userspace;

/**
 * An open WQ character device ({@code /dev/dsa/wqD.Q}) of one process: the only way to its portal. Closing it
 * unmaps the portal; closing the last opener of a dedicated WQ releases the WQ for the next one.
 */
public final class WqFile implements AutoCloseable {
    private final UserspaceDmaDriver driver;
    private final UserProcess process;
    private final String path;
    private final int wqIndex;
    private final boolean dedicated;
    private volatile UserPortal portal;
    private volatile boolean open = true;

    WqFile(UserspaceDmaDriver driver, UserProcess process, String path, int wqIndex, boolean dedicated) {
        this.driver = driver;
        this.process = process;
        this.path = path;
        this.wqIndex = wqIndex;
        this.dedicated = dedicated;
    }

    void portal(UserPortal p) {
        this.portal = p;
    }

    public String path() {
        return path;
    }

    public UserProcess process() {
        return process;
    }

    public int wqIndex() {
        return wqIndex;
    }

    public boolean isDedicated() {
        return dedicated;
    }

    public boolean isOpen() {
        return open;
    }

    /** mmap of the WQ's portal page (the limited portal of a shared WQ). */
    public UserPortal portal() {
        checkMapped();
        return portal;
    }

    void checkMapped() {
        if (!open) {
            throw new IllegalStateException(path + ": portal unmapped (file closed): SIGSEGV");
        }
    }

    /** Unmaps the portal (no store through it reaches the WQ after this), then lets the driver release the WQ. */
    @Override
    public void close() {
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
        }
        final UserPortal p = portal;
        if (p != null) {
            p.unmap(); // before the release: the drain/reprogram below must find every store that got through
        }
        driver.release(this);
        process.closed(this);
    }

    @Override
    public String toString() {
        return path + " (" + process.name() + ", PASID " + process.pasid() + ")";
    }
}
