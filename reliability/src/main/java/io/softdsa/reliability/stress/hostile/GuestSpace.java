package io.softdsa.reliability.stress.hostile;

import io.softdsa.iommu.AddressSpace;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.memory.Page;

import java.lang.foreign.MemorySegment;

/**
 * A guest process's memory: pages of the guest's own RAM mapped through its stage-1 tables (in guest memory). The
 * shadow keeps what the tenant mapped; host addresses go through the guest's tables and stage 2 as the CPU would.
 */
final class GuestSpace implements TenantSpace {
    private static final long PAGE = Page.SIZE;
    private final String owner;
    private final GuestDomain guest;
    private final AddressSpace tables;
    private final java.util.concurrent.ConcurrentHashMap<Long, Long> shadow = new java.util.concurrent.ConcurrentHashMap<>();
    /** Held across changes only; lookups never take it (a change stuck in an invalidation must not stop them). */
    private final java.util.concurrent.locks.ReentrantLock changes = new java.util.concurrent.locks.ReentrantLock();
    private volatile boolean gone;

    GuestSpace(String owner, GuestDomain guest, GuestProcess process) {
        this.owner = owner;
        this.guest = guest;
        this.tables = process.pageTables();
    }

    @Override
    public String owner() {
        return owner;
    }

    @Override
    public long reserve(long length) {
        return tables.reserve(length, AddressSpace.PageSize.SIZE_4K);
    }

    @Override
    public boolean mapFresh(long page) {
        changes.lock();
        try {
            return mapLocked(page);
        } finally {
            changes.unlock();
        }
    }

    private boolean mapLocked(long page) {
        if (gone) {
            return false;
        }
        if (shadow.containsKey(page)) {
            return true;
        }
        final long gpa;
        try {
            gpa = guest.memory().physical().frames().allocateFrame();
        } catch (RuntimeException e) {
            return false;
        }
        guest.memory().hostSegment().asSlice(guest.memory().hostAddress(gpa), PAGE).fill((byte) 0);
        tables.map(page, gpa, PAGE, AddressSpace.RW_USER);
        shadow.put(page, gpa);
        return true;
    }

    @Override
    public void unmap(long page, String how) {
        changes.lock();
        try {
            final Long gpa = gone ? null : shadow.get(page);
            if (gpa != null) {
                tables.unmap(page, PAGE);
                shadow.remove(page);
                guest.memory().physical().frames().free(gpa, PAGE);
            }
        } finally {
            changes.unlock();
        }
    }

    @Override
    public void fill(long page, byte b) {
        changes.lock();
        try {
            final long h = host(page);
            if (h >= 0) {
                guest.memory().hostSegment().asSlice(h, PAGE).fill(b);
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
        return guest.memory().hostSegment();
    }

    @Override
    public long host(long va) {
        final Long gpa = shadow.get(va & -PAGE);
        return gpa == null ? -1 : guest.memory().hostAddress(gpa + (va & (PAGE - 1)));
    }

    @Override
    public String describe(long h) {
        final long gpa = h - guest.memory().hostAddress(0);
        if (gpa < 0 || gpa >= guest.memory().size()) {
            return "host 0x" + Long.toHexString(h) + " (outside the guest's RAM)";
        }
        for (java.util.Map.Entry<Long, Long> e : shadow.entrySet()) {
            if (e.getValue() == (gpa & -PAGE)) {
                return "gpa 0x" + Long.toHexString(gpa) + " = va 0x" + Long.toHexString(e.getKey()) + " (leaf 0x"
                    + Long.toHexString(tables.leafEntry(e.getKey())) + ")";
            }
        }
        return "gpa 0x" + Long.toHexString(gpa) + " (in no page of " + owner + " gen; tables root 0x"
            + Long.toHexString(tables.root()) + ", guest PASID " + tables.pasid() + " -> host "
            + guest.iommu().hostPasid(tables.pasid()) + ")";
    }

    /** The process is gone: its guest frames are the guest's to reuse. */
    void exited() {
        changes.lock();
        try {
            gone = true;
            for (long gpa : shadow.values()) {
                guest.memory().physical().frames().free(gpa, PAGE);
            }
            shadow.clear();
        } finally {
            changes.unlock();
        }
    }
}
