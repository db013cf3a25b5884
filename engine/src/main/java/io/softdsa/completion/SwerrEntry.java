package io.softdsa.completion;

import io.softdsa.descriptor.Pasid;

/**
 * One software error as the device reported it: the fields of SWERR plus, when a descriptor caused it, its 64 bytes
 * (kept so that dropped and aborted descriptors are never silently lost).
 */
public record SwerrEntry(
    int errorCode,
    int wqIndex,
    boolean descriptorValid,
    int opcode,
    int pasid,
    boolean priv,
    boolean batch,
    int batchIndex,
    boolean faultWrite,
    int invalidFlags,
    long faultAddress,
    byte[] descriptor) {

    /** The four SWERR words this entry sets (valid, overflow clear). */
    public long[] toWords() {
        long w0 = SwerrLayout.VALID | ((long) (errorCode & 0xFF) << SwerrLayout.ERROR_CODE_SHIFT);
        if (wqIndex >= 0) {
            w0 |= SwerrLayout.WQ_INDEX_VALID | ((long) (wqIndex & 0xFF) << SwerrLayout.WQ_INDEX_SHIFT);
        }
        if (descriptorValid) {
            w0 |= SwerrLayout.DESCRIPTOR_VALID | ((long) (opcode & 0xFF) << SwerrLayout.OPCODE_SHIFT)
                | ((long) (pasid & Pasid.MASK) << SwerrLayout.PASID_SHIFT);
        }
        w0 |= batch ? SwerrLayout.BATCH : 0;
        w0 |= faultWrite ? SwerrLayout.FAULT_WRITE : 0;
        w0 |= priv ? SwerrLayout.PRIV : 0;
        final long w1 = (batchIndex & 0xFFFFL) | ((invalidFlags & 0xFFFFFFFFL) << SwerrLayout.INVALID_FLAGS_SHIFT);
        return new long[] {w0, w1, faultAddress, 0};
    }
}
