package io.softdsa.completion;

/**
 * Receives a completion interrupt. Called on the owner's interrupt-delivery thread (never an engine's), after the
 * completion record that asked for it is visible; several raises before a delivery may be coalesced into one call,
 * as MSI pending bits are: there is at least one call after each record. May throw or block: only its own owner's
 * later deliveries wait for it.
 */
@FunctionalInterface
public interface InterruptHandler {
    void onInterrupt(int handle);
}
