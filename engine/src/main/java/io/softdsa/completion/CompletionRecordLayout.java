package io.softdsa.completion;

/**
 * Layout of the 32-byte completion record ({@code struct dsa_completion_record} in {@code idxd.h}), 32-byte
 * aligned. The status byte is written last, with release semantics; software polls it with acquire.
 *
 * <pre>
 *   0               1               2               3
 *  +-+-------------+---------------+---------------+---------------+
 *  |W| status 6:0  |    result     |  fault info   |   reserved    |  0   W = fault was a write
 *  +-+-------------+---------------+---------------+---------------+
 *  |           bytes completed / descriptors completed (u32)       |  4
 *  +---------------------------------------------------------------+
 *  |                       fault address (u64)                     |  8
 *  +---------------------------------------------------------------+
 *  |  op-specific: invalid flags (24 bits) / delta record size /   |  16
 *  |  CRC value (u64) / DIF source tags                            |
 *  +---------------------------------------------------------------+
 *  |  op-specific: DIF destination tags                            |  24
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class CompletionRecordLayout {
    public static final int LENGTH = 32;
    public static final int ALIGNMENT = 32;

    public static final int STATUS_OFFSET = 0;
    public static final int STATUS_CODE_MASK = 0x7F;
    public static final int STATUS_WRITE_FAULT_BIT = 0x80;
    public static final int RESULT_OFFSET = 1;
    public static final int FAULT_INFO_OFFSET = 2;
    public static final int RESERVED_OFFSET = 3;
    public static final int BYTES_COMPLETED_OFFSET = 4;
    public static final int FAULT_ADDRESS_OFFSET = 8;
    public static final int OP_SPECIFIC_OFFSET = 16;

    /** status 0x11: the offending flag bits (24 bits). */
    public static final int INVALID_FLAGS_OFFSET = 16;
    /** create delta: delta record size (u32). */
    public static final int DELTA_RECORD_SIZE_OFFSET = 16;
    /** CRC generation / copy with CRC: CRC value (u64 field, upper half 0 for CRC-32). */
    public static final int CRC_VALUE_OFFSET = 16;
    /** DIF check/strip/update: source tags. */
    public static final int DIF_SOURCE_REF_TAG_OFFSET = 16;
    public static final int DIF_SOURCE_APP_TAG_MASK_OFFSET = 20;
    public static final int DIF_SOURCE_APP_TAG_OFFSET = 22;
    /** DIF insert/update/DIX generate: destination tags. */
    public static final int DIF_DESTINATION_REF_TAG_OFFSET = 24;
    public static final int DIF_DESTINATION_APP_TAG_MASK_OFFSET = 28;
    public static final int DIF_DESTINATION_APP_TAG_OFFSET = 30;

    private CompletionRecordLayout() {
    }
}
