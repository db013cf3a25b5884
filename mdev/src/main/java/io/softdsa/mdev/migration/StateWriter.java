package io.softdsa.mdev.migration;

import java.util.HashSet;
import java.util.Set;

/**
 * Writes a device-state stream: {@link #header}, named {@link #section sections} (each at its description's
 * version_id), {@link #end}. Stream layout (big-endian):
 * <pre>
 *  header   magic u32 'SDSA' (0x53445341) | format version u32 (1)
 *  section  0x01 | name length u8 | name | version_id u32 | body length u32 | body   (body: {@link VmStateDescription})
 *  end      0xFF | number of sections u32
 * </pre>
 * The stream is bounded ({@link #DEFAULT_MAX_BYTES} unless told); {@link #take} hands out what was written since
 * the last take, so a saving side can send the first sections (PRE_COPY) before the rest exists (STOP_COPY).
 */
public final class StateWriter {
    public static final int MAGIC = 0x5344_5341;
    public static final int FORMAT_VERSION = 1;
    public static final int SECTION = 0x01;
    public static final int END = 0xFF;
    /** Default bound of a stream: far above a virtual DSA's state, far below what would hurt the host. */
    public static final long DEFAULT_MAX_BYTES = 16L << 20;

    private final StreamOut out;
    private final Set<String> names = new HashSet<>();
    private int taken;
    private boolean started;
    private boolean ended;

    public StateWriter() {
        this(DEFAULT_MAX_BYTES);
    }

    public StateWriter(long maxBytes) {
        if (maxBytes < 16 || maxBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("stream bound " + maxBytes);
        }
        this.out = new StreamOut(maxBytes);
    }

    public StateWriter header() {
        if (started) {
            throw new IllegalStateException("header written twice");
        }
        started = true;
        out.u32(MAGIC);
        out.u32(FORMAT_VERSION);
        return this;
    }

    /** Appends one section; a stream larger than its bound is refused with the section's name. */
    public <T> StateWriter section(VmStateDescription<T> description, T state) throws MigrationStreamException {
        if (!started || ended) {
            throw new IllegalStateException(started ? "section after the end marker" : "section before the header");
        }
        if (!names.add(description.name())) {
            throw new IllegalStateException("section '" + description.name() + "' written twice");
        }
        final int start = out.length();
        try {
            out.u8(SECTION);
            VmStateDescription.writeName(description.name(), out);
            out.u32(description.versionId());
            final int at = out.length();
            out.u32(0);
            description.writeBody(state, out);
            out.patchU32(at, out.length() - at - 4);
        } catch (StreamOut.StreamTooLarge e) {
            throw new MigrationStreamException(description.name(), start, e.getMessage());
        }
        return this;
    }

    public StateWriter end() throws MigrationStreamException {
        if (!started || ended) {
            throw new IllegalStateException(started ? "end marker written twice" : "end before the header");
        }
        try {
            out.u8(END);
            out.u32(names.size());
        } catch (StreamOut.StreamTooLarge e) {
            throw new MigrationStreamException(null, out.length(), e.getMessage());
        }
        ended = true;
        return this;
    }

    /** Bytes written so far. */
    public int length() {
        return out.length();
    }

    /** The bytes written since the previous take. */
    public byte[] take() {
        final byte[] b = out.copy(taken, out.length());
        taken = out.length();
        return b;
    }

    /** The whole stream written so far. */
    public byte[] toByteArray() {
        return out.copy(0, out.length());
    }
}
