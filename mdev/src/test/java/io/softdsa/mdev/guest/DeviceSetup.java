package io.softdsa.mdev.guest;

import java.util.List;

/**
 * The configuration the guest driver writes before enabling the device: its WQs, and for each group the engines
 * (a bitmap over the device's engines). WQs join the group their {@link WqSetup#group()} names.
 */
public record DeviceSetup(List<WqSetup> wqs, long[] groupEngines, int readBuffersAllowed) {
    public DeviceSetup {
        wqs = List.copyOf(wqs);
        groupEngines = groupEngines.clone();
    }

    /** One group 0 with every engine of a device of {@code engines} engines, and these WQs. */
    public static DeviceSetup oneGroup(int engines, WqSetup... wqs) {
        return new DeviceSetup(List.of(wqs), new long[] {(1L << engines) - 1}, 0);
    }

    @Override
    public long[] groupEngines() {
        return groupEngines.clone();
    }
}
