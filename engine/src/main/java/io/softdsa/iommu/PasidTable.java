package io.softdsa.iommu;

import io.softdsa.descriptor.Pasid;
import io.softdsa.memory.HostMemory;
import io.softdsa.memory.Le;
import io.softdsa.memory.Page;

import java.lang.foreign.MemorySegment;

import static io.softdsa.iommu.PasidTableLayout.*;

/**
 * The IOMMU's PASID directory and PASID tables, kept in host memory as VT-d keeps them: the control path writes
 * entries (bind / unbind), the walker reads them on every IOTLB miss.
 * <p>
 * An entry changes only as VT-d software must change it: {@link #set} writes a <em>non-present</em> entry (qwords
 * 1-7 with plain stores, then qword 0 with the present bit by a release store that pairs with the walker's acquire
 * load of qword 0, so a walker that sees present sees the rest); {@link #clear} takes away only the present bit
 * (release) and leaves qword 2 as it was, so a walker that read qword 0 just before still reads the qword 2 that went
 * with it. Between a clear and the next set of the same PASID the caller invalidates the IOTLB, which waits until no
 * engine still walks with what it read before (the epoch handshake). A present entry is never rewritten in place:
 * {@link #set} refuses it, since a walker could pair the old qword 0 with a new qword 2.
 */
public final class PasidTable {
    private final HostMemory memory;
    private final MemorySegment m;
    private final long directory;

    public PasidTable(HostMemory memory) {
        this.memory = memory;
        this.m = memory.segment();
        this.directory = memory.frames().allocateContiguous(DIRECTORY_BYTES, Page.SIZE);
        m.asSlice(directory, DIRECTORY_BYTES).fill((byte) 0);
    }

    /** Host-physical address of the PASID directory (what the root/context entry would point to). */
    public long directoryAddress() {
        return directory;
    }

    /** Host address of {@code pasid}'s 64-byte entry if present, else -1. */
    public long lookup(int pasid) {
        if (pasid < 0 || pasid > Pasid.MAX) {
            return -1;
        }
        final long dirEntry = Le.getLongAcquire(m, directory + (long) directoryIndex(pasid) * DIRECTORY_ENTRY_SIZE);
        if ((dirEntry & PRESENT) == 0) {
            return -1;
        }
        final long table = dirEntry & ADDRESS_MASK;
        final long entry = table + (long) tableIndex(pasid) * ENTRY_SIZE;
        if (!memory.contains(entry, ENTRY_SIZE)) {
            return -1;
        }
        return (Le.getLongAcquire(m, entry + QWORD0_OFFSET) & PRESENT) != 0 ? entry : -1;
    }

    public long qword0(long entry) {
        return Le.getLongAcquire(m, entry + QWORD0_OFFSET);
    }

    /** Plain: ordered by the caller's acquire of {@link #qword0} (set writes qword 2 before the releasing qword 0). */
    public long qword2(long entry) {
        return m.get(Le.LONG, entry + QWORD2_OFFSET);
    }

    /**
     * Writes {@code pasid}'s entry: translation type, first-level root and mode, SRE, second-level root.
     *
     * @throws IllegalStateException if the entry is present (already bound): clear it and invalidate the IOTLB first
     */
    public synchronized void set(int pasid, int pgtt, long firstLevelRoot, int levels, boolean supervisorRequests,
                                 long secondLevelRoot) {
        if (pasid < 0 || pasid > Pasid.MAX) {
            throw new IllegalArgumentException("PASID is 20 bits: " + pasid);
        }
        final long dirSlot = directory + (long) directoryIndex(pasid) * DIRECTORY_ENTRY_SIZE;
        long dirEntry = m.get(Le.LONG, dirSlot);
        if ((dirEntry & PRESENT) == 0) {
            final long table = memory.frames().allocateFrame();
            m.asSlice(table, Page.SIZE).fill((byte) 0);
            dirEntry = table | PRESENT;
            Le.setLongRelease(m, dirSlot, dirEntry);
        }
        final long entry = (dirEntry & ADDRESS_MASK) + (long) tableIndex(pasid) * ENTRY_SIZE;
        if ((Le.getLongAcquire(m, entry + QWORD0_OFFSET) & PRESENT) != 0) {
            throw new IllegalStateException("PASID " + pasid + " is already bound");
        }
        // not present: no walker uses qwords 1-7 until the release below (walkers of the entry's previous binding
        // were waited out by the IOTLB invalidation that followed its clear)
        for (int q = 8; q < ENTRY_SIZE; q += 8) {
            m.set(Le.LONG, entry + q, 0L);
        }
        m.set(Le.LONG, entry + QWORD2_OFFSET, (firstLevelRoot & ADDRESS_MASK)
            | ((levels == 5 ? 1L : 0L) << FLPM_SHIFT) | (supervisorRequests ? SRE : 0));
        Le.setLongRelease(m, entry + QWORD0_OFFSET,
            (secondLevelRoot & ADDRESS_MASK) | ((long) pgtt << PGTT_SHIFT) | PRESENT);
    }

    /**
     * Makes {@code pasid}'s entry not present (the caller invalidates the IOTLB afterwards). Qword 2 stays: a walker
     * that read the present qword 0 before this store pairs it with its own qword 2, never with 0 (a first-level root
     * at host-physical 0).
     */
    public synchronized void clear(int pasid) {
        final long entry = lookup(pasid);
        if (entry >= 0) {
            Le.setLongRelease(m, entry + QWORD0_OFFSET, 0); // pairs with lookup's / qword0's acquire
        }
    }

    /**
     * Clears {@code pasid}'s entry only if it is still the first-level binding with root {@code firstLevelRoot}
     * (an address space unbinding itself late must not take away a binding the PASID got since); true if cleared.
     */
    public synchronized boolean clearIfFirstLevel(int pasid, long firstLevelRoot) {
        final long entry = lookup(pasid);
        if (entry < 0) {
            return false;
        }
        final long q0 = qword0(entry);
        if (pgtt(q0) != PGTT_FIRST_LEVEL || firstLevelRoot(qword2(entry)) != (firstLevelRoot & ADDRESS_MASK)) {
            return false;
        }
        Le.setLongRelease(m, entry + QWORD0_OFFSET, 0);
        return true;
    }

    public static int pgtt(long qword0) {
        return (int) ((qword0 & PGTT_MASK) >>> PGTT_SHIFT);
    }

    public static long firstLevelRoot(long qword2) {
        return qword2 & ADDRESS_MASK;
    }

    public static int levels(long qword2) {
        return ((qword2 & FLPM_MASK) >>> FLPM_SHIFT) == 1 ? 5 : 4;
    }

    public static boolean supervisorRequests(long qword2) {
        return (qword2 & SRE) != 0;
    }
}
