package io.softdsa.telemetry;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import static io.softdsa.telemetry.CountersFileLayout.*;

/**
 * The writing side of a counters file ({@link CountersFileLayout}): a memory-mapped file holding an Agrona
 * {@link CountersManager}, so that another process reads the device's counters while it runs, as AeronStat reads a
 * media driver's.
 * <p>
 * The file is built under a temporary name and moved into place whole, so a reader never maps a half-written header;
 * the magic is also stored last, with release (pairs with the reader's acquire load of it). A file already at the
 * path is replaced: a reader that still maps it keeps the old, closed one and notices the new file by its identity.
 * <p>
 * {@link #close()} stamps the close time and leaves the file on disk with its final values. The mapping itself is
 * released by the garbage collector, not by close: a submitter still inside a portal call while the device closes
 * may touch a counter, and an unmapped page would crash the JVM where a stale page costs nothing.
 */
public final class CountersFile implements AutoCloseable {
    private final Path path;
    private final UnsafeBuffer header;
    private final CountersManager manager;
    private final int capacity;

    private CountersFile(Path path, MappedByteBuffer mapped, int capacity) {
        this.path = path;
        this.capacity = capacity;
        final int metadataLength = metadataLength(capacity);
        // each UnsafeBuffer keeps `mapped` reachable: the mapping lives as long as any counter does
        this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        this.manager = new CountersManager(new UnsafeBuffer(mapped, metadataOffset(), metadataLength),
            new UnsafeBuffer(mapped, valuesOffset(metadataLength), valuesLength(capacity)), StandardCharsets.UTF_8);
    }

    /**
     * Creates (or replaces) the counters file at {@code path} with room for {@code capacity} counters.
     *
     * @throws UncheckedIOException if the file cannot be written
     */
    public static CountersFile create(Path path, String deviceName, int deviceIndex, int capacity) {
        final long length = fileLength(capacity);
        final byte[] name = deviceName.getBytes(StandardCharsets.UTF_8);
        if (name.length > MAX_DEVICE_NAME_LENGTH) {
            throw new IllegalArgumentException("device name longer than " + MAX_DEVICE_NAME_LENGTH + " bytes: "
                + deviceName);
        }
        final Path target = path.toAbsolutePath();
        Path temporary = null;
        try {
            final Path dir = target.getParent();
            Files.createDirectories(dir);
            temporary = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            final MappedByteBuffer mapped;
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
                mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, length); // grows the file, zero-filled
            }
            final CountersFile file = new CountersFile(target, mapped, capacity);
            file.writeHeader(name, deviceIndex);
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException ignored) {
                    // the original failure is the one to report
                }
            }
            throw new UncheckedIOException("counters file " + target + ": " + e.getMessage(), e);
        }
    }

    private void writeHeader(byte[] name, int deviceIndex) {
        header.putInt(METADATA_LENGTH_OFFSET, metadataLength(capacity));
        header.putInt(VALUES_LENGTH_OFFSET, valuesLength(capacity));
        header.putInt(DEVICE_INDEX_OFFSET, deviceIndex);
        header.putInt(DEVICE_NAME_LENGTH_OFFSET, name.length);
        header.putLong(PID_OFFSET, ProcessHandle.current().pid());
        header.putLong(START_TIME_OFFSET, System.currentTimeMillis());
        header.putBytes(DEVICE_NAME_OFFSET, name);
        // last, with release: a reader whose acquire load sees the magic sees every field above (and the move into
        // place makes a half-written header unreachable anyway)
        header.putLongRelease(MAGIC_OFFSET, MAGIC);
    }

    /**
     * Where {@code ./softdsa stat} looks when given no file: {@code /dev/shm/softdsa.counters} (memory, like Aeron's
     * directory), or {@code softdsa.counters} in the temporary directory where there is no {@code /dev/shm}.
     */
    public static Path defaultPath() {
        final Path shm = Path.of("/dev/shm");
        return (Files.isDirectory(shm) && Files.isWritable(shm) ? shm
            : Path.of(System.getProperty("java.io.tmpdir"))).resolve("softdsa.counters");
    }

    /** Where the file is. */
    public Path path() {
        return path;
    }

    /** Counters the file has room for. */
    public int capacity() {
        return capacity;
    }

    /** Allocates counters in the file (not thread-safe: callers hold a lock). */
    CountersManager manager() {
        return manager;
    }

    /** The device is closed: readers see the close time; the values stay as they are. */
    @Override
    public void close() {
        header.putLongRelease(CLOSE_TIME_OFFSET, System.currentTimeMillis());
    }
}
