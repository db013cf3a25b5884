package io.softdsa.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The device's "host physical memory": one off-heap region whose offsets are host-physical addresses. Every DMA
 * access of the device lands inside it, and bounds-checked {@link MemorySegment} access means a bug can raise an
 * exception but never write outside it.
 * <p>
 * On Linux the region is an anonymous {@code mmap(MAP_NORESERVE)}, so 4 GiB and more cost nothing until touched and
 * transparent huge pages may back it; elsewhere it falls back to {@link Arena#allocate}.
 */
public final class HostMemory implements AutoCloseable {
    public static final long DEFAULT_SIZE = 256L << 20;

    private final Arena arena;
    private final MemorySegment segment;
    /**
     * The same region in a second shared arena, for JDK intrinsics that take a {@link java.nio.ByteBuffer} (CRC32C):
     * each such call acquires and releases its buffer's session with two CASes, and on {@link #arena}'s session they
     * would write the cache line that every other access to host memory reads for its liveness check. Closed first.
     */
    private final Arena bufferViewArena;
    private final MemorySegment bufferView;
    private final FrameAllocator frames;
    private final boolean mmapped;

    private HostMemory(Arena arena, MemorySegment segment, boolean mmapped) {
        this.arena = arena;
        this.segment = segment;
        this.mmapped = mmapped;
        this.frames = new FrameAllocator(segment.byteSize());
        this.bufferViewArena = Arena.ofShared();
        this.bufferView = view(segment, bufferViewArena);
    }

    @SuppressWarnings("restricted") // the view never outlives the region: close() closes its arena first
    private static MemorySegment view(MemorySegment region, Arena arena) {
        return region.reinterpret(arena, null);
    }

    public static HostMemory allocate() {
        return allocate(DEFAULT_SIZE);
    }

    /** @param bytes size, a multiple of 4 KiB and at least 8 KiB */
    public static HostMemory allocate(long bytes) {
        if (bytes < 2 * FrameAllocator.FRAME_SIZE || (bytes & (FrameAllocator.FRAME_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("host memory size must be a multiple of " + Page.SIZE + " and >= " + 2 * Page.SIZE + ": " + bytes);
        }
        final Arena arena = Arena.ofShared();
        try {
            final Optional<MemorySegment> mapped = Mmap.map(bytes, arena);
            if (mapped.isPresent()) {
                return new HostMemory(arena, mapped.get(), true);
            }
            return new HostMemory(arena, arena.allocate(bytes, FrameAllocator.LARGE_2M), false);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    /** The whole region; offset = host-physical address. */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * The whole region again, for {@link java.nio.ByteBuffer} views that intrinsics read: same addresses, but a
     * session of its own, so a buffer operation's session acquire never touches the cache line that every access
     * through {@link #segment()} reads. Closed, before the region, by {@link #close()}.
     */
    public MemorySegment bufferView() {
        return bufferView;
    }

    public long size() {
        return segment.byteSize();
    }

    public FrameAllocator frames() {
        return frames;
    }

    public boolean isMmapped() {
        return mmapped;
    }

    /** Whether [address, address + length) lies inside host memory (overflow-safe). */
    public boolean contains(long address, long length) {
        return address >= 0 && length >= 0 && address <= segment.byteSize() - length;
    }

    /** A physically contiguous, 4 KiB aligned buffer of at least {@code bytes}, zeroed. */
    public HostBuffer allocateBuffer(long bytes) {
        return allocateBuffer(bytes, FrameAllocator.FRAME_SIZE);
    }

    public HostBuffer allocateBuffer(long bytes, long alignment) {
        final long address = frames.allocateContiguous(bytes, alignment);
        final long rounded = (bytes + FrameAllocator.FRAME_SIZE - 1) & -FrameAllocator.FRAME_SIZE;
        segment.asSlice(address, rounded).fill((byte) 0);
        return new HostBuffer(this, address, bytes);
    }

    @Override
    public void close() {
        closeBufferViews();
        arena.close();
    }

    /**
     * A buffer view in use (an intrinsic between its acquire and release: one bounded call) refuses to close; wait
     * for it, so no intrinsic reads the region after it is unmapped.
     */
    private void closeBufferViews() {
        while (bufferViewArena.scope().isAlive()) {
            try {
                bufferViewArena.close();
            } catch (IllegalStateException inUse) {
                Thread.onSpinWait();
            }
        }
    }

    /** Anonymous private mapping through the C library, found with the FFM linker. */
    @SuppressWarnings("restricted") // native access is granted by softdsa.jvmArgs (--enable-native-access)
    private static final class Mmap {
        private static final int PROT_READ = 0x1;
        private static final int PROT_WRITE = 0x2;
        private static final int MAP_PRIVATE = 0x02;
        private static final int MAP_ANONYMOUS = 0x20;
        private static final int MAP_NORESERVE = 0x4000;
        private static final int MADV_HUGEPAGE = 14;
        private static final MethodHandle MMAP;
        private static final MethodHandle MUNMAP;
        private static final MethodHandle MADVISE;

        static {
            MethodHandle mmap = null;
            MethodHandle munmap = null;
            MethodHandle madvise = null;
            final String arch = System.getProperty("os.arch", "");
            if (System.getProperty("os.name", "").toLowerCase().contains("linux")
                && ("amd64".equals(arch) || "aarch64".equals(arch))) {
                try {
                    final Linker linker = Linker.nativeLinker();
                    final var lookup = linker.defaultLookup();
                    mmap = linker.downcallHandle(lookup.find("mmap").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                    munmap = linker.downcallHandle(lookup.find("munmap").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                    madvise = linker.downcallHandle(lookup.find("madvise").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                } catch (RuntimeException | Error e) {
                    mmap = null;
                }
            }
            MMAP = mmap;
            MUNMAP = munmap;
            MADVISE = madvise;
        }

        static Optional<MemorySegment> map(long bytes, Arena arena) {
            if (MMAP == null) {
                return Optional.empty();
            }
            try {
                final MemorySegment base = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
                if (base.address() == -1L || base.address() == 0L) {
                    return Optional.empty();
                }
                // Large pages cut TLB misses on multi-MiB copies; advice only, failure is harmless.
                final int ignored = (int) MADVISE.invokeExact(base, bytes, MADV_HUGEPAGE);
                final long address = base.address();
                return Optional.of(base.reinterpret(bytes, arena, segment -> unmap(address, bytes)));
            } catch (Throwable t) {
                return Optional.empty();
            }
        }

        private static void unmap(long address, long bytes) {
            try {
                final int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), bytes);
            } catch (Throwable ignored) {
                // nothing sensible to do while an arena closes
            }
        }
    }
}
