package io.softdsa.device;

/** Who runs the engines: a thread each (default), or the embedder through {@code Engine.invoke()}. */
public enum Threading {
    /** One {@link org.agrona.concurrent.AgentRunner} thread per engine. */
    THREAD_PER_ENGINE,
    /** No threads: the embedder calls {@code Engine.invoke()} (deterministic tests, custom schedulers). */
    INVOKER
}
