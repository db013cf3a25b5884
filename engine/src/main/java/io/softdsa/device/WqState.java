package io.softdsa.device;

/** WQ state (WQCFG word 6 bits 31:30). */
public enum WqState {
    DISABLED,
    ENABLED
}
