package io.softdsa.bench.jmh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM flags are defined once, as {@code softdsa.jvmArgs} in the parent pom: the JMH forks' {@link JvmArgs}, the
 * benchmarks jar's manifest entries and the entry script (which reads the pom line) must agree with it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class JvmFlagsAgreeTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    private static List<String> pomFlags() throws IOException {
        final Matcher m = Pattern.compile("<softdsa.jvmArgs>(.*)</softdsa.jvmArgs>")
            .matcher(Files.readString(ROOT.resolve("pom.xml")));
        assertTrue(m.find(), "softdsa.jvmArgs on one line in pom.xml");
        return Arrays.asList(m.group(1).strip().split("\\s+"));
    }

    @Test
    void jmhForksGetThePomsFlags() throws IOException {
        assertEquals(pomFlags(), List.of(JvmArgs.ALL));
    }

    @Test
    void everyForkAnnotationAppendsAllOfThem() throws IOException {
        int annotations = 0;
        try (var files = Files.list(ROOT.resolve("benchmarks/src/main/java/io/softdsa/bench/jmh"))) {
            for (Path f : files.toList()) {
                final Matcher m = Pattern.compile("jvmArgsAppend = \\{([^}]*)}").matcher(Files.readString(f));
                while (m.find()) {
                    annotations++;
                    assertEquals("JvmArgs.ADD_EXPORTS, JvmArgs.MISC_TO_UNNAMED, JvmArgs.NATIVE_ACCESS, "
                        + "JvmArgs.SUN_MISC_UNSAFE", m.group(1).strip(), f.toString());
                }
            }
        }
        assertTrue(annotations >= 7, "found " + annotations + " @Fork(jvmArgsAppend) annotations");
    }

    @Test
    void manifestAndScriptFollowThePom() throws IOException {
        final List<String> flags = pomFlags();
        final String pom = Files.readString(ROOT.resolve("benchmarks/pom.xml"));
        assertTrue(flags.contains("java.base/jdk.internal.misc=ALL-UNNAMED"));
        assertTrue(pom.contains("<Add-Exports>java.base/jdk.internal.misc</Add-Exports>"));
        assertTrue(flags.contains("--enable-native-access=ALL-UNNAMED"));
        assertTrue(pom.contains("<Enable-Native-Access>ALL-UNNAMED</Enable-Native-Access>"));
        final String script = Files.readString(ROOT.resolve("softdsa"));
        assertTrue(script.contains("<softdsa.jvmArgs>"), "the script reads the flags from the pom");
        assertFalse(script.contains("JVM_ARGS=(--add-exports"), "the script keeps no copy of the flags");
    }
}
