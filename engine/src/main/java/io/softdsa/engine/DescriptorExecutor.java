package io.softdsa.engine;

import io.softdsa.completion.CompletionRecordLayout;
import io.softdsa.completion.CompletionWriter;
import io.softdsa.completion.InterruptTable;
import io.softdsa.completion.OpResult;
import io.softdsa.completion.SoftwareErrorRegister;
import io.softdsa.completion.Status;
import io.softdsa.completion.SwerrEntry;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.DescriptorLayout;
import io.softdsa.descriptor.Opcode;
import io.softdsa.iommu.Translation;
import io.softdsa.ops.OpContext;
import io.softdsa.ops.OperationRules;
import io.softdsa.ops.OperationTable;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Runs one fetched descriptor to its end: the generic checks of fact sheet section 6 in the softdsa order, the
 * operation, then the completion record, SWERR and interrupt exactly as section 4 says. A Batch runs here too, since
 * each of its descriptors goes through this same pipeline. Never throws: an unexpected exception inside an operation
 * becomes a hardware-error completion and is counted.
 */
public final class DescriptorExecutor {
    private static final int NOT_IN_BATCH = -1;
    /**
     * Descriptors of a Batch's list an engine reads with one mapping at most (the Linux default maximum batch size):
     * the size of each executor's list buffer.
     */
    public static final int LIST_FETCH = 32;
    /**
     * Descriptors an engine takes from a WQ with one claim at most (when it serves the WQ's group alone): the size of
     * the fetch buffer. Eight: the taking CAS, and on x86 the wait for the previous records' lines it implies, is
     * paid once per run, while a run short enough leaves WQ priority and Abort PASID the granularity of a few
     * descriptors (JMH, alternated with four: 64 KiB memmove and CRC 1.03-1.05x, 4 KiB and the portal level; sixteen
     * was ~10 % slower at 4 KiB).
     */
    public static final int CLAIM_RUN = 8;
    /**
     * Transfer bytes after which a run's held-back completions are written before its next descriptor starts: a
     * record then waits for at most this much of its run's later work (a run of 2 MiB moves would otherwise hold its
     * first record for seven more), while small descriptors, whose records' line transfers are what holding back
     * overlaps, keep a whole run together.
     */
    static final long HOLD_BYTES = 256 << 10;

    /** The fetch buffer: the run of descriptors a WQ's ring hands this engine, copied in by the claim. */
    private final Descriptor[] fetched;
    /** The one of {@link #fetched} the engine runs now ({@link #select}). */
    private Descriptor d;
    /** The list buffer: up to {@link #LIST_FETCH} descriptors read from a Batch's list, each with its flyweight. */
    private final MemorySegment listBuffer;
    private final Descriptor[] inner;
    private final OpContext x;
    private final OperationRules rules;
    private final OperationTable operations;
    private final SoftwareErrorRegister swerr;
    private final InterruptTable interrupts;
    private final EngineErrors errors;

    // PASID context of the descriptor being run (a batch's descriptors inherit the batch's)
    private boolean pasidEnabled;
    private int pasid;
    private boolean priv;

    /*
     * Completions held back within a run (see defer): per fetch-buffer slot, what its record and interrupt need. The
     * record's address is translated only when it is written, in the descriptor's own context: no host address is
     * kept across descriptors.
     */
    private boolean deferring;
    private final boolean[] pendingSlot = new boolean[CLAIM_RUN];
    private final int[] pendingStatus = new int[CLAIM_RUN];
    private final int[] pendingFlags = new int[CLAIM_RUN];
    private final OpResult[] pendingResult = new OpResult[CLAIM_RUN];
    private int pendingCount;
    /** Transfer sizes of the descriptors run since the first held back, against {@link #HOLD_BYTES}. */
    private long pendingBytes;
    private int selected;

    /**
     * The fetch buffer and the list buffer are the executor's own ({@link Descriptor#allocateOwned}): every field
     * of a descriptor is read many times on its way through, and owned flyweights read without per-access checks.
     */
    public DescriptorExecutor(OpContext context, OperationRules rules, OperationTable operations,
                              SoftwareErrorRegister swerr, InterruptTable interrupts, EngineErrors errors) {
        this.fetched = Descriptor.allocateOwned(CLAIM_RUN);
        this.d = fetched[0];
        for (int i = 0; i < CLAIM_RUN; i++) {
            pendingResult[i] = new OpResult();
        }
        this.inner = Descriptor.allocateOwned(LIST_FETCH);
        this.listBuffer = inner[0].segment(); // the run all of them are over, descriptor i at 64 i
        this.x = context;
        this.rules = rules;
        this.operations = operations;
        this.swerr = swerr;
        this.interrupts = interrupts;
        this.errors = errors;
    }

