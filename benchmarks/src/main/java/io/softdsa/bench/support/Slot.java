package io.softdsa.bench.support;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.portal.Portal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;

/**
 * One descriptor with its own completion record: built once, then armed, submitted and awaited any number of times
 * without allocating. The descriptor asks for a record always (CRAV | RCR), so completion is observed by polling
 * the record's status byte, exactly as a user-space DSA client does. The second constructor takes a descriptor,
 * record and submission path built elsewhere (virtual addresses, another portal).
 */
public final class Slot {
    /**
     * One submission attempt through some other portal than a {@link Portal} of this JVM's device (a process's
     * portal, a virtual device's): true = accepted, false = retry. Implementations must not allocate.
     */
    @FunctionalInterface
    public interface Submitter {
        boolean trySubmit(Descriptor d);
    }

    private final Descriptor descriptor;
    private final CompletionRecord record;
    private final MemorySegment host;
    private final long recordAddress;
    private final Portal portal;
    private final boolean dedicated;
    private final Submitter submitter;
    private long retries;

    /** @param describe writes the operation's fields (opcode, addresses, size) into the zeroed staging descriptor */
    public Slot(Testbed testbed, Consumer<Descriptor> describe) {
        this.descriptor = testbed.client().descriptor();
        describe.accept(descriptor);
        this.record = testbed.client().completionRecord();
        descriptor.completionAddress(record.address())
            .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD);
        this.host = testbed.device().memory().segment();
        this.recordAddress = record.address();
        this.portal = testbed.client().portal();
        this.dedicated = portal.isDedicated();
        this.submitter = null;
    }

    /**
     * A slot whose descriptor was built by the caller (operation, addresses as the device sees them, completion
     * address and flags) and whose record the caller placed: {@code record} is where this thread polls it, in
     * {@code recordMemory} (the segment the record's {@link CompletionRecord#address()} indexes). Every submission
     * goes through {@code submitter}, retried ({@link Spin}) while it answers false.
     */
    public Slot(Descriptor descriptor, CompletionRecord record, MemorySegment recordMemory, Submitter submitter) {
        this.descriptor = descriptor;
        this.record = record;
        this.host = recordMemory;
        this.recordAddress = record.address();
        this.portal = null;
        this.dedicated = false;
        this.submitter = submitter;
    }

    /**
     * Zeroes the record. Plain stores suffice: the submission that follows publishes through the ring's CAS and
     * release store, so the engine's later status write is ordered after them. (Four stores; {@link
     * CompletionRecord#arm()} slices and fills, allocation-free only once escape analysis has removed the slice.)
     */
    public void arm() {
        host.set(ValueLayout.JAVA_LONG, recordAddress, 0L);
        host.set(ValueLayout.JAVA_LONG, recordAddress + 8, 0L);
        host.set(ValueLayout.JAVA_LONG, recordAddress + 16, 0L);
        host.set(ValueLayout.JAVA_LONG, recordAddress + 24, 0L);
    }

    /**
     * ENQCMD on a shared WQ, retrying while the WQ answers retry; MOVDIR64B on a dedicated WQ (callers keep at most
     * the WQ size in flight, so it is never dropped).
     */
    public void submit() {
        if (submitter != null) {
            int spins = 0;
            while (!submitter.trySubmit(descriptor)) {
                retries++;
                spins = Spin.idle(spins);
            }
        } else if (dedicated) {
            portal.movdir64b(descriptor);
        } else {
            int spins = 0;
            while (!portal.enqcmd(descriptor)) {
                retries++;
                spins = Spin.idle(spins);
            }
        }
    }

    public boolean isDone() {
        return record.rawStatus() != 0;
    }

    /** Waits ({@link Spin}) until the record's status is written; returns the raw status byte. */
    public int await() {
        int raw;
        int spins = 0;
        while ((raw = record.rawStatus()) == 0) {
            spins = Spin.idle(spins);
        }
        return raw;
    }

    /** Submit-and-wait of one descriptor; throws unless it completed with Success. */
    public int execute() {
        arm();
        submit();
        return check(await());
    }

    /** Returns {@code raw} if it is Success, else throws with the record's contents. */
    public int check(int raw) {
        if (raw != Status.SUCCESS) {
            throw new IllegalStateException("descriptor failed: " + record + " for " + descriptor);
        }
        return raw;
    }

    public CompletionRecord record() {
        return record;
    }

    public Descriptor descriptor() {
        return descriptor;
    }

    /** ENQCMD attempts answered retry (WQ full) so far. */
    public long retries() {
        return retries;
    }
}
