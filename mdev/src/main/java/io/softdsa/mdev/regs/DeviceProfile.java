package io.softdsa.mdev.regs;

import io.softdsa.device.registers.Gencap;
import io.softdsa.device.registers.Grpcap;
import io.softdsa.device.registers.Opcap;
import io.softdsa.device.registers.Wqcap;

/**
 * What a virtual device reports about itself: the read-only capability registers and the geometry (WQs, groups,
 * engines, MSI-X vectors) the register file is laid out for.
 *
 * @param modeSupport whether WQCFG word 6 bit 29 says the WQs can switch between shared and dedicated mode
 */
public record DeviceProfile(int version, long gencap, long wqcap, long grpcap, long engcap, long[] opcap, int cmdcap,
                            int wqs, int groups, int engines, int vectors, boolean modeSupport) {
    public DeviceProfile {
        opcap = opcap.clone();
        if (opcap.length != Opcap.WORDS) {
            throw new IllegalArgumentException("OPCAP is 4 x 64 bits");
        }
        if (wqs < 1 || wqs > Math.min(255, Bar0Layout.MAX_WQS) || groups < 1 || groups > Bar0Layout.MAX_GROUPS
            || engines < 1 || engines > 64 || vectors < 2 || vectors > Bar0Layout.MAX_VECTORS) {
            throw new IllegalArgumentException("geometry out of the register file's range: wqs " + wqs + ", groups "
                + groups + ", engines " + engines + ", vectors " + vectors);
        }
    }

    public int totalWqSize() {
        return Wqcap.TOTAL_WQ_SIZE.getInt(wqcap);
    }

    public int maxTransferShift() {
        return Gencap.MAX_TRANSFER_SHIFT.getInt(gencap);
    }

    public int maxBatchShift() {
        return Gencap.MAX_BATCH_SHIFT.getInt(gencap);
    }

    public boolean blockOnFault() {
        return Gencap.BLOCK_ON_FAULT.isSet(gencap);
    }

    public boolean sharedMode() {
        return Wqcap.SHARED.isSet(wqcap);
    }

    public boolean dedicatedMode() {
        return Wqcap.DEDICATED.isSet(wqcap);
    }

    public int totalReadBuffers() {
        return Grpcap.TOTAL_READ_BUFFERS.getInt(grpcap);
    }

    public boolean opcodeSupported(int opcode) {
        return Opcap.has(opcap, opcode);
    }

    public long[] opcap() {
        return opcap.clone();
    }
}
