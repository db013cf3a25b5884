package io.softdsa.mdev.regs;

import static io.softdsa.mdev.regs.Bar0Layout.MSIX_PBA;
import static io.softdsa.mdev.regs.Bar0Layout.MSIX_TABLE;
import static io.softdsa.mdev.regs.Bar0Layout.msixEntry;
import static io.softdsa.mdev.regs.Bar0Layout.msixPerm;

/**
 * The virtual DSA's MSI-X function in BAR0 ({@link MsixLayout}): the MSI-X table, the pending-bit array and DSA's
 * MSI-X permission table, and the MSI-X rule for a message — sent at once unless the function or its vector is
 * masked (or the device is held still), otherwise left pending in the PBA and sent when it becomes deliverable.
 * <p>
 * Its bytes are part of the BAR0 register block (the MMIO decode of {@link Bar0Registers} reaches them with the
 * masks declared here); the device side reads and changes them only through this class. Not thread-safe: callers
 * hold the device lock.
 */
public final class MsixTable {
    private final RegisterBlock regs;
    private final int vectors;

    /** Declares {@code vectors} entries, their permission entries and the PBA in {@code regs} (BAR0's block). */
    MsixTable(RegisterBlock regs, int vectors) {
        this.regs = regs;
        this.vectors = vectors;
        for (int v = 0; v < vectors; v++) {
            regs.define(msixPerm(v), 4, 0, MsixLayout.PERM_RW_MASK, 0);
            regs.constant(msixPerm(v) + 4, 4, 0);
            final int e = msixEntry(v);
            regs.define(e + MsixLayout.ADDRESS_LOW, 4, 0, 0xFFFF_FFFCL, 0);
            regs.define(e + MsixLayout.ADDRESS_HIGH, 4, 0, 0xFFFF_FFFFL, 0);
            regs.define(e + MsixLayout.DATA, 4, 0, 0xFFFF_FFFFL, 0);
            regs.define(e + MsixLayout.VECTOR_CONTROL, 4, MsixLayout.VECTOR_MASKED, MsixLayout.VECTOR_MASKED, 0);
        }
        regs.constant(MSIX_PBA, ((vectors + 63) / 64) * 8, 0);
    }

    public int vectors() {
        return vectors;
    }

    /** The permission-table entry of {@code vector} (ignore, PASID enable, PASID). */
    public long permission(int vector) {
        return regs.get(msixPerm(vector), 4);
    }

    /** Whether the permission entry of completion vector {@code vector} says its interrupts are ignored. */
    public boolean ignored(int vector) {
        return (permission(vector) & MsixLayout.PERM_IGNORE) != 0;
    }

    /**
     * Whether a descriptor of {@code guestPasid} may name {@code vector}'s handle: the permission entry either does
     * not check PASIDs or names this one.
     */
    public boolean admits(int vector, int guestPasid) {
        final long perm = permission(vector);
        return (perm & MsixLayout.PERM_PASID_ENABLE) == 0 || MsixLayout.permPasid(perm) == guestPasid;
    }

    public long address(int vector) {
        return regs.get(msixEntry(vector) + MsixLayout.ADDRESS_LOW, 8);
    }

    public int data(int vector) {
        return (int) regs.get(msixEntry(vector) + MsixLayout.DATA, 4);
    }

    public int vectorControl(int vector) {
        return (int) regs.get(msixEntry(vector) + MsixLayout.VECTOR_CONTROL, 4);
    }

    public boolean masked(int vector) {
        return (vectorControl(vector) & MsixLayout.VECTOR_MASKED) != 0;
    }

    public boolean pending(int vector) {
        return (regs.get(MSIX_PBA + 8 * (vector >>> 6), 8) & (1L << vector)) != 0;
    }

    public void pending(int vector, boolean pending) {
        if (pending) {
            regs.setBits(MSIX_PBA + 8 * (vector >>> 6), 8, 1L << vector);
        } else {
            regs.clearBits(MSIX_PBA + 8 * (vector >>> 6), 8, 1L << vector);
        }
    }

    /**
     * The MSI-X rule for one message of {@code vector}: true if it is sent now; false if it is left pending in the
     * PBA, because the function or the vector is masked or the device is {@code held} (stopped for migration).
     */
    public boolean sendOrPend(int vector, boolean functionMasked, boolean held) {
        if (held || functionMasked || masked(vector)) {
            pending(vector, true);
            return false;
        }
        return true;
    }

    /**
     * Takes the pending messages that may be sent now (vector unmasked; the caller checked the function): their PBA
     * bits are cleared and they are returned as a bit set of vectors (at most 64: {@link Bar0Layout#MAX_VECTORS}).
     */
    public long takeDeliverable() {
        long out = 0;
        for (int v = 0; v < vectors; v++) {
            if (pending(v) && !masked(v)) {
                pending(v, false);
                out |= 1L << v;
            }
        }
        return out;
    }

    /** Loads one vector's entry, permission and pending bit (a migration restore), bypassing the access masks. */
    public void restore(int vector, long address, int data, int vectorControl, int permission, boolean pending) {
        final int base = msixEntry(vector);
        regs.set(base + MsixLayout.ADDRESS_LOW, 8, address);
        regs.set(base + MsixLayout.DATA, 4, data & 0xFFFF_FFFFL);
        regs.set(base + MsixLayout.VECTOR_CONTROL, 4, vectorControl & 0xFFFF_FFFFL);
        regs.set(msixPerm(vector), 4, permission & 0xFFFF_FFFFL);
        pending(vector, pending);
    }

    /**
     * The vector-control words a software write of bytes [{@code offset}, {@code end}) touches, as (vector, old
     * value) pairs, so that the register file can tell which mask bits the write changed.
     */
    long[] touchedVectorControls(int offset, int end) {
        if (end <= MSIX_TABLE || offset >= MSIX_TABLE + vectors * MsixLayout.ENTRY_SIZE) {
            return new long[0];
        }
        final int first = Math.max(0, (offset - MSIX_TABLE) / MsixLayout.ENTRY_SIZE);
        final int last = Math.min(vectors - 1, (end - 1 - MSIX_TABLE) / MsixLayout.ENTRY_SIZE);
        final long[] out = new long[2 * (last - first + 1)];
        for (int v = first; v <= last; v++) {
            out[2 * (v - first)] = v;
            out[2 * (v - first) + 1] = vectorControl(v) & 0xFFFF_FFFFL;
        }
        return out;
    }
}
