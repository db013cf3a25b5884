package io.softdsa.telemetry;

/** A path that is not a readable softdsa counters file: missing, foreign, truncated, or of another layout version. */
public final class CountersFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CountersFileException(String message) {
        super(message);
    }
}
