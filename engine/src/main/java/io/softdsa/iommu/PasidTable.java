package io.softdsa.iommu;

import io.softdsa.memory.HostMemory;
import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;

import static io.softdsa.iommu.PasidTableLayout.*;

/**
 * The IOMMU's PASID directory and PASID tables, kept in host memory as VT-d keeps them: the control path writes
 * entries (bind / unbind), the walker reads them on every IOTLB miss. Entries are published with a release store of
 * the qword holding the present bit, after the rest of the entry.
 */
public final class PasidTable {
    private final HostMemory memory;
    private final MemorySegment m;
    private final long directory;

    public PasidTable(HostMemory memory) {
        this.memory = memory;
        this.m = memory.segment();
        this.directory = memory.frames().allocateContiguous(DIRECTORY_BYTES, 4096);
        m.asSlice(directory, DIRECTORY_BYTES).fill((byte) 0);
    }

    /** Host-physical address of the PASID directory (what the root/context entry would point to). */
    public long directoryAddress() {
        return directory;
    }

    /** Host address of {@code pasid}'s 64-byte entry if present, else -1. */
    public long lookup(int pasid) {
        if (pasid < 0 || pasid > MAX_PASID) {
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

    public long qword2(long entry) {
        return m.get(Le.LONG, entry + QWORD2_OFFSET);
    }

    /** Writes {@code pasid}'s entry: translation type, first-level root and mode, SRE, second-level root. */
    public synchronized void set(int pasid, int pgtt, long firstLevelRoot, int levels, boolean supervisorRequests,
                                 long secondLevelRoot) {
        if (pasid < 0 || pasid > MAX_PASID) {
            throw new IllegalArgumentException("PASID is 20 bits: " + pasid);
        }
        final long dirSlot = directory + (long) directoryIndex(pasid) * DIRECTORY_ENTRY_SIZE;
        long dirEntry = m.get(Le.LONG, dirSlot);
        if ((dirEntry & PRESENT) == 0) {
            final long table = memory.frames().allocateFrame();
            m.asSlice(table, 4096).fill((byte) 0);
            dirEntry = table | PRESENT;
            Le.setLongRelease(m, dirSlot, dirEntry);
        }
        final long entry = (dirEntry & ADDRESS_MASK) + (long) tableIndex(pasid) * ENTRY_SIZE;
        m.asSlice(entry, ENTRY_SIZE).fill((byte) 0);
        m.set(Le.LONG, entry + QWORD2_OFFSET, (firstLevelRoot & ADDRESS_MASK)
            | ((levels == 5 ? 1L : 0L) << FLPM_SHIFT) | (supervisorRequests ? SRE : 0));
        Le.setLongRelease(m, entry + QWORD0_OFFSET,
            (secondLevelRoot & ADDRESS_MASK) | ((long) pgtt << PGTT_SHIFT) | PRESENT);
    }

    /** Clears {@code pasid}'s entry (the caller invalidates the IOTLB afterwards). */
    public synchronized void clear(int pasid) {
        final long entry = lookup(pasid);
        if (entry >= 0) {
            Le.setLongRelease(m, entry + QWORD0_OFFSET, 0);
            m.set(Le.LONG, entry + QWORD2_OFFSET, 0);
        }
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
