package io.softdsa.device;

/** Device state as GENSTS bits 1:0 report it. */
public enum DeviceState {
    DISABLED(0),
    ENABLED(1),
    DRAINING(2),
    HALTED(3);

    private final int gensts;

    DeviceState(int gensts) {
        this.gensts = gensts;
    }

    public int gensts() {
        return gensts;
    }
}
