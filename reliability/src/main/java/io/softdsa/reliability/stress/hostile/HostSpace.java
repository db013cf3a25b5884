package io.softdsa.reliability.stress.hostile;

import io.softdsa.iommu.AddressSpace;
import io.softdsa.memory.Page;

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
 * Changes go through one lock of the harness (never held by the checker) and bump a version around them, seqlock
 * style: the walk reads the version, the tables and the shadow, the version again, and compares only if nothing
 * changed meanwhile. The checker never waits for a tenant: a tenant stuck inside {@code unmap()} (waiting for an
 * engine that will never let go) leaves its version odd and its tables unchecked, and the liveness checks say why.
 */
final class HostSpace implements TenantSpace {
    private static final long PAGE = Page.SIZE;
    private static final long PRESENT = 1L;
    private static final long PS = 1L << 7;
    private static final long ADDR = 0x000F_FFFF_FFFF_F000L;

    private final String owner;
    private final AddressSpace as;
    private final FramePool pool;
    private final MemorySegment m;
    private final Violations violations;
    private final java.util.concurrent.ConcurrentHashMap<Long, Long> shadow = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.locks.ReentrantLock changes = new java.util.concurrent.locks.ReentrantLock();
    /** Odd while a change is under way (written under changes; the walker's volatile reads pair with it). */
    private final java.util.concurrent.atomic.AtomicLong version = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean gone;

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
        changes.lock();
        try {
            if (gone || shadow.containsKey(page)) {
                return !gone;
            }
            final long frame = pool.take(owner);
            if (frame < 0) {
                return false;
            }
            version.incrementAndGet();
            try {
                as.map(page, frame, PAGE, AddressSpace.RW_USER);
                shadow.put(page, frame);
            } finally {
                version.incrementAndGet();
            }
            return true;
        } finally {
            changes.unlock();
        }
    }

    @Override
    public void unmap(long page, String how) {
        final long frame;
        changes.lock();
        try {
            final Long f = gone ? null : shadow.get(page);
            if (f == null) {
                return;
            }
            version.incrementAndGet();
            as.unmap(page, PAGE); // returns after the IOTLB invalidation: no later device access may use the frame
            shadow.remove(page);
            version.incrementAndGet();
            frame = f;
        } finally {
            changes.unlock();
        }
        pool.give(frame, "unmapped by " + owner + " (" + how + ")");
    }

    /** Unmaps and frees a page and maps a fresh frame in its place (the old frame is poisoned). */
    void remap(long page, String how) {
        unmap(page, how);
        mapFresh(page);
    }

    @Override
    public void fill(long page, byte b) {
        changes.lock();
        try {
            final long h = host(page);
            if (h >= 0) {
                m.asSlice(h, PAGE).fill(b);
            }
        } finally {
            changes.unlock();
        }
    }

    @Override
    public boolean isMapped(long page) {
        return shadow.containsKey(page);
    }

    @Override
    public MemorySegment segment() {
        return m;
    }

    @Override
    public long host(long va) {
        final Long f = shadow.get(va & -PAGE);
        return f == null ? -1 : f + (va & (PAGE - 1));
    }

    /**
     * The process exited (its address space unbound, its page-table frames freed): its frames go back to the pool.
     * Call after the exit returned.
     */
    void exited(String how) {
        final Map<Long, Long> left;
        changes.lock();
        try {
            gone = true;
            left = new HashMap<>(shadow);
            shadow.clear();
        } finally {
            changes.unlock();
        }
        for (long frame : left.values()) {
            pool.give(frame, "freed at exit of " + owner + " (" + how + ")");
        }
    }

    /** Marks the space gone before the exit call, so the walker stops looking at its (soon freed) tables. */
    void exiting() {
        gone = true; // volatile: a walk that starts later sees it; one under way re-reads it before reporting
        version.incrementAndGet();
    }

    /** Walks the page tables against the shadow; reports each difference; returns the leaves it compared. */
    int checkPageTables() {
        {
            final long v1 = version.get();
            if (gone || (v1 & 1) != 0) {
                return 0;
            }
            final java.util.List<String> found = new java.util.ArrayList<>();
            final Map<Long, Long> seen = new HashMap<>();
            walk(as.root(), 4, 0, seen, found);
            final Map<Long, Long> expected = new HashMap<>(shadow);
            if (version.get() != v1 || gone) {
                return 0; // changed under the walk: next time
            }
            int n = 0;
            for (Map.Entry<Long, Long> e : expected.entrySet()) {
                final Long f = seen.remove(e.getKey());
                n++;
                if (f == null || f.longValue() != e.getValue()) {
                    found.add(owner + ": page table lost or changed the mapping of 0x" + Long.toHexString(e.getKey())
                        + " (now " + (f == null ? "none" : "0x" + Long.toHexString(f)) + ")");
                }
            }
            for (Map.Entry<Long, Long> e : seen.entrySet()) {
                found.add(owner + ": page table maps 0x" + Long.toHexString(e.getKey()) + " -> 0x"
                    + Long.toHexString(e.getValue()) + ", which nobody mapped");
            }
            if (version.get() == v1 && !gone) { // still nothing changed: the differences are real
                found.forEach(w -> violations.violated(Violations.Invariant.CANARY, w));
            }
            return n;
        }
    }

    private void walk(long table, int level, long vaBase, Map<Long, Long> out, java.util.List<String> found) {
        if (table < 0 || table + PAGE > m.byteSize()) {
            found.add(owner + ": a page-table entry points outside memory: 0x" + Long.toHexString(table));
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
                found.add(owner + ": a large-page entry nobody made at level " + level + " for 0x"
                    + Long.toHexString(va));
            } else {
                walk(e & ADDR, level - 1, va, out, found);
            }
        }
    }
}
