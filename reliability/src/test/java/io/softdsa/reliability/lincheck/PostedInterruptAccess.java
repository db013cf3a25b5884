package io.softdsa.reliability.lincheck;

import io.softdsa.completion.PostedInterruptDescriptor;

/** The surface of {@link PostedInterruptDescriptor}, implemented by its {@link OffHeapTwin}. */
public interface PostedInterruptAccess {
    boolean post(int vector);

    int drain(PostedInterruptDescriptor.VectorSink sink);

    void clearOutstanding();

    long takeWord(int w);

    boolean anyPending();

    boolean outstandingNotification();
}
