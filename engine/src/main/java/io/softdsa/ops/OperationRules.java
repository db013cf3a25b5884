package io.softdsa.ops;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorLayout;

import java.util.Arrays;

import static io.softdsa.descriptor.DescriptorFlags.*;
import static io.softdsa.descriptor.Opcode.*;

/**
 * Per-opcode descriptor rules of fact sheet sections 1-3: which flags an operation allows on a device with given
 * capabilities, and which bits of bytes 40-63 are reserved (derived from the descriptor's field table,
 * {@link DescriptorLayout#opSpecificFields}). Built once per device into flat tables that the
 * executor indexes by opcode.
 */
public final class OperationRules {
    /** Allowed on every operation: CRAV, RCR, RCI, completion steering tag (bit 5), completion TC (bit 12). */
    static final int ALWAYS = COMPLETION_ADDRESS_VALID | REQUEST_COMPLETION_RECORD | REQUEST_COMPLETION_INTERRUPT
        | COMPLETION_STEERING_TAG | COMPLETION_TRAFFIC_CLASS;
    private static final int F = FENCE;
    private static final int B = BLOCK_ON_FAULT;
    private static final int CR = CHECK_RESULT;
    private static final int CC = CACHE_CONTROL;
    private static final int A1 = ADDRESS1_TRAFFIC_CLASS;
    private static final int A2 = ADDRESS2_TRAFFIC_CLASS;
    private static final int A3 = ADDRESS3_TRAFFIC_CLASS;
    private static final int S = STRICT_ORDERING;
    private static final int DR = DESTINATION_READBACK;
    private static final int DS = DESTINATION_STEERING_TAG;
    private static final int WRITERS = F | B | CC | A1 | A2 | S | DR | DS;

    private final int[] allowedFlags = new int[256];
    private final long[][] reservedMasks = new long[256][];
    /** Fill's reserved bits with a 16-byte pattern (op flag 18), whose high half is then a field. */
    private final long[] fill16ReservedMask;
    private final boolean[] implemented = new boolean[256];

    public OperationRules(OperationFeatures caps, boolean[] implementedOps) {
        for (int op = 0; op < 256; op++) {
            implemented[op] = implementedOps[op] && caps.generationDefines(op);
            allowedFlags[op] = ALWAYS | gate(op, genericFlags(op) | opSpecificFlags(op, caps), caps);
            reservedMasks[op] = reservedMask(DescriptorLayout.opSpecificFields(op));
        }
        fill16ReservedMask = reservedMask(DescriptorLayout.FILL_PATTERN_HIGH);
    }

    public boolean implemented(int opcode) {
        return implemented[opcode];
    }

    /** OPCAP: four 64-bit words, bit n = opcode n implemented. */
    public long[] opcap() {
        final long[] words = new long[4];
        for (int op = 0; op < 256; op++) {
            if (implemented[op]) {
                words[op >>> 6] |= 1L << op;
            }
        }
        return words;
    }

    public int allowedFlags(int opcode) {
        return allowedFlags[opcode];
    }

    /** Whether any reserved bit of bytes 40-63 is set for this opcode (fill's bytes 40-47 are its pattern's high half only with op flag 18). */
    public boolean reservedBitsSet(Descriptor d, int opcode, int flags) {
        final long[] mask = opcode == FILL && (flags & FILL_PATTERN_16) != 0
            ? fill16ReservedMask : reservedMasks[opcode];
        return (d.opSpecificWord(0) & mask[0]) != 0 || (d.opSpecificWord(1) & mask[1]) != 0
            || (d.opSpecificWord(2) & mask[2]) != 0;
    }

    /** Step 4's generic part: PASID word bits 30:20 and bytes 38-39. */
    public static boolean genericReservedSet(Descriptor d) {
        return (d.pasidWord() & DescriptorLayout.PASID_RESERVED_MASK) != 0 || d.reserved38() != 0;
    }

    private static int genericFlags(int op) {
        return switch (op) {
            case NOOP -> F;
            case BATCH -> A1;
            case DRAIN -> A1 | A2;
            case MEMMOVE, APPLY_DELTA, DIF_INSERT, DIF_STRIP, DIF_UPDATE, DIX_GENERATE -> WRITERS;
            case FILL, CACHE_FLUSH -> WRITERS & ~A1;
            case COMPARE -> F | B | CR | A1 | A2;
            case COMPARE_PATTERN -> F | B | CR | A1;
            case CREATE_DELTA -> WRITERS | CR | A3;
            case DUALCAST, COPY_CRC -> WRITERS | A3;
            case TRANSLATION_FETCH, DIF_CHECK -> F | B | A1;
            case CRC_GENERATION -> F | B | A1 | A3;
            default -> 0;
        };
    }

    private static int opSpecificFlags(int op, OperationFeatures caps) {
        return switch (op) {
            case CRC_GENERATION, COPY_CRC -> CRC_SEED_FROM_MEMORY | CRC_BYPASS_INVERSION | CRC_BYPASS_DATA_REFLECTION;
            case DRAIN -> caps.drainReadback()
                ? DRAIN_READBACK1 | DRAIN_READBACK2 | DRAIN_SUPPRESS_TC_A | DRAIN_SUPPRESS_TC_B : 0;
            case DUALCAST -> DUALCAST_DESTINATION2_STEERING;
            case FILL -> caps.isDsa2() ? FILL_PATTERN_16 : 0;
            default -> 0;
        };
    }

    /** A flag whose GENCAP capability is 0 is reserved (fact sheet section 3). */
    private static int gate(int op, int flags, OperationFeatures caps) {
        if (!caps.blockOnFault()) {
            flags &= ~B;
        }
        final boolean cacheControl = op == CACHE_FLUSH ? caps.cacheControlFlush() : caps.cacheControlMemory();
        if (!cacheControl) {
            flags &= ~CC;
        }
        if (!caps.destinationReadback()) {
            flags &= ~DR;
        }
        return flags;
    }

    /** Reserved bits of bytes 40-63 as three u64 words: every bit outside {@code fields}, and their reserved bits. */
    private static long[] reservedMask(DescriptorLayout.OpField... fields) {
        final long[] m = new long[DescriptorLayout.OP_SPECIFIC_WORDS];
        Arrays.fill(m, -1L);
        for (DescriptorLayout.OpField f : fields) {
            for (int b = f.offset(); b < f.offset() + f.size(); b++) {
                m[word(b)] &= ~(0xFFL << shift(b));
            }
            m[word(f.offset())] |= (long) f.reservedBits() << shift(f.offset());
        }
        return m;
    }

    private static int word(int descriptorOffset) {
        return (descriptorOffset - DescriptorLayout.OP_SPECIFIC_OFFSET) / Long.BYTES;
    }

    private static int shift(int descriptorOffset) {
        return (descriptorOffset - DescriptorLayout.OP_SPECIFIC_OFFSET) % Long.BYTES * Byte.SIZE;
    }
}
