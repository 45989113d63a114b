package org.imagestream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference tools the build fetches from Debian into {@code target/localstack/tools/root}
 * ({@code localstack/tools.sh}: libwebp's, libjpeg-turbo's and OpenJPEG's command-line tools,
 * DCMTK, pydicom, scikit-image's sample photographs), and a runner for their commands.
 */
public final class ReferenceTools {
    /** Where the unpacked packages live. */
    public static final Path ROOT =
            Path.of(System.getProperty("imagestream.localstack.dir", "target/localstack"))
                    .resolve("tools/root");

    private ReferenceTools() {}

    /** A tool's executable, e.g. {@code cwebp}. */
    public static String bin(String name) {
        return ROOT.resolve("usr/bin").resolve(name).toString();
    }

    /** A finished command: its exit code and its output (stdout and stderr). */
    public record Run(int exitCode, String output) {}

    /** Runs a tool with the unpacked libraries on its library path; at most 2 minutes. */
    public static Run run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment()
                .put("LD_LIBRARY_PATH", ROOT.resolve("usr/lib/x86_64-linux-gnu").toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).as(String.join(" ", command)).isTrue();
        return new Run(process.exitValue(), output);
    }
}
