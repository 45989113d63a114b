package org.imagestream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.imagestream.localstack.FlinkClusterServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.testing.PacedProducer;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Failure drills on the real standalone cluster, one after another on one stream (a 4-partition
 * topic read at parallelism 2, 1 image in 10 malformed): the Kafka broker is stopped for 15 s and
 * restarted; the job is cancelled and a new one restored from its last retained checkpoint; the
 * Cassandra node is stopped for 30 s and restarted. Afterwards every good image has exactly one
 * result row and listing row and a byte-exact blob, every malformed one exactly one dead letter.
 *
 * <p>Slow (about 5 minutes): runs with {@code mvn verify -Pdrills}. The default run keeps the
 * TaskManager kill ({@link TaskManagerFailureITCase}) and Cassandra outage
 * (CassandraOutageDrillITCase).
 */
@ExtendWith(LocalStackExtension.class)
class ClusterFaultsDrillITCase {
    private static final int IMAGES = 1200;

    @Test
    void shouldLoseAndDuplicateNothingThroughBrokerRestartCancelRestoreAndCassandraOutage(
            LocalStack stack) throws Exception {
        try (FlinkClusterServer cluster = ClusterDeploymentITCase.startCluster("faults")) {
            try {
                ClusterDeploymentITCase.withLogsOnFailure(cluster, () -> drill(stack, cluster));
            } finally {
                // Leave the shared servers up for the tests that follow.
                if (!stack.kafka().isAlive()) {
                    stack.kafka().restart();
                }
                if (!stack.cassandra().isAlive()) {
                    stack.cassandra().restart();
                }
            }
        }
    }

    private static void drill(LocalStack stack, FlinkClusterServer cluster) throws Exception {
        FlinkRestClient rest = new FlinkRestClient(cluster.restUrl());
        String jarId = ClusterDeploymentITCase.uploadJobJar(rest);
        TestStreams streams = TestStreams.create(stack, "faults", 4);
        List<String> args =
                ClusterDeploymentITCase.jobArgs(
                        stack, streams.topic(), streams.deadLetterTopic(), streams.keyspace());
        String job = rest.runJar(jarId, args, null);
        rest.awaitRunning(job, Duration.ofSeconds(120));
        // ~80 s of images at 15/s; the producer itself rides out the broker restart (its sends
        // are retried until delivery.timeout.ms).
        try (PacedProducer producer =
                PacedProducer.start(
                        stack.bootstrapServers(), streams.topic(), IMAGES, 15, 10, 53)) {
            // 1. Kafka broker down for 15 s.
            PipelineOutcomes.waitForResults(streams.settings(), 100, 180_000);
            stack.kafka().stop();
            Thread.sleep(15_000);
            stack.kafka().restart();

            // 2. Cancel, then a new job restored from the last retained checkpoint.
            PipelineOutcomes.waitForResults(streams.settings(), 300, 300_000);
            String checkpoint =
                    rest.latestCheckpoint(job)
                            .orElseThrow(() -> new AssertionError("no completed checkpoint"));
            rest.cancel(job);
            rest.awaitState(job, "CANCELED", Duration.ofSeconds(60));
            // Cancelling does not wait for a newer one: the last completed checkpoint now is
            // the one to restore from (retained on cancellation by flink-conf/).
            checkpoint = rest.latestCheckpoint(job).orElse(checkpoint);
            assertThat(Files.isDirectory(Path.of(java.net.URI.create(checkpoint))))
                    .as("retained checkpoint " + checkpoint)
                    .isTrue();
            job = rest.runJar(jarId, args, checkpoint);
            rest.awaitRunning(job, Duration.ofSeconds(120));
            String restored =
                    rest.get("/jobs/" + job + "/checkpoints")
                            .path("latest")
                            .path("restored")
                            .path("external_path")
                            .asText();
            assertThat(restored).isEqualTo(checkpoint);

            // 3. Cassandra down for 30 s.
            PipelineOutcomes.waitForResults(streams.settings(), 500, 300_000);
            stack.cassandra().stop();
            Thread.sleep(30_000);
            stack.cassandra().restart();

            producer.await(300_000);
            assertThat(producer.good().size() + producer.malformed().size()).isEqualTo(IMAGES);
            PipelineOutcomes.assertExactOutcome(
                    streams.settings(),
                    stack.bootstrapServers(),
                    streams.deadLetterTopic(),
                    producer,
                    true,
                    400_000);
            assertThat(rest.jobState(job)).isEqualTo("RUNNING");
            rest.cancel(job);
        }
    }
}
