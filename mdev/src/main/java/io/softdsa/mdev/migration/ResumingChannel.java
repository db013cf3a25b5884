package io.softdsa.mdev.migration;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The resuming side of the migration data fd: accepts the stream in chunks split anywhere, refuses more than the
 * reader's bound, and checks the compatibility section as soon as it has arrived — an incompatible source is refused
 * at that write, before anything else is accepted. {@link #finish} (leaving RESUMING) decodes and validates the whole
 * stream; a refused channel stays refused.
 */
public final class ResumingChannel {
    private final StateReader reader;
    private byte[] data = new byte[4096];
    private int length;
    private Object first;
    private MigrationStreamException refused;

    public ResumingChannel(StateReader reader) {
        this.reader = reader;
    }

    /** Takes all of {@code src}; returns the count taken. */
    public synchronized int write(ByteBuffer src) throws MigrationStreamException {
        if (refused != null) {
            throw refused;
        }
        final int n = src.remaining();
        if ((long) length + n > reader.maxBytes()) {
            throw refuse(new MigrationStreamException(null, length, "stream beyond its bound of " + reader.maxBytes()
                + " bytes"));
        }
        if (length + n > data.length) {
            data = Arrays.copyOf(data, (int) Math.min(Math.max(data.length * 2L, length + (long) n),
                reader.maxBytes()));
        }
        src.get(data, length, n);
        length += n;
        if (first == null) {
            try {
                first = reader.peekFirst(data, length);
            } catch (MigrationStreamException e) {
                throw refuse(e);
            }
        }
        return n;
    }

    private MigrationStreamException refuse(MigrationStreamException e) {
        refused = e;
        return e;
    }

    /** Whether the compatibility section has arrived and been accepted. */
    public synchronized boolean compatibilityChecked() {
        return first != null;
    }

    public synchronized int bytesReceived() {
        return length;
    }

    /** The whole stream, decoded and validated; an incomplete or inconsistent one is refused. */
    public synchronized DecodedState finish() throws MigrationStreamException {
        if (refused != null) {
            throw refused;
        }
        try {
            return reader.decode(data, length);
        } catch (MigrationStreamException e) {
            throw refuse(e);
        }
    }
}
