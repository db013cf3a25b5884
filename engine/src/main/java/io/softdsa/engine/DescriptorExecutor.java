package io.softdsa.engine;

import io.softdsa.completion.CompletionRecordLayout;
import io.softdsa.completion.CompletionWriter;
import io.softdsa.completion.InterruptTable;
import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.device.SoftwareErrorRegister;
import io.softdsa.device.SwerrEntry;
import io.softdsa.device.WorkQueue;
import io.softdsa.ops.OpContext;
import io.softdsa.ops.OpResult;
import io.softdsa.ops.Operation;
import io.softdsa.ops.OperationRules;
import io.softdsa.ops.OperationTable;

import java.lang.foreign.ValueLayout;

/**
 * Runs one fetched descriptor to its end: the generic checks of fact sheet section 6 in the softdsa order, the
 * operation, then the completion record, SWERR and interrupt exactly as section 4 says. Never throws: an unexpected
 * exception inside an operation becomes a hardware-error completion and is counted.
 */
public final class DescriptorExecutor {
    private final Descriptor d;
    private final OpContext x;
    private final OperationRules rules;
    private final OperationTable operations;
    private final SoftwareErrorRegister swerr;
    private final InterruptTable interrupts;
    private long internalErrors;

    public DescriptorExecutor(Descriptor fetchBuffer, OpContext context, OperationRules rules,
                              OperationTable operations, SoftwareErrorRegister swerr, InterruptTable interrupts) {
        this.d = fetchBuffer;
        this.x = context;
        this.rules = rules;
        this.operations = operations;
        this.swerr = swerr;
        this.interrupts = interrupts;
    }

    public Descriptor descriptor() {
        return d;
    }

    public OpContext context() {
        return x;
    }

    public long internalErrors() {
        return internalErrors;
    }

    /** Executes the descriptor in the fetch buffer, which came from {@code wq}. */
    public void execute(WorkQueue wq) {
        final int flags = d.flags();
        final boolean crav = (flags & DescriptorFlags.COMPLETION_ADDRESS_VALID) != 0;
        final long completionAddress = d.completionAddress();
        // step 1: a misaligned record address cannot be written: SWERR only, nothing else happens
        if (crav && (completionAddress & (CompletionRecordLayout.ALIGNMENT - 1)) != 0) {
            reportSwerr(wq, Status.COMPLETION_RECORD_ALIGNMENT, 0, 0, false);
            return;
        }
        final boolean dedicated = wq.isDedicated();
        final boolean priv = dedicated ? wq.priv() : d.priv();
        final int pasid = dedicated ? wq.pasid() : d.pasid();
        final boolean bof = (flags & DescriptorFlags.BLOCK_ON_FAULT) != 0 && wq.blockOnFault();
        x.dma.context(wq.pasidEnabled(), pasid, priv, bof);
        x.flags = flags;
        x.maxTransferSize = wq.maxTransferSize();
        x.maxBatchSize = wq.maxBatchSize();
        final OpResult r = x.result;
        r.reset();

        int status;
        try {
            status = run(wq, flags);
        } catch (RuntimeException | StackOverflowError e) {
            internalErrors++;
            r.reset();
            status = Status.HARDWARE_ERROR_READBACK;
        }
        complete(wq, flags, crav, completionAddress, status);
    }

    private int run(WorkQueue wq, int flags) {
        final int opcode = d.opcode();
        if (!rules.implemented(opcode) || !wq.opcodeAllowed(opcode)) {                       // step 2
            return Status.UNSUPPORTED_OPCODE;
        }
        final int invalid = flags & ~rules.allowedFlags(opcode);                              // step 3
        if (invalid != 0) {
            x.result.field16 = invalid;
            return Status.INVALID_FLAGS;
        }
        if (OperationRules.genericReservedSet(d) || rules.reservedBitsSet(d, opcode, flags)) { // step 4
            return Status.NONZERO_RESERVED;
        }
        if ((flags & DescriptorFlags.REQUEST_COMPLETION_INTERRUPT) != 0
            && !interrupts.isValid(d.interruptHandle())) {                                     // step 5
            return Status.INVALID_INTERRUPT_HANDLE;
        }
        if (!wq.isDedicated() && d.priv() && !wq.priv()) {                                    // step 6
            return Status.PRIVILEGE_ERROR;
        }
        final Operation op = operations.get(opcode);                                          // steps 7-10
        return op.execute(d, x);
    }

    private void complete(WorkQueue wq, int flags, boolean crav, long completionAddress, int status) {
        final OpResult r = x.result;
        if (crav) {
            if (status != Status.SUCCESS || (flags & DescriptorFlags.REQUEST_COMPLETION_RECORD) != 0) {
                if (!CompletionWriter.write(x.dma, completionAddress, status, r)) {
                    reportSwerr(wq, Status.COMPLETION_RECORD_FAULT, 0, x.dma.faultAddress(), true);
                }
            }
        } else if (status != Status.SUCCESS && status != Status.SUCCESS_PRED) {
            reportSwerr(wq, status, status == Status.INVALID_FLAGS ? (int) r.field16 : 0, r.faultAddress,
                r.faultWrite);
        }
        if ((flags & DescriptorFlags.REQUEST_COMPLETION_INTERRUPT) != 0) {
            final int handle = d.interruptHandle();
            if (interrupts.isValid(handle)) {
                interrupts.raise(handle); // after the record's release store: the handler sees the record
            }
        }
    }

    private void reportSwerr(WorkQueue wq, int code, int invalidFlags, long faultAddress, boolean faultWrite) {
        final byte[] bytes = d.segment().asSlice(d.offset(), 64).toArray(ValueLayout.JAVA_BYTE);
        final boolean priv = wq.isDedicated() ? wq.priv() : d.priv();
        final int pasid = wq.isDedicated() ? wq.pasid() : d.pasid();
        swerr.record(new SwerrEntry(code, wq.index(), true, d.opcode(), pasid, priv, false, 0, faultWrite,
            invalidFlags, faultAddress, bytes));
    }
}
