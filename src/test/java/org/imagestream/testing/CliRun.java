package org.imagestream.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.imagestream.cli.ImagestreamCli;
import picocli.CommandLine;

/**
 * The {@code imagestream} command line run in-process, as a user runs it, with what it printed.
 *
 * @param exitCode the command's exit code
 * @param text everything it printed to standard output (also echoed to the test's output)
 */
public record CliRun(int exitCode, String text) {
    public static CliRun of(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = new CommandLine(new ImagestreamCli()).execute(args);
        } finally {
            System.setOut(original);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        original.print(text);
        return new CliRun(exit, text);
    }
}
