package io.softdsa.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./softdsa}'s usage paths, which answer before any JDK lookup or build: help exits 0, an unknown command or a
 * bad argument is one line on stderr and exit 2, never a stack trace or a Maven block.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScriptUsageTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    record Run(int code, String out, String err) {
    }

    private static Run run(String... args) throws IOException, InterruptedException {
        final List<String> command = new java.util.ArrayList<>(List.of("bash", ROOT.resolve("softdsa").toString()));
        command.addAll(List.of(args));
        final Process p = new ProcessBuilder(command).directory(ROOT.toFile()).start();
        p.getOutputStream().close();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out, err);
    }

    @Test
    void helpInEveryFormAndBareExitZero() throws Exception {
        for (String[] args : List.of(new String[] {"help"}, new String[] {"--help"}, new String[] {"-h"},
            new String[0])) {
            final Run r = run(args);
            assertEquals(0, r.code(), String.join(" ", args));
            assertTrue(r.out().startsWith("usage: ./softdsa COMMAND"), r.out());
            assertTrue(r.out().contains("  perf "), r.out());
            assertEquals("", r.err());
        }
    }

    @Test
    void usageErrorsAreOneLineAndExitTwo() throws Exception {
        for (String[] args : List.of(new String[] {"bogus"}, new String[] {"sva", "abc"},
            new String[] {"sva", "0"}, new String[] {"side-by-side", "abc"}, new String[] {"example-vdev", "--bogus"},
            new String[] {"example", "x"}, new String[] {"example-sva", "x"}, new String[] {"config"},
            new String[] {"config", "frob"}, new String[] {"--config"}, new String[] {"--config", "/no/such", "perf"},
            new String[] {"--device", "iax0", "perf"}, new String[] {"flame", "-x"},
            new String[] {"first-hour", "extra"}, new String[] {"stat", "--bogus"},
            new String[] {"stat", "--interval", "x"}, new String[] {"stat", "--interval"},
            new String[] {"stat", "/no/such/counters"}, new String[] {"stat", "a", "b"}, new String[] {"bench-ab"},
            new String[] {"bench-ab", "HEAD"}, new String[] {"bench-ab", "HEAD", "no-such-revision"},
            new String[] {"bench-ab", "HEAD", "HEAD", "0"}, new String[] {"bench-ab", "HEAD", "HEAD", "3", "x"})) {
            final Run r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals("", r.out(), String.join(" ", args));
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("softdsa: "), r.err());
            assertFalse(r.err().contains("Exception") || r.err().contains("[ERROR]"), r.err());
        }
    }

    @Test
    void subCommandHelpExitsZero() throws Exception {
        final Run r = run("side-by-side", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("  side-by-side "), r.out());
        final Run stat = run("stat", "--help");
        assertEquals(0, stat.code());
        assertTrue(stat.out().startsWith("  stat [FILE] "), stat.out());
        final Run ab = run("bench-ab", "--help");
        assertEquals(0, ab.code());
        assertTrue(ab.out().startsWith("  bench-ab REV_A REV_B [ROUNDS] "), ab.out());
    }
}
