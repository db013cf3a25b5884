package io.softdsa.descriptor;

/**
 * Layout of the 64-byte DSA work descriptor ({@code struct dsa_hw_desc} in the Linux uapi {@code idxd.h}).
 * Every offset of the fact sheet (section 1) appears here once; all fields are little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------------------------------------+-+
 *  |              PASID (19:0) | reserved (30:20)                |P|  0  Priv = bit 31
 *  +-----------------------------------------------+---------------+
 *  |                flags (23:0)                   |    opcode     |  4
 *  +-----------------------------------------------+---------------+
 *  |                 completion record address (u64)              |  8
 *  +---------------------------------------------------------------+
 *  |  source / fill pattern / batch list / delta record / readback |  16
 *  +---------------------------------------------------------------+
 *  |  destination / source 2 / compare pattern / readback 2        |  24
 *  +-------------------------------+-------------------------------+
 *  |  transfer size / batch count  | int handle    |   reserved    |  32
 *  +-------------------------------+-------------------------------+
 *  |                 operation-specific (24 bytes)                 |  40..63
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class DescriptorLayout {
    /** Size of a descriptor and of a portal write (MOVDIR64B / ENQCMD). */
    public static final int LENGTH = 64;

    public static final int PASID_PRIV_OFFSET = 0;
    public static final int PASID_MASK = Pasid.MASK;
    public static final int PASID_RESERVED_MASK = 0x7FF0_0000;
    public static final int PRIV_BIT = 0x8000_0000;

    /** Flags are 24 bits at byte 4; the opcode is byte 7, so one u32 read at 4 yields both. */
    public static final int FLAGS_OFFSET = 4;
    public static final int FLAGS_MASK = 0x00FF_FFFF;
    public static final int OPCODE_OFFSET = 7;
    public static final int OPCODE_SHIFT = 24;

    public static final int COMPLETION_ADDRESS_OFFSET = 8;
    public static final int SOURCE_OFFSET = 16;
    public static final int DESTINATION_OFFSET = 24;
    public static final int TRANSFER_SIZE_OFFSET = 32;
    public static final int INTERRUPT_HANDLE_OFFSET = 36;
    public static final int RESERVED_38_OFFSET = 38;
    public static final int OP_SPECIFIC_OFFSET = 40;
    public static final int OP_SPECIFIC_LENGTH = 24;
    /** Bytes 40-63 as three little-endian u64 words (how reserved-bit checks read them). */
    public static final int OP_SPECIFIC_WORDS = OP_SPECIFIC_LENGTH / Long.BYTES;

    // Operation-specific fields (bytes 40-63), named as in idxd.h.
    /** compare, compare pattern: expected result (u8). */
    public static final int EXPECTED_RESULT_OFFSET = 40;
    /** create delta: delta record address (u64). */
    public static final int DELTA_ADDRESS_OFFSET = 40;
    /** create delta: maximum delta record size (u32). */
    public static final int MAX_DELTA_SIZE_OFFSET = 48;
    /** create delta: expected-result mask (u8). */
    public static final int EXPECTED_RESULT_MASK_OFFSET = 56;
    /** apply delta: delta record size (u32). */
    public static final int DELTA_SIZE_OFFSET = 40;
    /** dualcast: destination 2 (u64). */
    public static final int DESTINATION2_OFFSET = 40;
    /** CRC generation / copy with CRC: seed (u32). */
    public static final int CRC_SEED_OFFSET = 40;
    /** CRC generation / copy with CRC: seed address (u64). */
    public static final int CRC_SEED_ADDRESS_OFFSET = 48;
    /** fill with a 16-byte pattern: high 8 bytes (u64). */
    public static final int FILL_PATTERN_HIGH_OFFSET = 40;
    /** translation fetch: region stride (u32). */
    public static final int REGION_STRIDE_OFFSET = 48;
    // DIF fields
    public static final int SOURCE_DIF_FLAGS_OFFSET = 40;
    public static final int DESTINATION_DIF_FLAGS_OFFSET = 41;
    public static final int DIF_FLAGS_OFFSET = 42;
    public static final int SOURCE_REF_TAG_SEED_OFFSET = 48;
    public static final int SOURCE_APP_TAG_MASK_OFFSET = 52;
    public static final int SOURCE_APP_TAG_SEED_OFFSET = 54;
    public static final int DESTINATION_REF_TAG_SEED_OFFSET = 56;
    public static final int DESTINATION_APP_TAG_MASK_OFFSET = 60;
    public static final int DESTINATION_APP_TAG_SEED_OFFSET = 62;
    /** DIF flags byte: bits 7:4 reserved. */
    public static final int DIF_FLAGS_RESERVED_BITS = 0xF0;
    /** Destination DIF flags byte: bits 2:0 reserved. */
    public static final int DESTINATION_DIF_FLAGS_RESERVED_BITS = 0x07;

    /**
     * One operation-specific field of bytes 40-63: where it starts, how many bytes it has, and which of its bits are
     * nevertheless reserved (the DIF flag bytes).
     */
    public record OpField(int offset, int size, int reservedBits) {
        static OpField of(int offset, int size) {
            return new OpField(offset, size, 0);
        }
    }

    private static final OpField[] NONE = {};
    private static final OpField[] DIF_SOURCE = {OpField.of(SOURCE_DIF_FLAGS_OFFSET, 1),
        new OpField(DIF_FLAGS_OFFSET, 1, DIF_FLAGS_RESERVED_BITS), OpField.of(SOURCE_REF_TAG_SEED_OFFSET, 4),
        OpField.of(SOURCE_APP_TAG_MASK_OFFSET, 2), OpField.of(SOURCE_APP_TAG_SEED_OFFSET, 2)};
    private static final OpField[] DIF_DESTINATION = {
        new OpField(DESTINATION_DIF_FLAGS_OFFSET, 1, DESTINATION_DIF_FLAGS_RESERVED_BITS),
        new OpField(DIF_FLAGS_OFFSET, 1, DIF_FLAGS_RESERVED_BITS), OpField.of(DESTINATION_REF_TAG_SEED_OFFSET, 4),
        OpField.of(DESTINATION_APP_TAG_MASK_OFFSET, 2), OpField.of(DESTINATION_APP_TAG_SEED_OFFSET, 2)};
    private static final OpField[] DIF_BOTH = {OpField.of(SOURCE_DIF_FLAGS_OFFSET, 1),
        new OpField(DESTINATION_DIF_FLAGS_OFFSET, 1, DESTINATION_DIF_FLAGS_RESERVED_BITS),
        new OpField(DIF_FLAGS_OFFSET, 1, DIF_FLAGS_RESERVED_BITS), OpField.of(SOURCE_REF_TAG_SEED_OFFSET, 4),
        OpField.of(SOURCE_APP_TAG_MASK_OFFSET, 2), OpField.of(SOURCE_APP_TAG_SEED_OFFSET, 2),
        OpField.of(DESTINATION_REF_TAG_SEED_OFFSET, 4), OpField.of(DESTINATION_APP_TAG_MASK_OFFSET, 2),
        OpField.of(DESTINATION_APP_TAG_SEED_OFFSET, 2)};

    /** Fill's 16-byte-pattern field, a field only with op flag 18 ({@link DescriptorFlags#FILL_PATTERN_16}). */
    public static final OpField FILL_PATTERN_HIGH = OpField.of(FILL_PATTERN_HIGH_OFFSET, 8);

    private DescriptorLayout() {
    }

    /**
     * The operation-specific fields of {@code opcode} (fact sheet section 1's table): every byte of 40-63 outside them
     * is reserved, and so are their own reserved bits. Fill's pattern high half is {@link #FILL_PATTERN_HIGH}.
     */
    public static OpField[] opSpecificFields(int opcode) {
        return switch (opcode) {
            case Opcode.COMPARE, Opcode.COMPARE_PATTERN -> new OpField[] {OpField.of(EXPECTED_RESULT_OFFSET, 1)};
            case Opcode.CREATE_DELTA -> new OpField[] {OpField.of(DELTA_ADDRESS_OFFSET, 8),
                OpField.of(MAX_DELTA_SIZE_OFFSET, 4), OpField.of(EXPECTED_RESULT_MASK_OFFSET, 1)};
            case Opcode.APPLY_DELTA -> new OpField[] {OpField.of(DELTA_SIZE_OFFSET, 4)};
            case Opcode.DUALCAST -> new OpField[] {OpField.of(DESTINATION2_OFFSET, 8)};
            case Opcode.CRC_GENERATION, Opcode.COPY_CRC -> new OpField[] {OpField.of(CRC_SEED_OFFSET, 4),
                OpField.of(CRC_SEED_ADDRESS_OFFSET, 8)};
            case Opcode.DIF_CHECK, Opcode.DIF_STRIP -> DIF_SOURCE.clone();
            case Opcode.DIF_INSERT, Opcode.DIX_GENERATE -> DIF_DESTINATION.clone();
            case Opcode.DIF_UPDATE -> DIF_BOTH.clone();
            case Opcode.TRANSLATION_FETCH -> new OpField[] {OpField.of(REGION_STRIDE_OFFSET, 4)};
            default -> NONE;
        };
    }
}
