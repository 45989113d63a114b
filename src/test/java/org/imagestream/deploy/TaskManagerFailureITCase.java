package org.imagestream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.imagestream.localstack.FlinkClusterServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.localstack.PrometheusServer;
import org.imagestream.testing.PacedProducer;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Failure drill on the real standalone cluster: the only TaskManager is killed with {@code kill -9}
 * mid-stream (no shutdown, no deregistration, like a lost machine) and a replacement joins. The job
 * restarts from its last checkpoint and afterwards every image has exactly one result row and every
 * malformed one exactly one dead letter. A real Prometheus scraping the cluster with the shipped
 * alerting rules ({@code docker/prometheus/alerts.yml}) fires {@code ImagestreamJobRestarting}. Its
 * own cluster, so the metrics test in {@link ClusterDeploymentITCase} keeps scraping an unharmed
 * one.
 */
@ExtendWith(LocalStackExtension.class)
class TaskManagerFailureITCase {
    @Test
    void shouldLoseNothingAndDuplicateNothingWhenTheTaskManagerIsKilled(LocalStack stack)
            throws Exception {
        try (FlinkClusterServer cluster = ClusterDeploymentITCase.startCluster("tm-kill");
                PrometheusServer prometheus =
                        PrometheusServer.start(
                                PrometheusServer.locateBinary(
                                        ClusterDeploymentITCase.localStackDirectory()),
                                cluster.workDirectory().resolve("prometheus"),
                                cluster.metricsTargets(),
                                List.of(ALERT_RULES))) {
            ClusterDeploymentITCase.withLogsOnFailure(
                    cluster, () -> drill(stack, cluster, new PrometheusQueries(prometheus.url())));
        }
    }

    /** The alerting rules the compose Prometheus and 'cluster up' load. */
    private static final Path ALERT_RULES =
            Path.of(System.getProperty("imagestream.docker.dir", "docker"))
                    .resolve("prometheus/alerts.yml");

    private static final String RESTART_ALERT = "ImagestreamJobRestarting";

    /** A condition checked every second for up to 60 s. */
    interface Condition {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s: " + what);
            }
            Thread.sleep(1000);
        }
    }

    private static void drill(
            LocalStack stack, FlinkClusterServer cluster, PrometheusQueries promql)
            throws Exception {
        FlinkRestClient rest = new FlinkRestClient(cluster.restUrl());
        String jarId = ClusterDeploymentITCase.uploadJobJar(rest);
        TestStreams streams = TestStreams.create(stack, "tmkill");
        List<String> args =
                ClusterDeploymentITCase.jobArgs(
                        stack, streams.topic(), streams.deadLetterTopic(), streams.keyspace());
        String job = rest.runJar(jarId, args, null);
        rest.awaitRunning(job, Duration.ofSeconds(120));
        // Produced only once the job runs, ~40 s of images of all three domains (1 in 10
        // malformed), so most of them arrive after the kill and need the restarted job.
        try (PacedProducer producer =
                PacedProducer.start(stack.bootstrapServers(), streams.topic(), 600, 15, 10, 43)) {
            PipelineOutcomes.waitForResults(streams.settings(), 60, 180_000);
            // The restart alert is loaded and quiet while the job is healthy, with the restart
            // counter already scraped (an increase needs a sample before the kill).
            assertThat(promql.alertRuleNames()).contains(RESTART_ALERT);
            awaitTrue(
                    () -> promql.seriesCount("flink_jobmanager_job_numRestarts") > 0,
                    "numRestarts scraped");
            assertThat(promql.alertState(RESTART_ALERT)).isEqualTo("inactive");
            cluster.killTaskManager(0);
            cluster.addTaskManager();
            producer.await(120_000);
            assertThat(producer.good().size() + producer.malformed().size()).isEqualTo(600);
            PipelineOutcomes.assertExactOutcome(
                    streams.settings(),
                    stack.bootstrapServers(),
                    streams.deadLetterTopic(),
                    producer,
                    false,
                    300_000);
            assertThat(rest.jobState(job)).isEqualTo("RUNNING");
            // The drill really hit the job: it went through a restart.
            String jobManagerLog =
                    java.nio.file.Files.readString(
                            cluster.workDirectory().resolve("jobmanager.log"));
            assertThat(jobManagerLog).contains("switched from state RUNNING to RESTARTING");
            // ... and the real Prometheus, evaluating the shipped rules on the real metrics, fires
            // the restart alert.
            awaitTrue(() -> "firing".equals(promql.alertState(RESTART_ALERT)), RESTART_ALERT);
            rest.cancel(job);
        }
    }
}
