package io.softdsa.device.config;

import java.util.List;

/**
 * One group (GRPCFG): the engines that serve its WQs, and the read-buffer and traffic-class settings accel-config
 * saves (carried for the register file; they have no effect on the software data path).
 */
public record GroupConfig(
    int id,
    List<Integer> engines,
    int readBuffersReserved,
    boolean useReadBufferLimit,
    int readBuffersAllowed,
    int trafficClassA,
    int trafficClassB,
    int descProgressLimit,
    int batchProgressLimit) {

    public GroupConfig {
        engines = List.copyOf(engines);
    }

    public static GroupConfig of(int id, Integer... engines) {
        return new GroupConfig(id, List.of(engines), 0, false, 8, 1, 1, 0, 0);
    }
}