    /** Opcodes with an implementation: the operation table's plus Batch, which lives here. */
    public static boolean[] implementedOpcodes() {
        final boolean[] implemented = OperationTable.implemented();
        implemented[Opcode.BATCH] = true;
        return implemented;
    }

    /** The descriptor {@link #execute} runs: the {@link #select selected} one of the fetch buffer. */
    public Descriptor descriptor() {
        return d;
    }

    /** The fetch buffer: {@link #CLAIM_RUN} descriptors, the {@code i}-th at {@code 64 i}, which a claim copies into. */
    public MemorySegment fetchBuffer() {
        return fetched[0].segment();
    }

    /** Makes descriptor {@code i} of the fetch buffer the one {@link #descriptor()} and {@link #execute} mean. */
    public void select(int i) {
        d = fetched[i];
        selected = i;
    }

    /**
     * Whether the completions of the descriptors executed from now on are held back until {@link #complete} (the
     * engine runs a run of several): their records and interrupts are then written together, in order, after the
     * run's last operation. Why: a record's line is one the submitter polls, so each record store waits to take it
     * from the submitter's core, and every store after it — the next descriptor's copy — waits behind it; written
     * one after another at the end, the records' line transfers overlap instead (JMH, 4 KiB memmove, alternated with
     * the engine before: 1.09–1.17x). The engine completes them before anything that may wait long
     * ({@link #mustCompleteBefore}).
     */
    public void defer(boolean defer) {
        this.deferring = defer;
    }

    /**
     * Whether the run about to start from {@code wq} (its first descriptor selected; a run keeps to one PASID) may
     * hold its completions back: not when its translations can wait on the host's stage-2 handler, which runs
     * inside a descriptor where nothing can be written early.
     */
    public boolean mayDefer(WorkSource wq) {
        return !x.dma.mayWaitOnHost(wq.pasidEnabled(), wq.pasidOf(d));
    }

    /**
     * Whether the held-back completions must be written before the selected descriptor runs: it may block on a page
     * request (block on fault, and the WQ allows it), it is a Drain (it waits for other engines) or a Batch (whose
     * descriptors may block), so no earlier record waits on it; or those held back moved {@link #HOLD_BYTES} already.
     */
    public boolean mustCompleteBefore(WorkSource wq) {
        if (pendingCount == 0) {
            return false;
        }
        final int opcode = d.opcode();
        return pendingBytes >= HOLD_BYTES || opcode == Opcode.DRAIN || opcode == Opcode.BATCH
            || ((d.flags() & DescriptorFlags.BLOCK_ON_FAULT) != 0 && wq.blockOnFault());
    }

    /**
     * Writes the held-back completions, in order: each record (translated now, in its descriptor's context, so a
     * page unmapped meanwhile is a record fault, SWERR 0x1A, as it would have been) then its interrupt. Never
     * throws; the engine holds no translation afterwards.
     */
    public void complete(WorkSource wq) {
        if (pendingCount == 0) {
            return;
        }
        final int wasSelected = selected;
        try {
            for (int i = 0; i < CLAIM_RUN; i++) {
                if (!pendingSlot[i]) {
                    continue;
                }
                final Descriptor desc = fetched[i];
                try {
                    enterContext(wq, desc); // the one it ran in; keeps the windows when it is the same context
                    x.result.copyFrom(pendingResult[i]);
                    finish(wq, desc, NOT_IN_BATCH, pendingFlags[i], pendingStatus[i]);
                } catch (Throwable t) {
                    errors.internalError(t);
                }
            }
        } finally {
            pendingCount = 0;
            pendingBytes = 0;
            java.util.Arrays.fill(pendingSlot, false); // none carried into the next run, whatever happened above
            select(wasSelected);
            try {
                x.dma.release(); // once: a record write never blocks, so nothing waits on this engine meanwhile
            } catch (Throwable t) {
                errors.internalError(t);
            }
        }
    }

