package io.softdsa.ops;

import io.softdsa.descriptor.Opcode;

/**
 * The operations this engine implements, indexed by opcode. An opcode with no entry answers 0x10 and has no OPCAP
 * bit. One table per engine (operations may hold per-engine state).
 */
public final class OperationTable {
    private final Operation[] operations = new Operation[Opcode.COUNT];

    public OperationTable() {
        operations[Opcode.NOOP] = new Noop();
        operations[Opcode.DRAIN] = new Drain();
        operations[Opcode.MEMMOVE] = new MemoryMove();
        operations[Opcode.FILL] = new Fill();
        operations[Opcode.COMPARE] = new Compare();
        operations[Opcode.COMPARE_PATTERN] = new ComparePattern();
        operations[Opcode.DUALCAST] = new Dualcast();
        operations[Opcode.CRC_GENERATION] = new CrcGeneration(false);
        operations[Opcode.COPY_CRC] = new CrcGeneration(true);
        operations[Opcode.CREATE_DELTA] = new CreateDelta();
        operations[Opcode.APPLY_DELTA] = new ApplyDelta();
        operations[Opcode.TRANSLATION_FETCH] = new TranslationFetch();
        operations[Opcode.DIF_CHECK] = DifOperation.check();
        operations[Opcode.DIF_INSERT] = DifOperation.insert();
        operations[Opcode.DIF_STRIP] = DifOperation.strip();
        operations[Opcode.DIF_UPDATE] = DifOperation.update();
        operations[Opcode.DIX_GENERATE] = DifOperation.dixGenerate();
        operations[Opcode.CACHE_FLUSH] = new CacheFlush();
    }

    /** Which opcodes have an implementation (for OPCAP and the executor's first check). */
    public static boolean[] implemented() {
        final OperationTable t = new OperationTable();
        final boolean[] result = new boolean[Opcode.COUNT];
        for (int i = 0; i < Opcode.COUNT; i++) {
            result[i] = t.operations[i] != null;
        }
        return result;
    }

    public Operation get(int opcode) {
        return operations[opcode];
    }
}
