package io.softdsa.mdev.userspace;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.DescriptorLayout;
import io.softdsa.mdev.host.InterruptHandles;
import io.softdsa.portal.Portal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A WQ portal page as mmap'ed into one process by its open WQ file. What the hardware and the kernel guarantee is
 * enforced here, whatever the process wrote in its descriptor: on a shared WQ, ENQCMD puts the process's PASID in
 * bytes 0-3 with Priv 0; on a dedicated WQ the WQ's PASID (the owner's, programmed at open) is used. A process has no
 * interrupt handles, so a completion-interrupt request names no valid handle (status 0x19). Once the file is closed
 * the page is unmapped: a store faults ({@link IllegalStateException}, the process's SIGSEGV).
 * <p>
 * Unmapping is atomic with submission: a store runs "mapped?" and its enqueue under this portal's monitor, and
 * {@link #unmap} takes the same monitor, so a store either reached the WQ before the unmap returned (where the close
 * path's drain, abort or disable finds it) or faults; none lands after the WQ has been handed to its next owner.
 */
public final class UserPortal {
    private final WqFile file;
    private final Portal portal;
    private final boolean dedicated;
    private final MemorySegment staging = Arena.ofAuto().allocate(DescriptorLayout.LENGTH, DescriptorLayout.LENGTH);
    private final Descriptor view = new Descriptor(staging, 0);
    /** Guarded by this portal's monitor (what makes the check and the enqueue one step). */
    private boolean unmapped;

    UserPortal(WqFile file, Portal portal, boolean dedicated) {
        this.file = file;
        this.portal = portal;
        this.dedicated = dedicated;
    }

    public boolean isDedicated() {
        return dedicated;
    }

    /** ENQCMD from user mode on a shared WQ: true = accepted, false = retry. */
    public synchronized boolean enqcmd(Descriptor d) {
        checkMapped();
        if (dedicated) {
            throw new IllegalStateException("ENQCMD to a dedicated WQ portal: use movdir64b");
        }
        stage(d);
        return portal.enqcmd(staging, 0);
    }

    /** MOVDIR64B on a dedicated WQ: posted. */
    public synchronized void movdir64b(Descriptor d) {
        checkMapped();
        if (!dedicated) {
            throw new IllegalStateException("MOVDIR64B to a shared WQ portal: use enqcmd");
        }
        stage(d);
        portal.movdir64b(staging, 0);
    }

    /** ENQCMD or MOVDIR64B as the WQ mode requires; false = retry (shared WQ full). */
    public boolean submit(Descriptor d) {
        if (dedicated) {
            movdir64b(d);
            return true;
        }
        return enqcmd(d);
    }

    /** munmap at close: returns once no store through this page can still reach the WQ. */
    synchronized void unmap() {
        unmapped = true;
    }

    private void checkMapped() {
        if (unmapped || !file.isOpen()) {
            throw new IllegalStateException(file.path() + ": portal unmapped (file closed): SIGSEGV");
        }
    }

    private void stage(Descriptor d) {
        view.copyFrom(d);
        if ((view.flags() & DescriptorFlags.REQUEST_COMPLETION_INTERRUPT) != 0) {
            view.interruptHandle(InterruptHandles.INVALID_HANDLE);
        }
    }
}
