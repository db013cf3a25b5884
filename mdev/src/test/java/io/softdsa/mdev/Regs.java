package io.softdsa.mdev;

import io.softdsa.mdev.vdev.VirtualDsa;

import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Raw register access to a virtual device for tests, with literal fact-sheet offsets. */
final class Regs {
    static final int CMD = 0xA0;
    static final int CMDSTS = 0xA8;
    static final int GRPCFG = 0x400;
    static final int WQCFG = 0x500;

    final VirtualDsa dev;

    Regs(VirtualDsa dev) {
        this.dev = dev;
    }

    long r(int offset, int width) {
        return dev.mmioRead(0, offset, width);
    }

    void w(int offset, int width, long value) {
        dev.mmioWrite(0, offset, width, value);
    }

    /** Issues command {@code code} with {@code operand}; returns CMDSTS once bit 31 clears. */
    int cmd(int code, int operand) {
        w(CMD, 4, ((code << 20) | operand) & 0xFFFF_FFFFL);
        long sts;
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (((sts = r(CMDSTS, 4)) & 0x8000_0000L) != 0) {
            assertTrue(System.nanoTime() < deadline, "command stuck");
            LockSupport.parkNanos(10_000);
        }
        return (int) sts;
    }

    /** The CMDSTS error code of a command. */
    int err(int code, int operand) {
        return cmd(code, operand) & 0xFF;
    }

    /** Memory space + bus master; with {@code sva}, ATS, PASID and PRI enabled too. */
    Regs pci(boolean sva) {
        dev.configWrite(0x04, 2, 0x6);
        if (sva) {
            dev.configWrite(0x106, 2, 0x8000);
            dev.configWrite(0x116, 2, 0x5);
            dev.configWrite(0x124, 2, 0x1);
        }
        return this;
    }

    /** WQCFG of WQ {@code q}: size, threshold, word 2, word 3. */
    Regs wq(int q, int size, int threshold, int word2, int word3) {
        final int base = WQCFG + 64 * q;
        w(base, 4, size);
        w(base + 4, 4, threshold);
        w(base + 8, 4, word2 & 0xFFFF_FFFFL);
        w(base + 12, 4, word3);
        return this;
    }

    /** A shared WQ, PASID enabled, priority 10, 2 MiB / 32. */
    Regs sharedWq(int q, int size) {
        return wq(q, size, size, (1 << 28) | (10 << 4), 21 | (5 << 5));
    }

    /** A dedicated WQ, PASID disabled, priority 10, 2 MiB / 32. */
    Regs dedicatedWq(int q, int size) {
        return wq(q, size, 0, 1 | (10 << 4), 21 | (5 << 5));
    }

    /** GRPCFG of group {@code g}: WQ bitmap, engine bitmap, flags. */
    Regs group(int g, long wqs, long engines, long flags) {
        final int base = GRPCFG + 64 * g;
        w(base, 8, wqs);
        w(base + 0x20, 8, engines);
        w(base + 0x28, 8, flags);
        return this;
    }

    static int wqOperand(int q) {
        return (1 << (q & 15)) | ((q >>> 4) << 16);
    }
}
