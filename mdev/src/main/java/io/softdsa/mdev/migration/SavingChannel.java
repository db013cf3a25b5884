package io.softdsa.mdev.migration;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The saving side of the migration data fd: the device appends the stream in parts (PRE_COPY's initial part, more
 * pre-copy data, and at STOP_COPY the rest with the end marker); the VMM {@link #read}s it in chunks of any size, as
 * {@code read()} on the data fd: a positive count, 0 at the end of a complete stream, or {@link #ENOMSG} when a
 * pre-copy stream has no more data for now (it is not ended: more may come, and STOP_COPY completes it).
 */
public final class SavingChannel {
    /** {@code -ENOMSG}: the read reached the temporary end of the pre-copy data. */
    public static final int ENOMSG = -42;

    private byte[] data = new byte[0];
    private int length;
    private int readPosition;
    private final int initialEnd;
    private final long maxBytes;
    private boolean complete;
    private boolean closed;

    /** A channel whose initial part (PRE_COPY) is {@code initialPart}, bounded by {@code maxBytes} in all. */
    public SavingChannel(byte[] initialPart, long maxBytes) {
        this.maxBytes = maxBytes;
        append0(initialPart);
        this.initialEnd = length;
    }

    /** More pre-copy data (state that changed since the initial part); it counts as dirty bytes. */
    public synchronized void append(byte[] more) {
        if (complete || closed) {
            throw new IllegalStateException("the saving stream is " + (closed ? "closed" : "complete"));
        }
        append0(more);
    }

    /** STOP_COPY: the rest of the stream, end marker included; reads then drain it and answer 0. */
    public synchronized void complete(byte[] finalPart) {
        append(finalPart);
        complete = true;
    }

    private void append0(byte[] more) {
        if ((long) length + more.length > maxBytes) {
            throw new IllegalStateException("saving stream beyond its bound of " + maxBytes + " bytes");
        }
        if (length + more.length > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, length + more.length));
        }
        System.arraycopy(more, 0, data, length, more.length);
        length += more.length;
    }

    /**
     * Copies up to {@code dst.remaining()} bytes of the stream; returns the count, 0 at the end of a complete stream,
     * or {@link #ENOMSG} in pre-copy when everything available has been read.
     */
    public synchronized int read(ByteBuffer dst) {
        if (closed) {
            throw new IllegalStateException("the saving stream is closed");
        }
        if (!dst.hasRemaining()) {
            throw new IllegalArgumentException("a read of 0 bytes says nothing");
        }
        if (readPosition < length) {
            final int n = Math.min(dst.remaining(), length - readPosition);
            dst.put(data, readPosition, n);
            readPosition += n;
            return n;
        }
        return complete ? 0 : ENOMSG;
    }

    /** {@code VFIO_MIG_GET_PRECOPY_INFO}; only while the stream is a pre-copy stream (the uAPI's EINVAL otherwise). */
    public synchronized PrecopyInfo precopyInfo() {
        if (complete || closed) {
            throw new IllegalStateException("precopy info outside PRE_COPY");
        }
        final long initial = Math.max(0, initialEnd - readPosition);
        final long dirty = length - Math.max(readPosition, initialEnd);
        return new PrecopyInfo(initial, dirty);
    }

    public synchronized boolean isComplete() {
        return complete;
    }

    /** The device left the saving states: the fd answers nothing more. */
    public synchronized void close() {
        closed = true;
    }
}
