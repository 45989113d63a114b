package org.imagestream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.imagestream.deploy.FlinkRestClient;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.testing.PipelineOutcomes;
import org.junit.jupiter.api.Test;

/**
 * The README's cluster path, run exactly as a user runs it: {@code bin/imagestream cluster up} (its
 * own Kafka, Cassandra, standalone Flink cluster and Prometheus, the job jar submitted with the
 * job's default topics and keyspace), {@code bin/imagestream samples} and {@code bin/imagestream
 * produce} of three samples plus a JPEG cut after 300 bytes, {@code bin/imagestream cluster stop},
 * then Ctrl-C (SIGTERM) of {@code cluster up}. The cut JPEG must end as a dead letter on the
 * default dead-letter topic with the job still RUNNING and never restarted (it once failed with
 * "Topic images-dead-letter not present in metadata"), the samples as rows, the stop must print an
 * existing savepoint, and no server may outlive {@code up}.
 */
class ClusterUpDrillITCase {
    private static final Path LAUNCHER = Path.of("bin/imagestream");

    @Test
    void shouldDeadLetterABadRecordWithTheJobThatClusterUpStartsStillRunning() throws Exception {
        Path work = Files.createTempDirectory(Path.of("target"), "cluster-up-it-").toAbsolutePath();
        Process up =
                new ProcessBuilder(
                                LAUNCHER.toString(), "cluster", "up", "--work-dir", work.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(work.resolve("up.log").toFile())
                        .start();
        try {
            Properties state = awaitSubmitted(up, work);
            String kafka = state.getProperty("kafka.bootstrap-servers");
            String jobId = state.getProperty("job.id");

            Path input = work.resolve("input");
            assertThat(run("samples", "--output", input.toString(), "--per-domain", "1").exit)
                    .isZero();
            Path jpeg;
            try (Stream<Path> files = Files.walk(input)) {
                jpeg = files.filter(f -> f.toString().endsWith(".jpg")).findFirst().orElseThrow();
            }
            Files.write(
                    input.resolve("social").resolve("cut.jpg"),
                    Arrays.copyOf(Files.readAllBytes(jpeg), 300));
            Result produced = run("produce", "--bootstrap-servers", kafka, input.toString());
            assertThat(produced.exit).as(produced.output).isZero();

            CassandraSettings cassandra =
                    CassandraSettings.builder()
                            .contactPoints(List.of(state.getProperty("cassandra.contact-points")))
                            .build();
            PipelineOutcomes.waitForResults(cassandra, 3, 180_000);
            Map<String, String> letters =
                    PipelineOutcomes.deadLetterReasons(kafka, "images-dead-letter", 1);
            assertThat(letters).hasSize(1);

            FlinkRestClient rest = new FlinkRestClient(state.getProperty("rest"));
            assertThat(rest.jobState(jobId)).isEqualTo("RUNNING");
            String jobManagerLog = Files.readString(work.resolve("flink/jobmanager.log"));
            assertThat(jobManagerLog).doesNotContain("to RESTARTING");

            Result stop = run("cluster", "stop", "--work-dir", work.toString());
            assertThat(stop.exit).as(stop.output).isZero();
            String savepoint = stop.output.strip().lines().reduce((a, b) -> b).orElseThrow();
            assertThat(Path.of(java.net.URI.create(savepoint))).isDirectory();
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n--- cluster up:\n" + tail(work), e);
        } finally {
            // Ctrl-C: cluster up stops every server it started.
            up.destroy();
            assertThat(up.waitFor(120, TimeUnit.SECONDS)).as("cluster up exits").isTrue();
        }
        assertThat(processesUsing(work)).as("servers left running").isEmpty();
    }

    /** Waits until {@code cluster up} wrote its state with a job id, failing if it exits first. */
    private static Properties awaitSubmitted(Process up, Path work) throws Exception {
        Path stateFile = work.resolve("cluster.properties");
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            if (!up.isAlive()) {
                throw new AssertionError("cluster up exited with " + up.exitValue());
            }
            if (Files.exists(stateFile)) {
                Properties state = new Properties();
                try (InputStream in = Files.newInputStream(stateFile)) {
                    state.load(in);
                }
                if (state.getProperty("job.id") != null) {
                    return state;
                }
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("cluster up did not submit the job within 5 minutes");
    }

    private record Result(int exit, String output) {}

    /** One {@code bin/imagestream} command in its own JVM, as a user runs it. */
    private static Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(300, TimeUnit.SECONDS)).isTrue();
        System.out.print(output);
        return new Result(process.exitValue(), output);
    }

    /** Processes whose command line names the work directory (the servers cluster up starts). */
    private static List<String> processesUsing(Path work) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> alive;
        do {
            alive =
                    ProcessHandle.allProcesses()
                            .filter(
                                    p ->
                                            p.info()
                                                    .commandLine()
                                                    .orElse("")
                                                    .contains(work.toString()))
                            .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
                            .toList();
            if (!alive.isEmpty()) {
                Thread.sleep(1000);
            }
        } while (!alive.isEmpty() && System.nanoTime() < deadline);
        return alive;
    }

    private static String tail(Path work) {
        try {
            List<String> lines = Files.readAllLines(work.resolve("up.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
        } catch (IOException e) {
            return e.toString();
        }
    }
}
