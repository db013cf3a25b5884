package io.softdsa.device;

/** Who runs the engines: a thread each (default), or the embedder through {@code Engine.invoke()}. */
public enum Threading {
    /** One {@link org.agrona.concurrent.AgentRunner} thread per engine. */
    THREAD_PER_ENGINE,
    /**
     * No threads: the embedder calls {@code Engine.invoke()}, and each call runs one descriptor at most (deterministic
     * tests step the device one descriptor at a time).
     */
    INVOKER,
    /**
     * No threads, and each {@code Engine.invoke()} is a runner thread's duty cycle: it takes a run of published
     * descriptors with one claim and holds their completions back to the run's end, as an engine with its own thread
     * does. For an embedder's own duty loop (Agrona's {@code AgentInvoker} style), and for measuring the threaded
     * engine's per-descriptor work on one core.
     */
    INVOKER_RUNS
}
