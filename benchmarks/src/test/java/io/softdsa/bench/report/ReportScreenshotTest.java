package io.softdsa.bench.report;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Renders a generated report with {@code scripts/report-screenshot.sh} in headless Chromium and checks the PNG is a
 * real page, not a blank or error tab. Skipped, saying why, where no browser is installed: CI must not need one.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReportScreenshotTest {
    /** The banner's background (#fff3cd): seen in the screenshot only if the page was laid out and painted. */
    private static final int BANNER_RGB = 0xfff3cd;

    private static String resource(String name) throws IOException {
        try (InputStream in = ReportScreenshotTest.class.getResourceAsStream("/report/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The script, from the module directory (Maven's working directory) or the repository root. */
    private static Path script() {
        for (Path p : List.of(Path.of("../scripts/report-screenshot.sh"), Path.of("scripts/report-screenshot.sh"))) {
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new AssertionError("scripts/report-screenshot.sh not found from " + Path.of("").toAbsolutePath());
    }

    private static Process run(Path dir, String... args) throws IOException {
        final List<String> command = new java.util.ArrayList<>(List.of("bash", script().toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("script.log").toFile()).start();
    }

    @Test
    void headlessChromiumRendersTheReport(@TempDir Path tmp) throws IOException, InterruptedException {
        final Process which = run(tmp, "--which");
        final int found = which.waitFor();
        Assumptions.assumeTrue(found != 3, "no chromium / chromium-browser / google-chrome on PATH "
            + "(apt-get install chromium to run this check)");
        assertEquals(0, found, Files.readString(tmp.resolve("script.log")));

        final Path html = tmp.resolve("report.html");
        Files.writeString(html, Html.render("softdsa benchmark report", List.of("screenshot test"),
            JmhResult.parse(resource("jmh-sample.json")),
            List.of(Hgrm.parse("memmove-4k", resource("memmove-4k.hgrm"))),
            RunRow.parse(resource("quickrun-sample.json"))));
        final Path png = tmp.resolve("report.png");
        final Process shot = run(tmp, html.toString(), png.toString());
        final boolean done = shot.waitFor(200, TimeUnit.SECONDS);
        if (!done) {
            shot.destroyForcibly();
        }
        final String log = Files.readString(tmp.resolve("script.log"));
        assertTrue(done, "browser still running after 200 s: " + log);
        assertEquals(0, shot.exitValue(), log);

        final BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image != null, "not a PNG: " + log);
        // the script's default viewport is 1400 x 4000 CSS px; a device scale factor may only enlarge it
        assertTrue(image.getWidth() >= 1400 && image.getHeight() >= 4000, image.getWidth() + "x" + image.getHeight());
        final Set<Integer> colours = new HashSet<>();
        boolean banner = false;
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                final int rgb = image.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                banner |= rgb == BANNER_RGB && y < image.getHeight() / 4;
            }
        }
        // text, axes and a dozen series colours, anti-aliased: a blank or error page has a handful
        assertTrue(colours.size() > 200, colours.size() + " distinct colours");
        assertTrue(banner, "the disturbance banner is painted near the top");
        assertTrue(Files.size(png) > 20_000, Files.size(png) + " bytes");
    }
}
