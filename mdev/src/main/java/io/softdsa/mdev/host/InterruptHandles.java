package io.softdsa.mdev.host;

import io.softdsa.completion.InterruptHandler;
import io.softdsa.completion.InterruptTable;
import io.softdsa.completion.PostedInterruptReceiver;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The host driver's pool of the device's interrupt handles (the IMS entries a VDCM hands out): every handle but the
 * misc entry 0 starts free; an allocation names its owner and handler. Ownership is what a submission is checked
 * against, so that a descriptor can only name a handle its submitter was given: a handle carries its owner's tag from
 * the moment it becomes valid (one publication), the misc entry 0 and every other host entry carry the host's tag,
 * and WQs handed to an owner carry that owner's tag ({@link HostDsa#claimWq}), so a tenant's descriptor — top-level or
 * inside a batch — can raise only handles allocated to that same tenant.
 */
public final class InterruptHandles {
    /** A handle value no interrupt table entry has (handles are 16 bits, tables at most 2048 entries). */
    public static final int INVALID_HANDLE = 0xFFFF;

    private final InterruptTable table;
    private final BitSet free = new BitSet();
    private final AtomicReferenceArray<Object> owners;
    private final java.util.IdentityHashMap<Object, Integer> tags = new java.util.IdentityHashMap<>();

    InterruptHandles(InterruptTable table) {
        this.table = table;
        this.owners = new AtomicReferenceArray<>(table.size());
        for (int h = 1; h < table.size(); h++) {
            if (table.isValid(h)) {
                table.release(h);
            }
            free.set(h);
        }
    }

    /** Allocates a handle for {@code owner} delivering to {@code handler}; -1 if none is left. */
    public synchronized int allocate(Object owner, InterruptHandler handler) {
        final int h = free.nextSetBit(1);
        if (h < 0) {
            return -1;
        }
        free.clear(h);
        // one publication with owner and handler: the engine's own step-5 check admits only WQs of this owner, from
        // the first moment the handle is valid (never "allocated, owner not yet set")
        table.allocate(h, tag(owner), handler);
        owners.set(h, owner);
        return h;
    }

    /**
     * Allocates a handle for {@code owner} in posted format: a raise posts {@code vector} to {@code receiver}'s
     * posted-interrupt descriptor (a guest's MSI-X vector); -1 if none is left.
     */
    public synchronized int allocatePosted(Object owner, PostedInterruptReceiver receiver, int vector) {
        final int h = free.nextSetBit(1);
        if (h < 0) {
            return -1;
        }
        free.clear(h);
        table.allocatePosted(h, tag(owner), receiver, vector);
        owners.set(h, owner);
        return h;
    }

    /** Releases {@code handle} if {@code owner} holds it; false otherwise. */
    public synchronized boolean release(int handle, Object owner) {
        if (!ownedBy(handle, owner)) {
            return false;
        }
        owners.set(handle, null);
        table.release(handle);
        free.set(handle);
        return true;
    }

    /**
     * The engine-side owner tag of {@code owner} (stable, never {@code InterruptTable.ANY_OWNER}); host WQs handed
     * to that owner carry it, so the device rejects other owners' handles with 0x19 even inside batches.
     */
    public synchronized int tag(Object owner) {
        if (owner == null) {
            throw new IllegalArgumentException("an interrupt-handle owner is needed");
        }
        return tags.computeIfAbsent(owner, o -> tags.size() + 1); // never InterruptTable.HOST (0), never reused
    }

    /** The tag of the host itself ({@link InterruptTable#HOST}): host WQs carry it, tenants' never do. */
    public static int hostTag() {
        return InterruptTable.HOST;
    }

    /** Whether {@code owner} holds {@code handle} (lock-free: the submission path asks). */
    public boolean ownedBy(int handle, Object owner) {
        return handle > 0 && handle < owners.length() && owner != null && owners.get(handle) == owner;
    }

    public synchronized int available() {
        return free.cardinality();
    }

    public int size() {
        return table.size();
    }

    /** Deliveries of {@code handle} so far. */
    public long count(int handle) {
        return table.count(handle);
    }
}
