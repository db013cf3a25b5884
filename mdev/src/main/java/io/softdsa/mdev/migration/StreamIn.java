package io.softdsa.mdev.migration;

/**
 * Bounded big-endian reader of a device-state stream: every read checks what is left of the current frame first,
 * so a forged length or a truncated stream is a {@link MigrationStreamException} naming the section and offset.
 */
final class StreamIn {
    private final byte[] bytes;
    private int position;
    /** End of the frame being read (the stream, a section body, a subsection body). */
    private int end;
    private String section;
    /** Set when any body was written at a version other than this build's version_id. */
    private boolean olderVersion;

    StreamIn(byte[] bytes, int length) {
        this.bytes = bytes;
        this.end = length;
    }

    int position() {
        return position;
    }

    int end() {
        return end;
    }

    int remaining() {
        return end - position;
    }

    void version(int read, int current) {
        olderVersion |= read != current;
    }

    boolean olderVersion() {
        return olderVersion;
    }

    String section() {
        return section;
    }

    void section(String name) {
        this.section = name;
    }

    /** Narrows the frame to the next {@code length} bytes; returns the old end for {@link #leave}. */
    int enter(long length) throws MigrationStreamException {
        need(length);
        final int old = end;
        end = position + (int) length;
        return old;
    }

    /** Leaves a frame: it must have been consumed exactly. */
    void leave(int oldEnd) throws MigrationStreamException {
        if (position != end) {
            throw fail((end - position) + " bytes left over at the end of the body");
        }
        end = oldEnd;
    }

    MigrationStreamException fail(String message) {
        return new MigrationStreamException(section, position, message);
    }

    void need(long n) throws MigrationStreamException {
        if (n < 0 || n > end - position) {
            throw fail("truncated: needs " + n + " bytes, " + (end - position) + " left");
        }
    }

    int u8() throws MigrationStreamException {
        need(1);
        return bytes[position++] & 0xFF;
    }

    int u16() throws MigrationStreamException {
        need(2);
        final int v = (bytes[position] & 0xFF) << 8 | bytes[position + 1] & 0xFF;
        position += 2;
        return v;
    }

    int u32() throws MigrationStreamException {
        need(4);
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = v << 8 | bytes[position++] & 0xFF;
        }
        return v;
    }

    long u64() throws MigrationStreamException {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | bytes[position++] & 0xFF;
        }
        return v;
    }

    byte[] bytes(long n) throws MigrationStreamException {
        need(n);
        final byte[] b = new byte[(int) n];
        System.arraycopy(bytes, position, b, 0, (int) n);
        position += (int) n;
        return b;
    }

    /** A length or count field: unsigned 32 bits, at most {@code max}. */
    long count(String what, long max) throws MigrationStreamException {
        final long n = u32() & 0xFFFF_FFFFL;
        if (n > max) {
            position -= 4;
            throw fail(what + " " + n + " beyond its bound " + max);
        }
        return n;
    }
}
