package io.softdsa;


import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data path runs one way: client, then the device model that wires everything, then portal → engine → operation
 * (ops) → translation (iommu) → completion, over descriptor and memory. A package may name a class of its own level or
 * below, never one above. Every reference to an {@code io.softdsa} class in the engine's sources counts (imports,
 * fully qualified names, Javadoc links). The engine sees a WQ through {@code engine.WorkSource}, the ring lives with
 * the engine that drains it ({@code portal} writes into it from above), SWERR entries are reported like completions.
 * {@code telemetry} (counters file, JFR events) is the floor: every level reports into it, and it names none.
 */
class LayeringTest {
    /** Highest first. */
    private static final List<String> LEVELS = List.of("client", "device", "portal", "engine", "ops",
        "iommu", "completion", "descriptor", "memory", "telemetry");


    private static final Pattern REFERENCE = Pattern.compile("io\\.softdsa\\.([a-z]+)\\.(?:[a-z]+\\.)*([A-Z]\\w*)");

    @Test
    void noPackageOfTheDataPathNamesOneAboveIt() throws IOException {
        final Path root = Path.of("src/main/java/io/softdsa");
        final Set<String> upward = new TreeSet<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                final String from = root.relativize(f).getName(0).toString();
                final int fromLevel = LEVELS.indexOf(from);
                assertTrue(fromLevel >= 0, "package " + from + " has no level in the layering: add it to LEVELS");
                final Matcher m = REFERENCE.matcher(Files.readString(f));
                while (m.find()) {
                    final int toLevel = LEVELS.indexOf(m.group(1));
                    if (toLevel >= 0 && toLevel < fromLevel) {
                        upward.add(from + " -> " + m.group(1) + "." + m.group(2));
                    }
                }
            }
        }
        assertEquals(Set.of(), upward, "references to a package above");
    }
}
