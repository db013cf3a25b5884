package io.softdsa.device.registers;

import io.softdsa.memory.BitField;

import static io.softdsa.memory.BitField.bit;
import static io.softdsa.memory.BitField.bits;

/**
 * GRPCAP, the group capability register (BAR0 0x30, 64 bits, fact sheet section 14).
 *
 * <pre>
 *   63      19 18 17 16 15        8 7          0
 *  +----------+--+--+--+-----------+------------+
 *  |    -     |PL|RL|RC| read bufs |   groups   |
 *  +----------+--+--+--+-----------+------------+
 *  RC read-buffer control, RL read-buffer limit, PL progress limits
 * </pre>
 */
public final class Grpcap {
    public static final BitField GROUPS = bits(7, 0);
    public static final BitField TOTAL_READ_BUFFERS = bits(15, 8);
    public static final BitField READ_BUFFER_CONTROL = bit(16);
    public static final BitField READ_BUFFER_LIMIT = bit(17);
    public static final BitField PROGRESS_LIMITS = bit(18);

    private Grpcap() {
    }
}
