package io.softdsa.mdev.migration;

/**
 * A device-state stream that cannot be accepted: bad header, unknown or duplicate section, version outside
 * [minimum_version_id, version_id], truncated data, trailing bytes, a length beyond its bound, an incompatible
 * source device or a state that fails its consistency check. Names the section and the byte offset in the stream.
 */
public final class MigrationStreamException extends Exception {
    private final String section;
    private final long offset;

    public MigrationStreamException(String section, long offset, String message) {
        super((section == null ? "stream" : "section '" + section + "'") + " at offset " + offset + ": " + message);
        this.section = section;
        this.offset = offset;
    }

    public MigrationStreamException(String section, long offset, String message, Throwable cause) {
        this(section, offset, message);
        initCause(cause);
    }

    /** The section being read, or null for the stream header and framing. */
    public String section() {
        return section;
    }

    /** Byte offset in the stream where the problem was found. */
    public long offset() {
        return offset;
    }
}
