package io.softdsa.mdev.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's example runs and says what it did. */
class VirtualDsaExampleTest {
    @Test
    void exampleRunsAMemmoveInAGuest() {
        final PrintStream out = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            VirtualDsaExample.main(new String[0]);
        } finally {
            System.setOut(out);
        }
        final String text = captured.toString();
        out.print(text);
        assertTrue(text.contains("completion status 0x01"), text);
        assertTrue(text.contains("data copied"), text);
        assertTrue(text.contains("interrupts on vector 1: 1"), text);
    }
}
