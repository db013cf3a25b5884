package io.softdsa.testing;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Operation tests over {@link Fixture#sharedWq()}: a fresh device and completion record per test. */
public abstract class SharedWqTestBase {
    protected Fixture f;
    protected CompletionRecord cr;

    @BeforeEach
    void setUpDevice() {
        f = Fixture.sharedWq();
        cr = f.client.completionRecord();
    }

    @AfterEach
    void closeDevice() {
        f.close();
    }

    /** A fresh zeroed descriptor of {@code opcode}. */
    protected Descriptor desc(int opcode) {
        return f.client.descriptor().opcode(opcode);
    }
}
