package io.softdsa.descriptor;

/** DSA operation codes (descriptor byte 7), as {@code enum dsa_opcode} in {@code idxd.h}. */
public final class Opcode {
    public static final int NOOP = 0x00;
    public static final int BATCH = 0x01;
    public static final int DRAIN = 0x02;
    public static final int MEMMOVE = 0x03;
    public static final int FILL = 0x04;
    public static final int COMPARE = 0x05;
    public static final int COMPARE_PATTERN = 0x06;
    public static final int CREATE_DELTA = 0x07;
    public static final int APPLY_DELTA = 0x08;
    public static final int DUALCAST = 0x09;
    public static final int TRANSLATION_FETCH = 0x0A;
    public static final int CRC_GENERATION = 0x10;
    public static final int COPY_CRC = 0x11;
    public static final int DIF_CHECK = 0x12;
    public static final int DIF_INSERT = 0x13;
    public static final int DIF_STRIP = 0x14;
    public static final int DIF_UPDATE = 0x15;
    public static final int DIX_GENERATE = 0x17;
    public static final int CACHE_FLUSH = 0x20;

    /** Number of opcode values (OPCAP is a 256-bit map). */
    public static final int COUNT = 256;

    private Opcode() {
    }

    /** A readable name for diagnostics and reports. */
    public static String name(int opcode) {
        return switch (opcode) {
            case NOOP -> "noop";
            case BATCH -> "batch";
            case DRAIN -> "drain";
            case MEMMOVE -> "memmove";
            case FILL -> "fill";
            case COMPARE -> "compare";
            case COMPARE_PATTERN -> "compare-pattern";
            case CREATE_DELTA -> "create-delta";
            case APPLY_DELTA -> "apply-delta";
            case DUALCAST -> "dualcast";
            case TRANSLATION_FETCH -> "translation-fetch";
            case CRC_GENERATION -> "crc-gen";
            case COPY_CRC -> "copy-crc";
            case DIF_CHECK -> "dif-check";
            case DIF_INSERT -> "dif-insert";
            case DIF_STRIP -> "dif-strip";
            case DIF_UPDATE -> "dif-update";
            case DIX_GENERATE -> "dix-generate";
            case CACHE_FLUSH -> "cache-flush";
            default -> String.format("opcode-0x%02x", opcode);
        };
    }
}
