package io.softdsa.mdev.userspace;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.mdev.host.HostDsa;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A host process using DSA from user space: its address space (real x86-64 page tables the IOMMU walks) is bound to
 * the PASID the kernel gave its mm, once, for its whole life — every WQ it opens uses it. Memory is reached only by
 * virtual address: {@link #allocate} is mmap, {@link #read} / {@link #write} are the CPU's loads and stores.
 */
public final class UserProcess implements AutoCloseable {
    private final String name;
    private final HostDsa host;
    private final int pasid;
    private final AddressSpace memory;
    private final List<WqFile> files = new ArrayList<>();
    private boolean closed;

    UserProcess(String name, HostDsa host) {
        this.name = name;
        this.host = host;
        this.pasid = host.allocatePasid();
        this.memory = host.iommu().bind(pasid);
    }

    public String name() {
        return name;
    }

    /** The PASID of this process's address space (the value the CPU's IA32_PASID holds for it). */
    public int pasid() {
        return pasid;
    }

    /** The process's page tables (for tests that unmap or protect pages as munmap / mprotect would). */
    public AddressSpace addressSpace() {
        return memory;
    }

    /** mmap: {@code length} bytes of fresh, zeroed, readable and writable user memory; returns its address. */
    public long allocate(long length) {
        return memory.allocate(length, AddressSpace.RW_USER);
    }

    /** A reserved range with nothing mapped behind it (touching it faults). */
    public long reserve(long length) {
        return memory.reserve(length, AddressSpace.PageSize.SIZE_4K);
    }

    public void write(long va, byte[] bytes) {
        memory.write(va, MemorySegment.ofArray(bytes));
    }

    public byte[] read(long va, int length) {
        return memory.read(va, length);
    }

    /** A completion record at {@code va} (32-byte aligned, mapped), as the process polls it. */
    public CompletionRecord completionRecord(long va) {
        final long hostAddress = memory.hostAddress(va);
        if (hostAddress < 0) {
            throw new IllegalArgumentException("not mapped: 0x" + Long.toHexString(va));
        }
        return new CompletionRecord(host.memory().segment(), hostAddress);
    }

    synchronized void opened(WqFile f) {
        if (closed) {
            throw new IllegalStateException(name + " has exited");
        }
        files.add(f);
    }

    synchronized void closed(WqFile f) {
        files.remove(f);
    }

    /**
     * Exit, in the order Linux idxd releases: every open WQ file is closed (its portal unmapped; a dedicated WQ
     * drained and given PASID 0), then the PASID is freed — aborted on every shared WQ, unbound, the address space's
     * frames freed — and only then, with no WQ carrying it, does it go back to the allocator.
     */
    @Override
    public void close() {
        final List<WqFile> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = List.copyOf(files);
        }
        for (WqFile f : open) {
            f.close();
        }
        host.freePasid(pasid, memory::unbind);
    }
}
