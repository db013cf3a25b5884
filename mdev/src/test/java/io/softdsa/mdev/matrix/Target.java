package io.softdsa.mdev.matrix;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.DescriptorLayout;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A place an operation suite runs in: a tenant (the host's own client, a process, a guest) that submits descriptors
 * into memory it can reach, waits for their completion records, and reads and writes its memory by its own addresses
 * (host-physical, process-virtual, guest-physical or guest-virtual). Every buffer {@link #alloc} hands out sits between
 * two canary zones that {@link #checkCanaries} verifies: a device write outside the named buffers shows there.
 * <p>
 * Not {@link AutoCloseable} on purpose: JUnit closes AutoCloseable arguments after each parameterized invocation,
 * and a target lives for the whole run ({@link #release} is its owner's).
 */
public abstract class Target {
    static final long TIMEOUT_NANOS = 20_000_000_000L;
    static final int PAGE = 4096;
    private static final int ZONE = 64;
    private static final byte CANARY = (byte) 0xC3;
    private static final long CHUNK = 4L << 20;

    private final Cell cell;
    private final Arena arena = Arena.ofShared();
    private final List<long[]> zones = new ArrayList<>();
    private long next;
    private long chunkEnd;

    protected Target(Cell cell) {
        this.cell = cell;
    }

    public final Cell cell() {
        return cell;
    }

    // ---- what each target supplies

    /** Fresh, zeroed, mapped tenant memory of at least {@code bytes} (a multiple of 4 KiB), page aligned. */
    protected abstract long map(long bytes);

    /** The tenant's CPU stores. */
    public abstract void write(long address, byte[] data);

    /** The tenant's CPU loads. */
    public abstract byte[] read(long address, int length);

    /** The record at tenant address {@code address}, as the tenant's CPU polls it. */
    protected abstract CompletionRecord recordAt(long address);

    /** One portal store of {@code d} as this tenant's submission path makes it; false = retry. */
    protected abstract boolean store(Descriptor d);

    /** Waits (or drives the engines) until {@code cr} is written. */
    protected void awaitDone(CompletionRecord cr) {
        cr.await(new BackoffIdleStrategy(), TIMEOUT_NANOS);
    }

    /**
     * An address {@code a} such that [a, a + reachable) is mapped tenant memory and the next 4 pages are not: past the
     * tenant's physical memory (pass-through) or an unmapped range of its page tables (translated).
     */
    public abstract long endOfReach(int reachable);

    /** Unmapped memory that a page request maps when a block-on-fault access touches it. */
    public long onDemand(long bytes) {
        throw new UnsupportedOperationException(cell + ": no page requests");
    }

    /** Whether a fault can block on a page request here (a translated cell whose WQ has block-on-fault enabled). */
    public boolean blockOnFault() {
        return cell.translated();
    }

    /** SWERR entries reported to this tenant's driver so far (4 words each, as the register holds them), oldest first. */
    protected abstract List<long[]> softwareErrors();

    /** Internal engine errors of the device behind this target (must stay 0). */
    public abstract long internalErrors();

    // ---- the suites' view

    /** The status of an access beyond {@link #endOfReach}: a translation error or a page fault. */
    public final int faultStatus() {
        return cell.translated() ? 0x03 : 0x22;
    }

    /** Status bit 7 of such a fault: only a page fault tells a write from a read. */
    public final boolean faultBit(boolean write) {
        return cell.translated() && write;
    }

    /** {@code bytes} of zeroed tenant memory with a canary zone on each side. */
    public final long alloc(long bytes) {
        final long need = ZONE + ((bytes + ZONE - 1) & -ZONE) + ZONE;
        final long base;
        if (need > CHUNK / 4) {
            base = map((need + PAGE - 1) & -PAGE);
        } else {
            if (next + need > chunkEnd) {
                next = map(CHUNK);
                chunkEnd = next + CHUNK;
            }
            base = next;
            next += need;
        }
        zone(base, ZONE);
        zone(base + ZONE + bytes, (int) (need - ZONE - bytes));
        return base + ZONE;
    }

    /** Tenant memory holding {@code data}. */
    public final long put(byte[] data) {
        final long a = alloc(Math.max(1, data.length));
        write(a, data);
        return a;
    }

    private void zone(long address, int length) {
        final byte[] b = new byte[length];
        Arrays.fill(b, CANARY);
        write(address, b);
        zones.add(new long[] {address, length});
    }

    /** Every canary zone since the last check is intact; forgets them. */
    public final void checkCanaries() {
        for (long[] z : zones) {
            final byte[] b = read(z[0], (int) z[1]);
            for (int i = 0; i < b.length; i++) {
                if (b[i] != CANARY) {
                    throw new AssertionError(cell + ": canary at 0x" + Long.toHexString(z[0] + i) + " written");
                }
            }
        }
        zones.clear();
    }

    /** A zeroed staging descriptor (the CPU's source operand of the portal store). */
    public final Descriptor descriptor() {
        return Descriptor.allocate(arena);
    }

    /** {@code bytes} of tenant memory starting at the same offset in its 4 KiB page as {@code like} (dualcast). */
    public final long allocSamePageOffset(long bytes, long like) {
        final long base = alloc(bytes + PAGE);
        return base + (((like & (PAGE - 1)) - (base & (PAGE - 1)) + PAGE) & (PAGE - 1));
    }

    /** A descriptor of {@code opcode} on a zeroed staging descriptor. */
    public final Descriptor desc(int opcode) {
        return descriptor().opcode(opcode);
    }

    /** A 32-byte-aligned completion record in tenant memory. */
    public final Record record() {
        final long a = alloc(32);
        return new Record(a, recordAt(a));
    }

    /** Writes the 64 bytes of {@code d} at tenant address {@code address} (a batch list entry). */
    public final void writeDescriptor(long address, Descriptor d) {
        write(address, d.segment().asSlice(d.offset(), DescriptorLayout.LENGTH).toArray(ValueLayout.JAVA_BYTE));
    }

    /** How many SWERR entries this tenant's driver has seen (before a submission whose error is awaited). */
    public final int softwareErrorCount() {
        return softwareErrors().size();
    }

    /** Waits for the SWERR entry after the first {@code seen} and returns its 4 words. */
    public final long[] awaitSoftwareError(int seen) {
        final long deadline = System.nanoTime() + TIMEOUT_NANOS;
        List<long[]> errors;
        while ((errors = softwareErrors()).size() <= seen) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(cell + ": no software error reported");
            }
            progress();
        }
        softwareErrorHandled();
        return errors.get(seen);
    }

    /**
     * Returns once the driver that reported a SWERR entry has also freed the register (write 1 to clear): until then
     * the next error only sets overflow, as on the hardware.
     */
    protected void softwareErrorHandled() {
    }

    /** Submits {@code d} as it is, without a record to wait for (its error can only go to SWERR). */
    public final void submitWithoutRecord(Descriptor d) {
        submit(d, record());
    }

    /** Lets the device make progress while the test polls (the engine threads do; the bare engine is driven). */
    protected void progress() {
        java.util.concurrent.locks.LockSupport.parkNanos(50_000);
    }

    /** Points {@code d} at {@code r} (CRAV | RCR), submits it and waits for the record; returns the status. */
    public final int run(Descriptor d, Record r) {
        d.completionAddress(r.address())
            .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD);
        submit(d, r);
        return await(r);
    }

    /** Arms {@code r} and submits {@code d} as it is (retrying while a shared WQ is full). */
    public final void submit(Descriptor d, Record r) {
        r.cr().arm();
        final long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (!store(d)) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(cell + ": the WQ never accepted the descriptor");
            }
            Thread.onSpinWait();
        }
    }

    /** Waits for {@code r} and returns its status. */
    public final int await(Record r) {
        awaitDone(r.cr());
        if (!r.cr().isDone()) {
            throw new AssertionError(cell + ": no completion record written");
        }
        return r.cr().status();
    }

    /** Frees the staging descriptors (the owner's, when the run ends). */
    void release() {
        arena.close();
    }

    @Override
    public String toString() {
        return cell.toString();
    }

    /** A completion record at tenant address {@code address}; {@code cr} is the tenant CPU's view of it. */
    public record Record(long address, CompletionRecord cr) {
    }
}
