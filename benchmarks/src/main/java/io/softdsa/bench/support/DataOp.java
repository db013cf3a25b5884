package io.softdsa.bench.support;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The data operations benchmarked, each with the descriptor that asks the device for it and the CPU baseline that
 * computes the same thing, and {@link #verify} checks the two agree. {@link #baseline(OpBuffers, int)} holds its loop inside each constant, so every
 * operation's measured loop is compiled (and profiled) on its own.
 */
public enum DataOp {
    MEMMOVE("memmove", Opcode.MEMMOVE, "MemorySegment.copy") {
        @Override
        public void describe(Descriptor d, OpBuffers b) {
            d.opcode(Opcode.MEMMOVE).source(b.srcAddress()).destination(b.dstAddress()).transferSize(b.size());
        }

        @Override
        public long baseline(OpBuffers b, int n) {
            for (int i = 0; i < n; i++) {
                CpuKernels.copy(b);
            }
            return 0;
        }
    },
    FILL("fill", Opcode.FILL, "MemorySegment.fill") {
        @Override
        public void describe(Descriptor d, OpBuffers b) {
            d.opcode(Opcode.FILL).fillPattern(OpBuffers.FILL_PATTERN).destination(b.dstAddress())
                .transferSize(b.size());
        }

        @Override
        public long baseline(OpBuffers b, int n) {
            for (int i = 0; i < n; i++) {
                CpuKernels.fill(b);
            }
            return 0;
        }
    },
    COMPARE("compare", Opcode.COMPARE, "MemorySegment.mismatch") {
        @Override
        public void describe(Descriptor d, OpBuffers b) {
            d.opcode(Opcode.COMPARE).source(b.srcAddress()).destination(b.dstAddress()).transferSize(b.size());
        }

        @Override
        public long baseline(OpBuffers b, int n) {
            long sum = 0;
            for (int i = 0; i < n; i++) {
                sum += CpuKernels.mismatch(b);
            }
            return sum;
        }
    },
    CRC("crc-gen", Opcode.CRC_GENERATION, "CRC32C") {
        @Override
        public void describe(Descriptor d, OpBuffers b) {
            d.opcode(Opcode.CRC_GENERATION).source(b.srcAddress()).transferSize(b.size()).crcSeed(0);
        }

        @Override
        public long baseline(OpBuffers b, int n) {
            long sum = 0;
            for (int i = 0; i < n; i++) {
                sum += CpuKernels.crc32c(b);
            }
            return sum;
        }
    },
    COPY_CRC("copy-crc", Opcode.COPY_CRC, "copy + CRC32C") {
        @Override
        public void describe(Descriptor d, OpBuffers b) {
            d.opcode(Opcode.COPY_CRC).source(b.srcAddress()).destination(b.dstAddress()).transferSize(b.size())
                .crcSeed(0);
        }

        @Override
        public long baseline(OpBuffers b, int n) {
            long sum = 0;
            for (int i = 0; i < n; i++) {
                sum += CpuKernels.copyCrc32c(b);
            }
            return sum;
        }
    },
    DUALCAST("dualcast", Opcode.DUALCAST, "2 x MemorySegment.copy") {
        @Override
        public void describe(Descriptor d, OpBuffers b) {
            d.opcode(Opcode.DUALCAST).source(b.srcAddress()).destination(b.dstAddress())
                .destination2(b.dst2Address()).transferSize(b.size());
        }

        @Override
        public long baseline(OpBuffers b, int n) {
            for (int i = 0; i < n; i++) {
                CpuKernels.dualcast(b);
            }
            return 0;
        }
    };

    private final String label;
    private final int opcode;
    private final String baselineName;

    DataOp(String label, int opcode, String baselineName) {
        this.label = label;
        this.opcode = opcode;
        this.baselineName = baselineName;
    }

    /**
     * Checks that the device computes what the baseline computes before anything is timed: runs {@code slot} (built
     * with {@link #describe}) once on prepared operands and compares the outcome with the CPU's. Leaves the operands
     * as {@link OpBuffers#allocate} made them.
     *
     * @throws IllegalStateException if the device's result differs
     */
    public void verify(Slot slot, OpBuffers b) {
        final MemorySegment src = b.src();
        final MemorySegment dst = b.dst();
        final MemorySegment dst2 = b.dst2();
        switch (this) {
            case MEMMOVE, DUALCAST -> {
                dst.fill((byte) 0);
                dst2.fill((byte) 0);
                slot.execute();
                require(src.mismatch(dst) == -1, "destination differs from the source");
                require(this == MEMMOVE || src.mismatch(dst2) == -1, "destination 2 differs from the source");
            }
            case FILL -> {
                dst.fill((byte) 0);
                slot.execute();
                for (long i = 0; i < b.size(); i++) {
                    require(dst.get(ValueLayout.JAVA_BYTE, i) == OpBuffers.FILL_BYTE, "byte " + i + " not filled");
                }
            }
            case COMPARE -> {
                slot.execute();
                require(slot.record().result() == 0, "equal buffers compared unequal");
                final long last = b.size() - 1;
                dst.set(ValueLayout.JAVA_BYTE, last, (byte) ~src.get(ValueLayout.JAVA_BYTE, last));
                slot.execute();
                require(slot.record().result() == 1 && slot.record().bytesCompleted() == last,
                    "difference at " + last + " reported as " + slot.record());
            }
            case CRC -> {
                slot.execute();
                require(slot.record().crcValue() == CpuKernels.crc32c(b), "CRC differs from CRC32C");
            }
            case COPY_CRC -> {
                dst.fill((byte) 0);
                slot.execute();
                require(slot.record().crcValue() == CpuKernels.crc32c(b), "CRC differs from CRC32C");
                require(src.mismatch(dst) == -1, "destination differs from the source");
            }
        }
        MemorySegment.copy(src, 0, dst, 0, b.size());
        dst2.fill((byte) 0);
    }

    private void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(label + ": " + what);
        }
    }

    /** Writes the operation's fields for {@code b} into a zeroed descriptor (completion fields are the caller's). */
    public abstract void describe(Descriptor d, OpBuffers b);

    /** Runs the CPU baseline {@code n} times; returns a value derived from the results (keep it alive). */
    public abstract long baseline(OpBuffers b, int n);

    public String label() {
        return label;
    }

    public int opcode() {
        return opcode;
    }

    public String baselineName() {
        return baselineName;
    }
}