    public OpContext context() {
        return x;
    }

    public EngineErrors errors() {
        return errors;
    }

    /**
     * Executes the descriptor in the fetch buffer, which came from {@code wq}, and returns its final status (the one
     * its completion record or SWERR entry carries). Never throws; whatever happens, the engine holds no translation
     * afterwards (an IOTLB invalidation never waits on it).
     */
    public int execute(WorkSource wq) {
        int status = Status.HW_ERR1;
        try {
            // once per descriptor: a batch's descriptors inherit the batch's PASID and Priv (BOF is each one's own)
            enterContext(wq, d);
            status = process(wq, d, NOT_IN_BATCH);
        } catch (Throwable t) {
            errors.internalError(t); // process contains its own failures; this is the last line
        } finally {
            try {
                x.dma.release();
            } catch (Throwable t) {
                errors.internalError(t);
            }
        }
        return status;
    }

    /**
     * The PASID context descriptor {@code desc} of {@code wq} runs in, for its DMA and its SWERR entries. Derived from
     * the WQ and the descriptor's own bytes, which stay in the fetch buffer for the whole run, so a held-back
     * completion enters the same context again.
     */
    private void enterContext(WorkSource wq, Descriptor desc) {
        pasidEnabled = wq.pasidEnabled();
        pasid = wq.pasidOf(desc);
        priv = wq.privOf(desc);
        // a WQ whose WQCFG Priv is 0 makes no supervisor request at all: a Priv = 1 descriptor that step 6 refuses
        // (or any step before it) has its record written through a user-level translation (a dedicated WQ's Priv
        // is the WQ's own, so this changes nothing there); SWERR still reports the descriptor's Priv
        x.dma.context(pasidEnabled, pasid, priv && wq.priv());
    }

    /** The PASID the last descriptor ran for, or -1 if it ran without PASID translation. */
    public int lastPasid() {
        return pasidEnabled ? pasid : -1;
    }

    /** Validates, runs and completes one descriptor; returns its final status. */
    private int process(WorkSource wq, Descriptor desc, int batchIndex) {
        final int flags = desc.flags();
        // step 1: a misaligned record address cannot be written: SWERR only, nothing else happens (held back like a
        // record within a run, so the run's SWERR entries keep their queue order)
        if (misalignedRecord(flags, desc.completionAddress())) {
            x.result.reset();
            if (!hold(batchIndex, flags, Status.COMPLETION_RECORD_ALIGNMENT)) {
                finish(wq, desc, batchIndex, flags, Status.COMPLETION_RECORD_ALIGNMENT);
            }
            return Status.COMPLETION_RECORD_ALIGNMENT;
        }
        int status;
        try {
            status = run(wq, desc, flags, batchIndex);
        } catch (Throwable e) { // anything, Errors included: the descriptor still completes, the engine goes on
            errors.internalError(e);
            x.result.reset();
            status = Status.HW_ERR1;
        }
        if (!hasCompletion(flags, status)) {
            if (pendingCount > 0 && batchIndex == NOT_IN_BATCH) {
                pendingBytes += desc.transferSize(); // its work delays the held-back records as a held one's does
            }
            return status;
        }
        if (hold(batchIndex, flags, status)) {
            return status;
        }
        finish(wq, desc, batchIndex, flags, status);
        return status;
    }

    /**
     * Whether a descriptor that ran has anything for {@link #finish} to write: a record address (its record, or the
     * SWERR entry that stands for it), an interrupt, or a status other than success (its SWERR entry). One that has
     * not, such as the portal rows' no-op, is neither held back nor finished, so a run of them costs no completion
     * pass at its end.
     */
    private static boolean hasCompletion(int flags, int status) {
        return (flags & (DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_INTERRUPT)) != 0
            || !Status.isSuccess(status);
    }

    /** Holds the selected descriptor's completion back, if this run defers (see {@link #defer}); whether it did. */
    private boolean hold(int batchIndex, int flags, int status) {
        if (!deferring || batchIndex != NOT_IN_BATCH) {
            return false;
        }
        final int i = selected;
        pendingSlot[i] = true;
        pendingStatus[i] = status;
        pendingFlags[i] = flags;
        pendingResult[i].copyFrom(x.result);
        pendingCount++;
        pendingBytes += d.transferSize(); // held back only outside a batch, so d is the descriptor
        return true;
    }

