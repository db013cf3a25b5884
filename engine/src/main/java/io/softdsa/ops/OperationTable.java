package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;

/**
 * The operations this engine implements, dispatched by opcode. An opcode with no entry answers 0x10 and has no OPCAP
 * bit. One table per engine (operations may hold per-engine state).
 * <p>
 * Dispatch is a switch over fields of the operations' own final classes, as QEMU's nvme dispatches its opcodes: every
 * call site names one class, so the JIT inlines each operation into the executor. A call through the
 * {@link Operation} interface from one site sees all of them (megamorphic: a vtable call per descriptor, and no
 * inlining across it).
 */
public final class OperationTable {
    private final Noop noop = new Noop();
    private final Drain drain = new Drain();
    private final MemoryMove memmove = new MemoryMove();
    private final Fill fill = new Fill();
    private final Compare compare = new Compare();
    private final ComparePattern comparePattern = new ComparePattern();
    private final Dualcast dualcast = new Dualcast();
    private final CrcGeneration crcGeneration = new CrcGeneration(false);
    private final CrcGeneration copyCrc = new CrcGeneration(true);
    private final CreateDelta createDelta = new CreateDelta();
    private final ApplyDelta applyDelta = new ApplyDelta();
    private final TranslationFetch translationFetch = new TranslationFetch();
    private final DifOperation difCheck = DifOperation.check();
    private final DifOperation difInsert = DifOperation.insert();
    private final DifOperation difStrip = DifOperation.strip();
    private final DifOperation difUpdate = DifOperation.update();
    private final DifOperation dixGenerate = DifOperation.dixGenerate();
    private final CacheFlush cacheFlush = new CacheFlush();

    /** Which opcodes have an implementation (for OPCAP and the executor's first check). */
    public static boolean[] implemented() {
        final OperationTable t = new OperationTable();
        final boolean[] result = new boolean[Opcode.COUNT];
        for (int i = 0; i < Opcode.COUNT; i++) {
            result[i] = t.get(i) != null;
        }
        return result;
    }

    /** The operation of {@code opcode}, or null (not for the hot path: {@link #execute} is). */
    public Operation get(int opcode) {
        return switch (opcode) {
            case Opcode.NOOP -> noop;
            case Opcode.DRAIN -> drain;
            case Opcode.MEMMOVE -> memmove;
            case Opcode.FILL -> fill;
            case Opcode.COMPARE -> compare;
            case Opcode.COMPARE_PATTERN -> comparePattern;
            case Opcode.DUALCAST -> dualcast;
            case Opcode.CRC_GENERATION -> crcGeneration;
            case Opcode.COPY_CRC -> copyCrc;
            case Opcode.CREATE_DELTA -> createDelta;
            case Opcode.APPLY_DELTA -> applyDelta;
            case Opcode.TRANSLATION_FETCH -> translationFetch;
            case Opcode.DIF_CHECK, Opcode.DIF_INSERT, Opcode.DIF_STRIP, Opcode.DIF_UPDATE, Opcode.DIX_GENERATE ->
                dif(opcode);
            case Opcode.CACHE_FLUSH -> cacheFlush;
            default -> null;
        };
    }

    /** The DIF operation of {@code opcode} (one of the five): out of {@link #execute}, which stays small. */
    private DifOperation dif(int opcode) {
        return switch (opcode) {
            case Opcode.DIF_CHECK -> difCheck;
            case Opcode.DIF_INSERT -> difInsert;
            case Opcode.DIF_STRIP -> difStrip;
            case Opcode.DIF_UPDATE -> difUpdate;
            default -> dixGenerate;
        };
    }

    /**
     * Runs the operation of {@code opcode} (one the executor found implemented) on {@code d} and returns its status;
     * an opcode without one answers Unsupported Opcode.
     */
    public int execute(int opcode, Descriptor d, OpContext x) {
        return switch (opcode) {
            case Opcode.NOOP -> noop.execute(d, x);
            case Opcode.DRAIN -> drain.execute(d, x);
            case Opcode.MEMMOVE -> memmove.execute(d, x);
            case Opcode.FILL -> fill.execute(d, x);
            case Opcode.COMPARE -> compare.execute(d, x);
            case Opcode.COMPARE_PATTERN -> comparePattern.execute(d, x);
            case Opcode.DUALCAST -> dualcast.execute(d, x);
            case Opcode.CRC_GENERATION, Opcode.COPY_CRC -> (opcode == Opcode.COPY_CRC ? copyCrc : crcGeneration)
                .execute(d, x);
            case Opcode.CREATE_DELTA -> createDelta.execute(d, x);
            case Opcode.APPLY_DELTA -> applyDelta.execute(d, x);
            case Opcode.TRANSLATION_FETCH -> translationFetch.execute(d, x);
            case Opcode.DIF_CHECK, Opcode.DIF_INSERT, Opcode.DIF_STRIP, Opcode.DIF_UPDATE, Opcode.DIX_GENERATE ->
                dif(opcode).execute(d, x);
            case Opcode.CACHE_FLUSH -> cacheFlush.execute(d, x);
            default -> Status.UNSUPPORTED_OPCODE;
        };
    }
}
