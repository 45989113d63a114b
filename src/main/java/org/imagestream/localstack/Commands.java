package org.imagestream.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Short-lived tools (a storage format, keytool), as opposed to the servers of {@link
 * ServerProcess}.
 */
public final class Commands {
    private Commands() {}

    /** The {@code java} launcher of the running JDK, for child JVMs of the same version. */
    public static String javaLauncher() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Runs {@code command} to completion with its output in {@code log}; fails with that output
     * when it exits non-zero or is still running after {@code timeout}.
     *
     * @param what names the step in error messages, e.g. "Kafka storage format"
     */
    public static void run(List<String> command, Path log, Duration timeout, String what)
            throws IOException {
        Process process =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(what + " failed: " + Files.readString(log));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during " + what, e);
        }
    }
}
