package io.softdsa.device.registers;

import io.softdsa.memory.BitField;

import static io.softdsa.memory.BitField.bit;
import static io.softdsa.memory.BitField.bits;

/**
 * GENCAP, the general capability register (BAR0 0x10, 64 bits, fact sheet section 14): the one codec the engine's
 * {@code DeviceCapabilities} encodes with and a virtual device's register file and guest driver decode with.
 *
 * <pre>
 *   31 30     25 24   21 20    16 15 14 13 12  10 9 8 7   5 4 3 2 1 0
 *  +--+---------+-------+--------+--+-----+------+-+-+-----+-+-+-+-+-+
 *  |CF| IMS/256 | batch | xfer   |BC| EVL |  -   |D|R|  -  |C|F|M|O|B|
 *  +--+---------+-------+--------+--+-----+------+-+-+-----+-+-+-+-+-+
 *  B block on fault, O overlapping copy, M cache control (memory), F cache control (cache flush), C CMDCAP present,
 *  R destination readback, D drain readback, EVL event-log support, BC batch continuation, xfer max transfer shift,
 *  batch max batch shift, CF configurable
 * </pre>
 */
public final class Gencap {
    public static final BitField BLOCK_ON_FAULT = bit(0);
    public static final BitField OVERLAPPING_COPY = bit(1);
    public static final BitField CACHE_CONTROL_MEMORY = bit(2);
    public static final BitField CACHE_CONTROL_FLUSH = bit(3);
    public static final BitField CMDCAP = bit(4);
    public static final BitField DESTINATION_READBACK = bit(8);
    public static final BitField DRAIN_READBACK = bit(9);
    public static final BitField EVENT_LOG = bits(14, 13);
    public static final BitField BATCH_CONTINUATION = bit(15);
    public static final BitField MAX_TRANSFER_SHIFT = bits(20, 16);
    public static final BitField MAX_BATCH_SHIFT = bits(24, 21);
    /** Interrupt message storage size in units of 256 entries. */
    public static final BitField IMS_SIZE = bits(30, 25);
    public static final BitField CONFIGURABLE = bit(31);

    /** IMS_SIZE counts entries in units of this many. */
    public static final int IMS_UNIT = 256;

    /** The capability flags a virtual device may pass through from its host (the rest it reports itself). */
    public static final long OPERATION_FLAGS = BLOCK_ON_FAULT.mask() | OVERLAPPING_COPY.mask()
        | CACHE_CONTROL_MEMORY.mask() | CACHE_CONTROL_FLUSH.mask() | DESTINATION_READBACK.mask()
        | DRAIN_READBACK.mask();

    private Gencap() {
    }
}
