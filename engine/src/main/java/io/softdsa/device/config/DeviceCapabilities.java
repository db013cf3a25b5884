package io.softdsa.device.config;

import io.softdsa.descriptor.Opcode;
import io.softdsa.device.registers.Gencap;

/**
 * What the device reports in VERSION, GENCAP, WQCAP, GRPCAP, ENGCAP and OPCAP (fact sheet section 14), and so what
 * it accepts. Defaults are the fact sheet's softdsa defaults: 8 WQs, 4 engines, 4 groups, total WQ size 128, max
 * transfer 2^31, max batch 1024, DSA 2.0 with every optional capability.
 */
public record DeviceCapabilities(
    int version,
    int maxWqs,
    int maxEngines,
    int maxGroups,
    int totalWqSize,
    int maxTransferShift,
    int maxBatchShift,
    boolean blockOnFault,
    boolean overlappingCopy,
    boolean cacheControlMemory,
    boolean cacheControlFlush,
    boolean destinationReadback,
    boolean drainReadback,
    int interruptHandles) implements io.softdsa.ops.OperationFeatures {

    public static final int VERSION_1_0 = 0x100;
    public static final int VERSION_2_0 = 0x200;

    public DeviceCapabilities {
        if (version != VERSION_1_0 && version != VERSION_2_0) {
            throw new IllegalArgumentException("version must be 0x100 or 0x200: 0x" + Integer.toHexString(version));
        }
        if (maxWqs < 1 || maxWqs > 255 || maxEngines < 1 || maxEngines > 255 || maxGroups < 1 || maxGroups > 255) {
            throw new IllegalArgumentException("WQ, engine and group counts must be 1..255");
        }
        if (totalWqSize < 1 || totalWqSize > 0xFFFF) {
            throw new IllegalArgumentException("total WQ size must be 1..65535: " + totalWqSize);
        }
        if (maxTransferShift < 5 || maxTransferShift > 31 || maxBatchShift < 1 || maxBatchShift > 15) {
            throw new IllegalArgumentException("max transfer shift 5..31, max batch shift 1..15");
        }
        if (interruptHandles < 1 || interruptHandles > 2048) {
            throw new IllegalArgumentException("interrupt handles must be 1..2048: " + interruptHandles);
        }
    }

    public static DeviceCapabilities defaults() {
        return new DeviceCapabilities(VERSION_2_0, 8, 4, 4, 128, 31, 10,
            true, true, true, true, true, true, 1 + 8);
    }

    /** A DSA 1.0 (Sapphire Rapids) profile: GENCAP 0x40915f0107, no cache-flush control or drain readback. */
    public static DeviceCapabilities dsa1() {
        return new DeviceCapabilities(VERSION_1_0, 8, 4, 4, 128, 31, 10,
            true, true, true, false, true, false, 1 + 8);
    }

    public DeviceCapabilities withInterruptHandles(int handles) {
        return new DeviceCapabilities(version, maxWqs, maxEngines, maxGroups, totalWqSize, maxTransferShift,
            maxBatchShift, blockOnFault, overlappingCopy, cacheControlMemory, cacheControlFlush, destinationReadback,
            drainReadback, handles);
    }

    public DeviceCapabilities withVersion(int newVersion) {
        return new DeviceCapabilities(newVersion, maxWqs, maxEngines, maxGroups, totalWqSize, maxTransferShift,
            maxBatchShift, blockOnFault, overlappingCopy, cacheControlMemory, cacheControlFlush, destinationReadback,
            drainReadback, interruptHandles);
    }

    public DeviceCapabilities withGencapFlags(boolean bof, boolean ccMemory, boolean ccFlush, boolean destReadback,
                                              boolean drainRb) {
        return new DeviceCapabilities(version, maxWqs, maxEngines, maxGroups, totalWqSize, maxTransferShift,
            maxBatchShift, bof, overlappingCopy, ccMemory, ccFlush, destReadback, drainRb, interruptHandles);
    }

    public long maxTransferSize() {
        return 1L << maxTransferShift;
    }

    public int maxBatchSize() {
        return 1 << maxBatchShift;
    }

    public boolean isDsa2() {
        return version >= VERSION_2_0;
    }

    /** GENCAP as the register reports it ({@link Gencap}). */
    public long gencap() {
        return Gencap.BLOCK_ON_FAULT.encode(blockOnFault)
            | Gencap.OVERLAPPING_COPY.encode(overlappingCopy)
            | Gencap.CACHE_CONTROL_MEMORY.encode(cacheControlMemory)
            | Gencap.CACHE_CONTROL_FLUSH.encode(cacheControlFlush)
            | Gencap.CMDCAP.encode(isDsa2())
            | Gencap.DESTINATION_READBACK.encode(destinationReadback)
            | Gencap.DRAIN_READBACK.encode(drainReadback)
            | Gencap.MAX_TRANSFER_SHIFT.encode(maxTransferShift)
            | Gencap.MAX_BATCH_SHIFT.encode(maxBatchShift)
            | Gencap.IMS_SIZE.encode((interruptHandles + Gencap.IMS_UNIT - 1) / Gencap.IMS_UNIT)
            | Gencap.CONFIGURABLE.encode(true);
    }

    /**
     * Whether this device generation defines {@code opcode}: DSA 1.0 lacks translation fetch and DIX generate
     * (fact sheet section 2). Which of these the engine implements is {@code OperationRules}' business.
     */
    public boolean generationDefines(int opcode) {
        return switch (opcode) {
            case Opcode.NOOP, Opcode.BATCH, Opcode.DRAIN, Opcode.MEMMOVE, Opcode.FILL, Opcode.COMPARE,
                 Opcode.COMPARE_PATTERN, Opcode.CREATE_DELTA, Opcode.APPLY_DELTA, Opcode.DUALCAST,
                 Opcode.CRC_GENERATION, Opcode.COPY_CRC, Opcode.DIF_CHECK, Opcode.DIF_INSERT, Opcode.DIF_STRIP,
                 Opcode.DIF_UPDATE, Opcode.CACHE_FLUSH -> true;
            case Opcode.TRANSLATION_FETCH, Opcode.DIX_GENERATE -> isDsa2();
            default -> false;
        };
    }
}
