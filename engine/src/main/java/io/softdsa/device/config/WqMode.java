package io.softdsa.device.config;

/** WQ mode (WQCFG word 2 bit 0): dedicated (MOVDIR64B, one owner) or shared (ENQCMD, many submitters). */
public enum WqMode {
    SHARED("shared"),
    DEDICATED("dedicated");

    private final String accelConfigName;

    WqMode(String accelConfigName) {
        this.accelConfigName = accelConfigName;
    }

    /** The value of accel-config's {@code mode} key. */
    public String accelConfigName() {
        return accelConfigName;
    }
}
