package io.softdsa.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The one-line verdict of {@code ./softdsa test}: per module and in total, {@code N passed, M failed, K skipped},
 * counted from the surefire XML reports ({@code target/surefire-reports/TEST-*.xml}) written since the run started.
 * It depends on the JDK alone, so the entry script runs it as a source file ({@code java TestVerdict.java}) even when
 * the build failed before anything was packaged.
 *
 * <p>Usage: {@code TestVerdict [--since EPOCH_MILLIS] MODULE...}; reports older than {@code --since} are a previous
 * run's and are ignored, so a module that did not run this time says so instead of repeating stale figures.
 */
public final class TestVerdict {
    private TestVerdict() {
    }

    /** One module's counts; {@code reports == 0} means no report of this run. */
    public record Counts(int reports, int tests, int failures, int errors, int skipped) {
        static final Counts NONE = new Counts(0, 0, 0, 0, 0);

        Counts plus(Counts o) {
            return new Counts(reports + o.reports, tests + o.tests, failures + o.failures, errors + o.errors,
                skipped + o.skipped);
        }

        public int passed() {
            return tests - failures - errors - skipped;
        }

        /** Failures and errors: both are a test that did not pass. */
        public int failed() {
            return failures + errors;
        }

        /** The exact form CI reads: {@code N passed, M failed, K skipped}. */
        public String verdict() {
            return passed() + " passed, " + failed() + " failed, " + skipped + " skipped";
        }
    }

    public static void main(String[] args) throws IOException {
        long since = 0;
        final List<String> modules = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--since") && i + 1 < args.length) {
                since = Long.parseLong(args[++i]);
            } else {
                modules.add(args[i]);
            }
        }
        print(Path.of("."), modules, since, System.out);
    }

    /** Prints one line per module and the total; returns the total. */
    public static Counts print(Path root, List<String> modules, long sinceMillis, PrintStream out) throws IOException {
        Counts total = Counts.NONE;
        final int width = modules.stream().mapToInt(String::length).max().orElse(0) + 1;
        for (String module : modules) {
            final Counts c = count(root.resolve(module).resolve("target/surefire-reports"), sinceMillis);
            final String label = String.format("%-" + width + "s", module + ":");
            out.println(label + " " + (c.reports() == 0 ? "no test reports from this run" : c.verdict()));
            total = total.plus(c);
        }
        out.println("total: " + total.verdict());
        return total;
    }

    /** Sums the {@code <testsuite>} attributes of every TEST-*.xml modified at or after {@code sinceMillis}. */
    public static Counts count(Path reports, long sinceMillis) throws IOException {
        if (!Files.isDirectory(reports)) {
            return Counts.NONE;
        }
        Counts sum = Counts.NONE;
        try (Stream<Path> files = Files.list(reports)) {
            for (Path f : files.sorted().toList()) {
                final String name = f.getFileName().toString();
                if (name.startsWith("TEST-") && name.endsWith(".xml")
                    && Files.getLastModifiedTime(f).toMillis() >= sinceMillis) {
                    sum = sum.plus(suite(f));
                }
            }
        }
        return sum;
    }

    /** Reads only the root element: the counts are its attributes, the rest of the file can be large. */
    static Counts suite(Path file) throws IOException {
        final XMLInputFactory factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        try (InputStream in = Files.newInputStream(file)) {
            final XMLStreamReader r = factory.createXMLStreamReader(in);
            try {
                while (r.hasNext()) {
                    if (r.next() == XMLStreamConstants.START_ELEMENT) {
                        return new Counts(1, attr(r, "tests"), attr(r, "failures"), attr(r, "errors"),
                            attr(r, "skipped"));
                    }
                }
                return Counts.NONE;
            } finally {
                r.close();
            }
        } catch (XMLStreamException e) {
            // A report cut short (the JVM died while writing it) is a failure, not a pass.
            return new Counts(1, 1, 0, 1, 0);
        }
    }

    private static int attr(XMLStreamReader r, String name) {
        final String v = r.getAttributeValue(null, name);
        return v == null || v.isBlank() ? 0 : Integer.parseInt(v.strip());
    }
}
