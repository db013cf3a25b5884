package io.softdsa.reliability.stress.hostile;

import io.softdsa.iommu.AddressSpace;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

/**
 * A host tenant's address space as the harness sees it: every page it maps comes from the {@link FramePool} and is
 * recorded here (the shadow) when mapped and cleared when unmapped, so the harness never asks the IOMMU what a tenant
 * maps. {@link #checkPageTables} walks the real x86-64 page tables in host memory (fact sheet section 13: present bit
 * 0, address bits 51:12, page size bit 7; 4 levels) and compares every leaf with the shadow: a device write into a
 * page-table frame shows up as a mapping nobody made, a lost mapping or a wrong frame. Accessed and dirty bits, which
 * the device may set, are not compared.
 * <p>
 * Mapping and unmapping happen inside the address space's own monitor (the lock its map and unmap already take),
 * so the walk, which takes it too, never sees a page table between a change and its shadow.
 */
final class HostSpace implements TenantSpace {
    private static final long PAGE = 4096;
    private static final long PRESENT = 1L;
    private static final long PS = 1L << 7;
    private static final long ADDR = 0x000F_FFFF_FFFF_F000L;

    private final String owner;
    private final AddressSpace as;
    private final FramePool pool;
    private final MemorySegment m;
    private final Violations violations;
    private final Map<Long, Long> shadow = new HashMap<>(); // guarded by the monitor of as
    private boolean gone; // guarded by the monitor of as

    HostSpace(String owner, AddressSpace as, FramePool pool, MemorySegment hostMemory, Violations violations) {
        this.owner = owner;
        this.as = as;
        this.pool = pool;
        this.m = hostMemory;
        this.violations = violations;
    }

    AddressSpace addressSpace() {
        return as;
    }

    @Override
    public String owner() {
        return owner;
    }

    @Override
    public long reserve(long length) {
        return as.reserve(length, AddressSpace.PageSize.SIZE_4K);
    }

    @Override
    public boolean mapFresh(long page) {
        synchronized (as) {
            if (gone || shadow.containsKey(page)) {
                return !gone;
            }
            final long frame = pool.take(owner);
            if (frame < 0) {
                return false;
            }
            as.map(page, frame, PAGE, AddressSpace.RW_USER);
            shadow.put(page, frame);
            return true;
        }
    }

    @Override
    public void unmap(long page, String how) {
        final long frame;
        synchronized (as) {
            final Long f = gone ? null : shadow.remove(page);
            if (f == null) {
                return;
            }
            as.unmap(page, PAGE); // returns after the IOTLB invalidation: no later device access may use the frame
            frame = f;
        }
        pool.give(frame, "unmapped by " + owner + " (" + how + ")");
    }

    /** Unmaps and frees a page and maps a fresh frame in its place (the old frame is poisoned). */
    void remap(long page, String how) {
        unmap(page, how);
        mapFresh(page);
    }

    @Override
    public boolean isMapped(long page) {
        synchronized (as) {
            return shadow.containsKey(page);
        }
    }

    @Override
    public MemorySegment segment() {
        return m;
    }

    @Override
    public long host(long va) {
        synchronized (as) {
            final Long f = shadow.get(va & -PAGE);
            return f == null ? -1 : f + (va & (PAGE - 1));
        }
    }

    /**
     * The process exited (its address space unbound, its page-table frames freed): its frames go back to the pool.
     * Call after the exit returned.
     */
    void exited(String how) {
        final Map<Long, Long> left;
        synchronized (as) {
            gone = true;
            left = new HashMap<>(shadow);
            shadow.clear();
        }
        for (long frame : left.values()) {
            pool.give(frame, "freed at exit of " + owner + " (" + how + ")");
        }
    }

    /** Marks the space gone before the exit call, so the walker stops looking at its (soon freed) tables. */
    void exiting() {
        synchronized (as) {
            gone = true;
        }
    }

    /** Walks the page tables against the shadow; reports each difference; returns the leaves it compared. */
    int checkPageTables() {
        synchronized (as) {
            if (gone) {
                return 0;
            }
            final Map<Long, Long> seen = new HashMap<>();
            walk(as.root(), 4, 0, seen);
            int n = 0;
            for (Map.Entry<Long, Long> e : shadow.entrySet()) {
                final Long f = seen.remove(e.getKey());
                n++;
                if (f == null || f.longValue() != e.getValue()) {
                    violations.violated(Violations.Invariant.CANARY, owner + ": page table lost or changed the "
                        + "mapping of 0x" + Long.toHexString(e.getKey()) + " (now " + (f == null ? "none" : "0x"
                        + Long.toHexString(f)) + ")");
                }
            }
            for (Map.Entry<Long, Long> e : seen.entrySet()) {
                violations.violated(Violations.Invariant.CANARY, owner + ": page table maps 0x"
                    + Long.toHexString(e.getKey()) + " -> 0x" + Long.toHexString(e.getValue()) + ", which nobody mapped");
            }
            return n;
        }
    }

    private void walk(long table, int level, long vaBase, Map<Long, Long> out) {
        if (table < 0 || table + PAGE > m.byteSize()) {
            violations.violated(Violations.Invariant.CANARY, owner + ": a page-table entry points outside memory: 0x"
                + Long.toHexString(table));
            return;
        }
        final int shift = 12 + 9 * (level - 1);
        for (int i = 0; i < 512; i++) {
            final long e = m.get(ValueLayout.JAVA_LONG_UNALIGNED, table + 8L * i);
            if ((e & PRESENT) == 0) {
                continue;
            }
            long va = vaBase | ((long) i << shift);
            if (level == 4 && i >= 256) {
                va |= 0xFFFF_0000_0000_0000L; // canonical upper half
            }
            if (level == 1) {
                out.put(va, e & ADDR);
            } else if ((e & PS) != 0) {
                violations.violated(Violations.Invariant.CANARY, owner + ": a large-page entry nobody made at level "
                    + level + " for 0x" + Long.toHexString(va));
            } else {
                walk(e & ADDR, level - 1, va, out);
            }
        }
    }
}
