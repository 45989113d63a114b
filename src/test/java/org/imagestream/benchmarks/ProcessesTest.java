package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.FileUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ProcessesTest {
    @Test
    @Timeout(60)
    void shouldSetTheNicenessOfEveryThreadOfAProcess() throws Exception {
        // A JVM: many threads of its own (GC, JIT compilers, signal dispatcher...), started
        // with a one-file program that only waits.
        Path program = Files.createTempDirectory("renice").resolve("Wait.java");
        Files.writeString(
                program,
                "class Wait { public static void main(String[] a) throws Exception {"
                        + " System.out.println(\"ready\"); Thread.sleep(60_000); } }");
        Process child =
                new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-Xmx32m",
                                program.toString())
                        .redirectErrorStream(true)
                        .start();
        try {
            long pid = child.pid();
            // Started, its program compiled, its threads settled.
            String firstLine =
                    new java.io.BufferedReader(
                                    new java.io.InputStreamReader(child.getInputStream()))
                            .readLine();
            assertThat(firstLine).isEqualTo("ready");
            Thread.sleep(500);
            assertThat(threadNiceness(pid)).hasSizeGreaterThanOrEqualTo(5).doesNotContain(7);

            int threads = Processes.reniceEveryThread(pid, 7);

            List<Integer> after = threadNiceness(pid);
            assertThat(threads).isGreaterThanOrEqualTo(5);
            assertThat(after).isNotEmpty().containsOnly(7);
        } finally {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            FileUtils.deleteDirectory(program.getParent().toFile());
        }
    }

    /**
     * Each thread's niceness as procps' {@code ps} reports it (the reference, not /proc parsing).
     */
    private static List<Integer> threadNiceness(long pid) throws Exception {
        Process ps =
                new ProcessBuilder("ps", "-L", "-o", "ni=", "-p", Long.toString(pid))
                        .redirectErrorStream(true)
                        .start();
        String output = new String(ps.getInputStream().readAllBytes());
        assertThat(ps.waitFor()).as(output).isZero();
        List<Integer> niceness = new ArrayList<>();
        for (String line : output.strip().split("\\s*\\n\\s*")) {
            niceness.add(Integer.parseInt(line.strip()));
        }
        return niceness;
    }
}
