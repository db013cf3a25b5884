package io.softdsa.mdev.vmm;

/**
 * How a VMM migrates (QEMU's migration parameters, reduced to what this model has): at most {@code maxRounds}
 * pre-copy rounds after the first full pass; converged once a round finds at most {@code convergedDirtyBytes} of
 * dirty RAM (QEMU's downtime-limit × bandwidth); RAM pages sent at most at {@code bandwidthBytesPerSecond} (the
 * link; {@link Long#MAX_VALUE} = as fast as memory copies go; the few KiB of device state are not paced); the
 * device's data fd read in chunks of {@code streamChunk} bytes.
 */
public record MigrationOptions(int maxRounds, long convergedDirtyBytes, long bandwidthBytesPerSecond, int streamChunk) {
    /** 8 rounds, converged at 256 KiB, an unlimited link, 64 KiB reads. */
    public static final MigrationOptions DEFAULTS = new MigrationOptions(8, 256L << 10, Long.MAX_VALUE, 64 << 10);

    public MigrationOptions {
        if (maxRounds < 0) {
            throw new IllegalArgumentException("maxRounds must be >= 0: " + maxRounds);
        }
        if (convergedDirtyBytes < 0) {
            throw new IllegalArgumentException("convergedDirtyBytes must be >= 0: " + convergedDirtyBytes);
        }
        if (bandwidthBytesPerSecond <= 0) {
            throw new IllegalArgumentException("bandwidth must be positive: " + bandwidthBytesPerSecond);
        }
        if (streamChunk < 64) {
            throw new IllegalArgumentException("stream chunk must be >= 64 bytes: " + streamChunk);
        }
    }

    public MigrationOptions withMaxRounds(int rounds) {
        return new MigrationOptions(rounds, convergedDirtyBytes, bandwidthBytesPerSecond, streamChunk);
    }

    public MigrationOptions withConvergedDirtyBytes(long bytes) {
        return new MigrationOptions(maxRounds, bytes, bandwidthBytesPerSecond, streamChunk);
    }

    public MigrationOptions withBandwidth(long bytesPerSecond) {
        return new MigrationOptions(maxRounds, convergedDirtyBytes, bytesPerSecond, streamChunk);
    }

    public MigrationOptions withStreamChunk(int bytes) {
        return new MigrationOptions(maxRounds, convergedDirtyBytes, bandwidthBytesPerSecond, bytes);
    }
}
