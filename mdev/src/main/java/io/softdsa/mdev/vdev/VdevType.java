package io.softdsa.mdev.vdev;

/**
 * The virtual-device types a host offers (as mdev types in sysfs): one dedicated WQ, one shared WQ, or a slice of
 * the whole device — several WQs and the engines of whole host groups, configured by the guest as a device.
 */
public enum VdevType {
    /** One dedicated WQ on an exclusively assigned host WQ; the WQ's group shares the host group's engines. */
    DEDICATED_WQ("dsa-1dwq"),
    /** One shared WQ on an exclusively assigned host WQ; PASIDs (translated per guest) tell submitters apart. */
    SHARED_WQ("dsa-1swq"),
    /** Several WQs and the engines of whole host groups; the guest chooses modes and grouping. */
    DEVICE_SLICE("dsa-slice");

    private final String mdevTypeName;

    VdevType(String mdevTypeName) {
        this.mdevTypeName = mdevTypeName;
    }

    public String mdevTypeName() {
        return mdevTypeName;
    }
}
