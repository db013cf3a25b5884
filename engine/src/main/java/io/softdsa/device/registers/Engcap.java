package io.softdsa.device.registers;

import io.softdsa.memory.BitField;

import static io.softdsa.memory.BitField.bits;

/** ENGCAP, the engine capability register (BAR0 0x38, 64 bits, fact sheet section 14): bits 7:0 the engine count. */
public final class Engcap {
    public static final BitField ENGINES = bits(7, 0);

    private Engcap() {
    }
}
