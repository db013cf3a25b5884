package io.softdsa.mdev.regs;

/**
 * One GRPCFG entry (fact sheet section 14), 64 bytes per group.
 *
 * <pre>
 *  +0x00  WQ bitmap, 256 bits (bit i = WQ i)                        RW for existing WQs
 *  +0x20  engine bitmap, 64 bits (bit e = engine e)                 RW for existing engines
 *  +0x28  flags, 64 bits: 2:0 traffic class A | 5:3 traffic class B | 7 use read-buffer limit
 *         | 15:8 read buffers reserved | 27:20 read buffers allowed
 *         | 33:32 descriptor progress limit | 37:36 batch progress limit (RO 0: no progress limits)
 *  +0x30  reserved                                                  RO 0
 * </pre>
 */
public final class GrpcfgLayout {
    public static final int STRIDE = 64;
    public static final int WQ_BITMAP = 0x00;
    public static final int WQ_BITMAP_BYTES = 32;
    public static final int ENGINE_BITMAP = 0x20;
    public static final int FLAGS = 0x28;

    public static final int TRAFFIC_CLASS_A_MASK = 0x7;
    public static final int TRAFFIC_CLASS_B_SHIFT = 3;
    public static final int USE_READ_BUFFER_LIMIT = 1 << 7;
    public static final int READ_BUFFERS_RESERVED_SHIFT = 8;
    public static final int READ_BUFFERS_ALLOWED_SHIFT = 20;
    public static final long FLAGS_RW_MASK = 0x0FF0_FFBFL;

    private GrpcfgLayout() {
    }

    public static int readBuffersReserved(long flags) {
        return (int) (flags >>> READ_BUFFERS_RESERVED_SHIFT) & 0xFF;
    }

    public static int readBuffersAllowed(long flags) {
        return (int) (flags >>> READ_BUFFERS_ALLOWED_SHIFT) & 0xFF;
    }

    public static boolean useReadBufferLimit(long flags) {
        return (flags & USE_READ_BUFFER_LIMIT) != 0;
    }

    public static int trafficClassA(long flags) {
        return (int) flags & TRAFFIC_CLASS_A_MASK;
    }

    public static int trafficClassB(long flags) {
        return (int) (flags >>> TRAFFIC_CLASS_B_SHIFT) & 0x7;
    }

    public static long flags(int tcA, int tcB, boolean useLimit, int reserved, int allowed) {
        return (tcA & 7) | ((tcB & 7L) << TRAFFIC_CLASS_B_SHIFT) | (useLimit ? USE_READ_BUFFER_LIMIT : 0)
            | ((reserved & 0xFFL) << READ_BUFFERS_RESERVED_SHIFT) | ((allowed & 0xFFL) << READ_BUFFERS_ALLOWED_SHIFT);
    }
}