    /** Step 1's test: a record is asked for (CRAV) at an address not 32-byte aligned. */
    private static boolean misalignedRecord(int flags, long completionAddress) {
        return (flags & DescriptorFlags.COMPLETION_ADDRESS_VALID) != 0
            && (completionAddress & (CompletionRecordLayout.ALIGNMENT - 1)) != 0;
    }

    /**
     * The completion: the record (or SWERR entry), then the interrupt; or, for a misaligned record address, step 1's
     * SWERR entry alone (such a descriptor never ran).
     */
    private void finish(WorkSource wq, Descriptor desc, int batchIndex, int flags, int status) {
        final boolean crav = (flags & DescriptorFlags.COMPLETION_ADDRESS_VALID) != 0;
        final long completionAddress = desc.completionAddress();
        if (misalignedRecord(flags, completionAddress)) {
            reportSwerr(wq, desc, batchIndex, Status.COMPLETION_RECORD_ALIGNMENT, 0, 0, false);
            return;
        }
        try {
            record(wq, desc, batchIndex, flags, crav, completionAddress, status);
        } catch (Throwable e) {
            // the record (or its SWERR entry) could not be written: say so in SWERR rather than write it twice
            errors.internalError(e);
            try {
                reportSwerr(wq, desc, batchIndex, Status.HW_ERR1, 0, 0, false);
            } catch (Throwable again) {
                errors.internalError(again);
            }
        }
        try {
            interrupt(wq, desc, flags);
        } catch (Throwable e) {
            errors.internalError(e);
        }
    }

    private int run(WorkSource wq, Descriptor desc, int flags, int batchIndex) {
        final int opcode = desc.opcode();
        final boolean bof = (flags & DescriptorFlags.BLOCK_ON_FAULT) != 0 && wq.blockOnFault();
        x.dma.blockOnFault(bof);
        x.flags = flags;
        x.maxTransferSize = wq.maxTransferSize();
        x.maxBatchSize = wq.maxBatchSize();
        x.result.reset();
        final boolean inBatch = batchIndex != NOT_IN_BATCH;
        if (!rules.implemented(opcode) || !wq.opcodeAllowed(opcode)
            || (inBatch && (opcode == Opcode.BATCH || opcode == Opcode.DRAIN))) {            // step 2
            return Status.UNSUPPORTED_OPCODE;
        }
        final int invalid = flags & ~rules.allowedFlags(opcode);                              // step 3
        if (invalid != 0) {
            x.result.field16 = invalid;
            return Status.INVALID_FLAGS;
        }
        // step 4 (a batch's descriptors inherit its PASID and Priv, so their bytes 0-3 are not looked at)
        final boolean reserved = inBatch ? desc.reserved38() != 0 : OperationRules.genericReservedSet(desc);
        if (reserved || rules.reservedBitsSet(desc, opcode, flags)) {
            return Status.NONZERO_RESERVED;
        }
        if ((flags & DescriptorFlags.REQUEST_COMPLETION_INTERRUPT) != 0
            && !interrupts.isValid(desc.interruptHandle(), wq.interruptOwner())) {              // step 5
            return Status.INVALID_INTERRUPT_HANDLE;
        }
        if (!inBatch && !wq.isDedicated() && desc.priv() && !wq.priv()) {                    // step 6
            return Status.PRIVILEGE_ERROR;
        }
        if (opcode == Opcode.BATCH) {
            return runBatch(wq, desc);
        }
        return operations.execute(opcode, desc, x);                                           // steps 7-10
    }

