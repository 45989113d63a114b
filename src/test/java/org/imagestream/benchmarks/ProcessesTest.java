package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ProcessesTest {
    @Test
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

            // The kernel's view of each thread: field 19 of /proc/PID/task/TID/stat.
            List<Integer> after = threadNiceness(pid);
            assertThat(threads).isGreaterThanOrEqualTo(5);
            assertThat(after).hasSizeGreaterThanOrEqualTo(threads).containsOnly(7);
        } finally {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static List<Integer> threadNiceness(long pid) throws Exception {
        List<Integer> niceness = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat = Files.readString(task.resolve("stat"));
                // Fields after the command name, which ends with the last ')'.
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                niceness.add(Integer.parseInt(fields[16]));
            }
        }
        return niceness;
    }
}
