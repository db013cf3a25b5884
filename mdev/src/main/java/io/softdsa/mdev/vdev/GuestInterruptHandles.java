package io.softdsa.mdev.vdev;

import io.softdsa.completion.PostedInterruptReceiver;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.mdev.host.InterruptHandles;
import io.softdsa.mdev.regs.MsixTable;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The completion-interrupt handles one virtual device holds for its guest (Request / Release Interrupt Handle):
 * host handles remapped to the device's posted-interrupt descriptor, one per MSI-X vector, and the filter the portal
 * path applies — a descriptor may only name a handle of this device on a vector whose permission entry admits its
 * PASID, else the handle is made invalid and the device answers 0x19.
 */
final class GuestInterruptHandles {
    private final Object owner;
    private final VdevState state;
    private final InterruptHandles host;
    private final MsixTable msix;
    private final PostedInterruptReceiver posted;
    /** Handle per vector (0: none); under the device lock. */
    private final int[] vectorHandle;
    /** Vector per handle, read lock-free by the portal path. */
    private final ConcurrentHashMap<Integer, Integer> vectorOfHandle = new ConcurrentHashMap<>();

    /** @param owner the identity the host's handle table knows this device by */
    GuestInterruptHandles(Object owner, VdevState state, InterruptHandles host, MsixTable msix,
                          PostedInterruptReceiver posted) {
        this.owner = owner;
        this.state = state;
        this.host = host;
        this.msix = msix;
        this.posted = posted;
        this.vectorHandle = new int[msix.vectors()];
    }

    /** The handle for {@code vector} (the one it has, or a new one), or -1 if the host has none left. */
    int request(int vector) {
        synchronized (state.lock) {
            if (vectorHandle[vector] != 0) {
                return vectorHandle[vector];
            }
        }
        // posted format: the engine only sets the vector's PIR bit; MSI-X is applied on the delivery thread
        final int h = host.allocatePosted(owner, posted, vector);
        if (h < 0) {
            return -1;
        }
        synchronized (state.lock) {
            vectorHandle[vector] = h;
            vectorOfHandle.put(h, vector);
        }
        return h;
    }

    /** Releases {@code handle} if it is this device's; false otherwise. */
    boolean release(int handle) {
        synchronized (state.lock) {
            final Integer v = vectorOfHandle.get(handle);
            if (v == null || !host.release(handle, owner)) {
                return false;
            }
            vectorOfHandle.remove(handle);
            vectorHandle[v] = 0;
            return true;
        }
    }

    void releaseAll() {
        synchronized (state.lock) {
            for (int v = 0; v < vectorHandle.length; v++) {
                if (vectorHandle[v] != 0) {
                    host.release(vectorHandle[v], owner);
                    vectorOfHandle.remove(vectorHandle[v]);
                    vectorHandle[v] = 0;
                }
            }
        }
    }

    /** The interrupt handle the guest holds for {@code vector}, or 0. */
    int handleOfVector(int vector) {
        synchronized (state.lock) {
            return vectorHandle[vector];
        }
    }

    /**
     * A descriptor may only name a completion-interrupt handle this device was given, on a vector whose MSI-X
     * permission entry admits its PASID; otherwise the handle is replaced by one that no table entry has, and the
     * device answers 0x19 as for any invalid handle.
     */
    void filter(Descriptor desc, int guestPasid) {
        if ((desc.flags() & DescriptorFlags.REQUEST_COMPLETION_INTERRUPT) == 0) {
            return;
        }
        final int handle = desc.interruptHandle();
        final Integer vector = vectorOfHandle.get(handle);
        boolean valid = vector != null && host.ownedBy(handle, owner);
        if (valid) {
            synchronized (state.lock) {
                valid = msix.admits(vector, guestPasid);
            }
        }
        if (!valid) {
            desc.interruptHandle(InterruptHandles.INVALID_HANDLE);
        }
    }
}