    /**
     * Batch (fact sheet section 7): runs each descriptor of the list through the whole pipeline, in order; a Fence
     * stops the batch if anything earlier did not end in Success. The list is read ahead in runs, as the device's
     * batch unit fetches it: up to {@link #LIST_FETCH} descriptors (never past a page end or the count) with one
     * mapping, copied into the list buffer before any of them runs. A descriptor is read from the tenant's memory
     * while its page is mapped and before the ones ahead of it ran, as the hardware may; a fault reading a run is
     * reported at the run's first descriptor, once every descriptor before it has run.
     */
    private int runBatch(WorkSource wq, Descriptor batch) {
        final long list = batch.source();
        final long count = batch.transferSize();
        if (count < 2 || count > wq.maxBatchSize()) {
            return Status.DESCRIPTOR_COUNT;
        }
        if ((list & (DescriptorLayout.LENGTH - 1)) != 0) {
            return Status.DESCRIPTOR_LIST_ALIGNMENT;
        }
        boolean allSucceeded = true;
        long processed = 0;
        int readFrom = 0; // the list buffer holds descriptors [readFrom, readTo)
        int readTo = 0;
        for (int i = 0; i < count; i++) {
            if (i == readTo) {
                final long address = list + (long) i * DescriptorLayout.LENGTH;
                final long wanted = Math.min(count - i, inner.length) * (long) DescriptorLayout.LENGTH;
                // a list read never blocks on a page request: a fault is 0x06, resumable from this descriptor
                if (!x.dma.mapWithoutBlocking(address, wanted, Translation.READ)) {
                    x.result.reset();
                    x.fault(i);
                    return Status.BATCH_PAGE_FAULT;
                }
                // whole descriptors (a 64-byte aligned run ends at a page or at the end of memory, both aligned);
                // one at least, so a shorter run fails in the copy as a hardware error, as it always did
                final int n = (int) Math.max(1, x.dma.length() / DescriptorLayout.LENGTH);
                MemorySegment.copy(x.memory, x.dma.hostAddress(), listBuffer, 0, (long) n * DescriptorLayout.LENGTH);
                readFrom = i;
                readTo = i + n;
            }
            final Descriptor desc = inner[i - readFrom];
            if ((desc.flags() & DescriptorFlags.FENCE) != 0 && !allSucceeded) {
                processed = i;
                break;
            }
            final int status = process(wq, desc, i);
            allSucceeded &= status == Status.SUCCESS;
            processed = i + 1;
        }
        final OpResult r = x.result;
        r.reset();
        r.bytesCompleted = processed;
        if (allSucceeded && processed == count) {
            return Status.SUCCESS;
        }
        r.result = 1;
        return Status.BATCH_FAIL;
    }

    /** The completion record, or the SWERR entry that stands for it (fact sheet section 4). */
    private void record(WorkSource wq, Descriptor desc, int batchIndex, int flags, boolean crav,
                        long completionAddress, int status) {
        final OpResult r = x.result;
        if (crav) {
            if (Status.alwaysRecorded(status) || (flags & DescriptorFlags.REQUEST_COMPLETION_RECORD) != 0) {
                // a record write never blocks on a page request (fact sheet 10): a fault is SWERR 0x1A
                if (x.dma.mapWithoutBlocking(completionAddress, CompletionRecordLayout.LENGTH, Translation.WRITE)
                    && x.dma.length() >= CompletionRecordLayout.LENGTH) {
                    CompletionWriter.write(x.dma.memory(), x.dma.hostAddress(), status, r);
                } else {
                    reportSwerr(wq, desc, batchIndex, Status.COMPLETION_RECORD_FAULT, 0, x.dma.faultAddress(), true);
                }
            }
        } else if (!Status.isSuccess(status)) {
            reportSwerr(wq, desc, batchIndex, status, status == Status.INVALID_FLAGS ? (int) r.field16 : 0,
                r.faultAddress, r.faultWrite);
        }
    }

    /** The completion interrupt, after the record's release store: whoever it wakes sees the record. */
    private void interrupt(WorkSource wq, Descriptor desc, int flags) {
        if ((flags & DescriptorFlags.REQUEST_COMPLETION_INTERRUPT) != 0) {
            // checks the owner and raises from one load of the handle's entry: a handle released and given to
            // another owner since step 5 raises nothing
            interrupts.raise(desc.interruptHandle(), wq.interruptOwner());
        }
    }

    private void reportSwerr(WorkSource wq, Descriptor desc, int batchIndex, int code, int invalidFlags,
                             long faultAddress, boolean faultWrite) {
        final byte[] bytes = desc.segment().asSlice(desc.offset(), DescriptorLayout.LENGTH)
            .toArray(ValueLayout.JAVA_BYTE);
        final boolean inBatch = batchIndex != NOT_IN_BATCH;
        swerr.record(new SwerrEntry(code, wq.index(), true, desc.opcode(), pasid, priv, inBatch,
            inBatch ? batchIndex : 0, faultWrite, invalidFlags, faultAddress, bytes));
        wq.counters().swerr();
    }
}
