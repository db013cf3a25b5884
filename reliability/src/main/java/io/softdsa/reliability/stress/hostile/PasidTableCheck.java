package io.softdsa.reliability.stress.hostile;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The PASID directory and tables as frames no tenant maps: the device only reads them. Every PASID change the run
 * makes (process spawn and exit, guest PASID allocation, binding and freeing, guest bring-up) happens under
 * {@link #lock()}, and the tables are snapshotted (read from host memory by the fact sheet's layout: 2^14 8-byte
 * directory entries, present bit 0, table address bits 63:12, each table 64 entries of 64 bytes) after each; between
 * changes they must not differ from the snapshot by a byte.
 */
final class PasidTableCheck {
    private static final int DIRECTORY_BYTES = (1 << 14) * 8;
    private static final int TABLE_BYTES = 64 * 64;
    private static final long ADDR = 0x000F_FFFF_FFFF_F000L;

    private final MemorySegment m;
    private final long directory;
    private final Violations violations;
    private final ReentrantLock lock = new ReentrantLock();
    private byte[] dirSnapshot; // guarded by lock
    private final Map<Long, byte[]> tableSnapshots = new HashMap<>(); // guarded by lock
    private String lastChange = "start"; // guarded by lock
    private volatile long checks; // written by the checker thread only
    private volatile long skipped;

    PasidTableCheck(MemorySegment hostMemory, long directory, Violations violations) {
        this.m = hostMemory;
        this.directory = directory;
        this.violations = violations;
        lock.lock();
        try {
            snapshot("start");
        } finally {
            lock.unlock();
        }
    }

    /** Held across every PASID change; release with {@link #changed}. */
    void lock() {
        lock.lock();
    }

    /** Snapshot the tables as the change left them, then release the lock. */
    void changed(String what) {
        try {
            snapshot(what);
        } finally {
            lock.unlock();
        }
    }

    private void snapshot(String what) {
        dirSnapshot = m.asSlice(directory, DIRECTORY_BYTES).toArray(ValueLayout.JAVA_BYTE);
        tableSnapshots.clear();
        for (int i = 0; i < DIRECTORY_BYTES; i += 8) {
            final long e = m.get(ValueLayout.JAVA_LONG_UNALIGNED, directory + i);
            if ((e & 1) != 0 && (e & ADDR) + TABLE_BYTES <= m.byteSize()) {
                tableSnapshots.put(e & ADDR, m.asSlice(e & ADDR, TABLE_BYTES).toArray(ValueLayout.JAVA_BYTE));
            }
        }
        lastChange = what;
    }

    /** Compares the tables with the last snapshot; reports and re-snapshots on a difference. */
    void check() {
        try {
            // never wait for a tenant stuck inside a PASID change: skip this round
            if (!lock.tryLock(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                skipped++;
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            checks++;
            boolean same = java.util.Arrays.equals(dirSnapshot,
                m.asSlice(directory, DIRECTORY_BYTES).toArray(ValueLayout.JAVA_BYTE));
            if (!same) {
                violations.violated(Violations.Invariant.CANARY, "PASID directory changed with no PASID change since "
                    + lastChange);
            }
            for (Map.Entry<Long, byte[]> t : tableSnapshots.entrySet()) {
                if (!java.util.Arrays.equals(t.getValue(),
                    m.asSlice(t.getKey(), TABLE_BYTES).toArray(ValueLayout.JAVA_BYTE))) {
                    same = false;
                    violations.violated(Violations.Invariant.CANARY, "PASID table frame 0x"
                        + Long.toHexString(t.getKey()) + " changed with no PASID change since " + lastChange);
                }
            }
            if (!same) {
                snapshot("a reported difference");
            }
        } finally {
            lock.unlock();
        }
    }

    long checks() {
        return checks;
    }

    long skipped() {
        return skipped;
    }
}
