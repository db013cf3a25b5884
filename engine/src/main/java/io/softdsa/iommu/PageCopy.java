package io.softdsa.iommu;

import io.softdsa.memory.Page;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.LongUnaryOperator;

/** CPU-side copies into and out of a paged address space, one 4 KiB page at a time through its translation. */
final class PageCopy {
    private static final long PAGE = Page.SIZE;

    private PageCopy() {
    }

    /** Stores {@code src} at {@code address}; {@code hostOf} gives each page's host address (or throws). */
    static void write(MemorySegment host, LongUnaryOperator hostOf, long address, MemorySegment src) {
        for (long done = 0; done < src.byteSize(); ) {
            final long n = Math.min(src.byteSize() - done, PAGE - ((address + done) & (PAGE - 1)));
            MemorySegment.copy(src, done, host, hostOf.applyAsLong(address + done), n);
            done += n;
        }
    }

    /** Loads {@code length} bytes at {@code address}. */
    static byte[] read(MemorySegment host, LongUnaryOperator hostOf, long address, int length) {
        final byte[] out = new byte[length];
        for (int done = 0; done < length; ) {
            final int n = (int) Math.min(length - done, PAGE - ((address + done) & (PAGE - 1)));
            MemorySegment.copy(host, ValueLayout.JAVA_BYTE, hostOf.applyAsLong(address + done), out, done, n);
            done += n;
        }
        return out;
    }
}
