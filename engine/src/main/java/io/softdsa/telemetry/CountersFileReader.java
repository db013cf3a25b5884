package io.softdsa.telemetry;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

import static io.softdsa.telemetry.CountersFileLayout.*;

/**
 * The reading side of a counters file, for any process (as AeronStat maps a media driver's CnC file): the file mapped
 * read-only and an Agrona {@link CountersReader} over its buffers, plus what the header says about the device that
 * writes it. Reading takes no lock and never disturbs the writer: values are read with volatile loads, which pair
 * with the writer's release stores (and its atomic adds).
 */
public final class CountersFileReader implements AutoCloseable {
    private final Path path;
    private final Object fileKey;
    private final Arena arena;
    private final UnsafeBuffer header;
    private final CountersReader counters;
    private final String deviceName;

    private CountersFileReader(Path path, Object fileKey, Arena arena, MemorySegment mapped, int metadataLength,
                               int valuesLength) {
        this.path = path;
        this.fileKey = fileKey;
        this.arena = arena;
        this.header = new UnsafeBuffer(mapped.address(), HEADER_LENGTH);
        this.counters = new CountersReader(
            new UnsafeBuffer(mapped.address() + metadataOffset(), metadataLength),
            new UnsafeBuffer(mapped.address() + valuesOffset(metadataLength), valuesLength), StandardCharsets.UTF_8);
        final byte[] name = new byte[Math.min(MAX_DEVICE_NAME_LENGTH,
            Math.max(0, header.getInt(DEVICE_NAME_LENGTH_OFFSET)))];
        header.getBytes(DEVICE_NAME_OFFSET, name);
        this.deviceName = new String(name, StandardCharsets.UTF_8);
    }

    /**
     * Maps the counters file at {@code path}.
     *
     * @throws CountersFileException if there is no file, or it is not a softdsa counters file of this layout
     */
    public static CountersFileReader open(Path path) {
        final BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new CountersFileException(path + ": no such file");
        } catch (IOException e) {
            throw new CountersFileException(path + ": cannot read it (" + e.getMessage() + ")");
        }
        if (!attributes.isRegularFile()) {
            throw new CountersFileException(path + ": not a regular file");
        }
        final long size = attributes.size();
        if (size < HEADER_LENGTH) {
            throw notOurs(path, size + " bytes, shorter than the header");
        }
        final Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            final MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            final UnsafeBuffer header = new UnsafeBuffer(mapped.address(), HEADER_LENGTH);
            header.getLongAcquire(MAGIC_OFFSET); // pairs with the writer's release store of the magic, stored last
            final byte[] magic = new byte[VERSION_OFFSET];
            header.getBytes(MAGIC_OFFSET, magic);
            if (!MAGIC_TEXT.equals(new String(magic, StandardCharsets.ISO_8859_1))) {
                throw notOurs(path, "no softdsa header");
            }
            final int version = header.getByte(VERSION_OFFSET) & 0xFF;
            if (version != VERSION) {
                throw new CountersFileException(path + ": a softdsa counters file of layout version " + version
                    + "; this softdsa reads version " + VERSION);
            }
            final int metadataLength = header.getInt(METADATA_LENGTH_OFFSET);
            final int valuesLength = header.getInt(VALUES_LENGTH_OFFSET);
            final String problem = checkLengths(size, metadataLength, valuesLength);
            if (problem != null) {
                throw notOurs(path, problem);
            }
            return new CountersFileReader(path, attributes.fileKey(), arena, mapped, metadataLength, valuesLength);
        } catch (IOException e) {
            arena.close();
            throw new CountersFileException(path + ": cannot map it (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static CountersFileException notOurs(Path path, String why) {
        return new CountersFileException(path + ": not a softdsa counters file (" + why + ")");
    }

    public Path path() {
        return path;
    }

    public CountersReader counters() {
        return counters;
    }

    public String deviceName() {
        return deviceName;
    }

    public int deviceIndex() {
        return header.getInt(DEVICE_INDEX_OFFSET);
    }

    /** The process that created the file. */
    public long pid() {
        return header.getLong(PID_OFFSET);
    }

    public long startMillis() {
        return header.getLong(START_TIME_OFFSET);
    }

    /** When the device closed, or 0 while it runs. */
    public long closeMillis() {
        return header.getLongAcquire(CLOSE_TIME_OFFSET); // pairs with the writer's release store at close
    }

    /** Whether the device is still open and its process alive (a killed process never stamps a close time). */
    public boolean writerRunning() {
        return closeMillis() == 0 && ProcessHandle.of(pid()).map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * Whether the path now names another file than the one mapped (a new device replaced it) or nothing at all: a
     * reader that keeps watching opens it again.
     */
    public boolean replaced() {
        try {
            final Object now = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            return !Objects.equals(now, fileKey);
        } catch (IOException e) {
            return true;
        }
    }

    /** Unmaps the file; the reader and its counters must not be used afterwards. */
    @Override
    public void close() {
        arena.close();
    }
}
