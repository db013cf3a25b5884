package io.softdsa.ops;

/**
 * What a device advertises that changes how descriptors are checked (GENCAP bits and the DSA generation): the view
 * the operation rules need of the device's capabilities, so that operations do not depend on the device model.
 */
public interface OperationFeatures {
    /** DSA 2.0 (VERSION 0x200): its operations and flags exist. */
    boolean isDsa2();

    /** GENCAP bit 0. */
    boolean blockOnFault();

    /** GENCAP bit 2. */
    boolean cacheControlMemory();

    /** GENCAP bit 3. */
    boolean cacheControlFlush();

    /** GENCAP bit 8. */
    boolean destinationReadback();

    /** GENCAP bit 9. */
    boolean drainReadback();

    /** Whether this generation of the device defines {@code opcode}. */
    boolean generationDefines(int opcode);
}
