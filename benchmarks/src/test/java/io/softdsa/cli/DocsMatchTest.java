package io.softdsa.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The READMEs state what the code does, where a number can be computed (issue 14, item 6): the corpus size, the
 * disturbance threshold, module commands that build what they depend on, and no options or skips that do not exist.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DocsMatchTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final List<String> READMES = List.of("README.md", "benchmarks/README.md", "reliability/README.md");

    private static String read(String path) throws IOException {
        return Files.readString(ROOT.resolve(path));
    }

    private static List<String> all(Pattern p, String text) {
        final List<String> found = new ArrayList<>();
        final Matcher m = p.matcher(text);
        while (m.find()) {
            found.add(m.group(1).replace(",", ""));
        }
        return found;
    }

    @Test
    void corpusSizeIsTheNumberOfFilesOnDisk() throws IOException {
        final long onDisk;
        try (Stream<Path> files = Files.walk(ROOT.resolve(
            "reliability/src/test/resources/io/softdsa/reliability/fuzz/DeviceFuzzTestInputs"))) {
            onDisk = files.filter(Files::isRegularFile).count();
        }
        final Pattern stated = Pattern.compile("(\\d[\\d,]*)(?:-input corpus| corpus inputs)");
        int mentions = 0;
        for (String readme : READMES) {
            for (String n : all(stated, read(readme))) {
                mentions++;
                assertEquals(String.valueOf(onDisk), n, readme + " states a corpus of " + n);
            }
        }
        assertTrue(mentions >= 2, "the READMEs state the corpus size");
    }

    @Test
    void disturbanceThresholdIsQuickRunsConstant() throws IOException {
        final Matcher c = Pattern.compile("DISTURBED = (0\\.\\d+);")
            .matcher(read("benchmarks/src/main/java/io/softdsa/bench/CpuMonitor.java"));
        assertTrue(c.find());
        final String percent = String.valueOf(Math.round(Double.parseDouble(c.group(1)) * 100));
        final Pattern stated = Pattern.compile("(?:marks rows above|used more than) (\\d+) %");
        int mentions = 0;
        for (String readme : READMES) {
            for (String n : all(stated, read(readme))) {
                mentions++;
                assertEquals(percent, n, readme);
            }
        }
        assertTrue(mentions >= 2, "the READMEs state the threshold");
    }

    @Test
    void moduleCommandsBuildWhatTheyDependOn() throws IOException {
        final Pattern mvn = Pattern.compile("(mvn [^\\n`]*-pl [^\\n`]*)");
        for (String readme : READMES) {
            for (String command : all(mvn, read(readme))) {
                assertTrue(command.contains(" -am"), readme + ": " + command);
            }
        }
    }

    @Test
    void noOptionOrSkipThatDoesNotExist() throws IOException {
        final StringBuilder sources = new StringBuilder();
        try (Stream<Path> files = Files.walk(ROOT.resolve("reliability/src"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                sources.append(Files.readString(f));
            }
        }
        final Matcher props = Pattern.compile("-D(reliability\\.[a-zA-Z.]+)").matcher(
            read("README.md") + read("reliability/README.md"));
        while (props.find()) {
            assertTrue(sources.indexOf("\"" + props.group(1) + "\"") >= 0, "documented -D" + props.group(1));
        }
        for (String readme : READMES) {
            assertFalse(read(readme).contains("findings reproducer"), readme);
        }
    }

    @Test
    void everyCommandOfTheScriptIsInTheReadme() throws IOException {
        final String readme = read("README.md");
        final String script = read("softdsa");
        final int from = script.indexOf("usage: ./softdsa COMMAND");
        final String usage = script.substring(from, script.indexOf("\nUSAGE", from));
        final Matcher m = Pattern.compile("(?m)^  ([a-z][a-z-]+) ").matcher(usage);
        int commands = 0;
        while (m.find()) {
            commands++;
            assertTrue(readme.contains("./softdsa " + m.group(1)), "README names ./softdsa " + m.group(1));
        }
        assertTrue(commands >= 14, "usage lists " + commands + " commands");
    }
}
