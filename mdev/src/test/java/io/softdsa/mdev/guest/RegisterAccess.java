package io.softdsa.mdev.guest;

/** One access the guest driver made to its device, in order (the bring-up trace). */
public record RegisterAccess(Kind kind, long offset, int width, long value) {
    public enum Kind { CONFIG_READ, CONFIG_WRITE, MMIO_READ, MMIO_WRITE }

    public boolean isMmioWrite(long at) {
        return kind == Kind.MMIO_WRITE && offset == at;
    }

    @Override
    public String toString() {
        return kind + " 0x" + Long.toHexString(offset) + "/" + width + " = 0x" + Long.toHexString(value);
    }
}
