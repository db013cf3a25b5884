package io.softdsa.bench;

/** One operation from submission to observed completion, nothing else in flight. */
@FunctionalInterface
interface RoundTrip {
    void execute();
}
