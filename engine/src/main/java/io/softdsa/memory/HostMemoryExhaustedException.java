package io.softdsa.memory;

/** Thrown at the API boundary when host memory has no free run of the requested frames. */
public final class HostMemoryExhaustedException extends RuntimeException {
    public HostMemoryExhaustedException(String message) {
        super(message);
    }
}
