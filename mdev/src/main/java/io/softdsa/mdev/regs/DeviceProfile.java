package io.softdsa.mdev.regs;

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
        if (opcap.length != Bar0Layout.OPCAP_WORDS) {
            throw new IllegalArgumentException("OPCAP is 4 x 64 bits");
        }
        if (wqs < 1 || wqs > Math.min(255, Bar0Layout.MAX_WQS) || groups < 1 || groups > Bar0Layout.MAX_GROUPS
            || engines < 1 || engines > 64 || vectors < 2 || vectors > Bar0Layout.MAX_VECTORS) {
            throw new IllegalArgumentException("geometry out of the register file's range: wqs " + wqs + ", groups "
                + groups + ", engines " + engines + ", vectors " + vectors);
        }
    }

    public int totalWqSize() {
        return (int) (wqcap & 0xFFFF);
    }

    public int maxTransferShift() {
        return (int) (gencap >>> Bar0Layout.GENCAP_MAX_TRANSFER_SHIFT) & 0x1F;
    }

    public int maxBatchShift() {
        return (int) (gencap >>> Bar0Layout.GENCAP_MAX_BATCH_SHIFT) & 0xF;
    }

    public boolean blockOnFault() {
        return (gencap & Bar0Layout.GENCAP_BLOCK_ON_FAULT) != 0;
    }

    public boolean sharedMode() {
        return (wqcap & Bar0Layout.WQCAP_SHARED) != 0;
    }

    public boolean dedicatedMode() {
        return (wqcap & Bar0Layout.WQCAP_DEDICATED) != 0;
    }

    public int totalReadBuffers() {
        return (int) (grpcap >>> Bar0Layout.GRPCAP_READ_BUFFERS_SHIFT) & 0xFF;
    }

    public boolean opcodeSupported(int opcode) {
        return opcode >= 0 && opcode < 256 && (opcap[opcode >>> 6] & (1L << opcode)) != 0;
    }

    public long[] opcap() {
        return opcap.clone();
    }
}
