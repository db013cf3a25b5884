package io.softdsa.completion;

/** Receives a completion interrupt: called on the engine thread after the completion record is visible. */
@FunctionalInterface
public interface InterruptHandler {
    void onInterrupt(int handle);
}
