package org.imagestream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.io.FileUtils;
import org.imagestream.localstack.FlinkClusterServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.PacedProducer;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestStreams;
import org.imagestream.training.ModelStoreAccess;
import org.imagestream.training.ModelVersions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A roll-out, then a lost TaskManager before the next checkpoint, on the real standalone cluster.
 * The job serves social version 1 from a model root; batch A is stored and a checkpoint taken
 * (state: version 1 serving); version 2 (the same network, labels reversed, so every social top
 * label changes) is rolled out while the job runs and batch B is classified by it; version 1 is
 * deleted; the only TaskManager is killed with {@code kill -9} and a replacement joins. The job
 * restarts from that checkpoint (before the roll-out) and replays B: every B row is rewritten,
 * every social one still by version 2 (none goes back to 1, which could not even load), and the
 * listing table holds exactly one row per result, under the stored top label.
 *
 * <p>Periodic checkpoints are pushed out of the way (interval = min pause = 6 min: Flink's first
 * periodic checkpoint comes no earlier than the min pause, and none within the min pause of a
 * completed one), so the failure lands at a known distance from the triggered checkpoint instead of
 * racing the interval. Slow (about 2 minutes): runs with {@code mvn verify -Pdrills}.
 */
@ExtendWith(LocalStackExtension.class)
class RolloutFailoverDrillITCase {
    private static final int BATCH = 45;

    @Test
    void shouldKeepTheRolledOutVersionAndOneListingRowWhenTheTaskManagerIsLost(LocalStack stack)
            throws Exception {
        // 1 x (30 s timeout + 6 min interval + 6 min pause) = 12.5 min stays within the 15 min
        // dead-letter transaction timeout the job checks at start.
        Map<String, String> checkpointing =
                Map.of(
                        "execution.checkpointing.interval", "6min",
                        "execution.checkpointing.min-pause", "6min",
                        "execution.checkpointing.timeout", "30s",
                        "execution.checkpointing.tolerable-failed-checkpoints", "0");
        try (FlinkClusterServer cluster =
                ClusterDeploymentITCase.startCluster("rollout-failover", 1, checkpointing)) {
            ClusterDeploymentITCase.withLogsOnFailure(cluster, () -> drill(stack, cluster));
        }
    }

    private static void drill(LocalStack stack, FlinkClusterServer cluster) throws Exception {
        FlinkRestClient rest = new FlinkRestClient(cluster.restUrl());
        String jarId = ClusterDeploymentITCase.uploadJobJar(rest);
        TestStreams streams = TestStreams.create(stack, "rolloutkill");
        Path seed = Path.of(ModelStoreAccess.seedModels().get(Domain.SOCIAL).directory());
        Path modelRoot = cluster.workDirectory().resolve("social-models");
        FileUtils.deleteDirectory(modelRoot.toFile());
        Files.createDirectories(modelRoot);
        ModelVersions.publish(seed, modelRoot, "1", false);

        List<String> args =
                ClusterDeploymentITCase.jobArgs(
                        stack, streams.topic(), streams.deadLetterTopic(), streams.keyspace());
        args = ClusterDeploymentITCase.withOption(args, "model.social.dir", modelRoot.toString());
        args = ClusterDeploymentITCase.withOption(args, "model.poll-interval", "1 s");
        // The job option would win over the cluster's interval: leave checkpointing to flink-conf.
        int interval = args.indexOf("--job.checkpoint-interval");
        args.remove(interval + 1);
        args.remove(interval);
        String job = rest.runJar(jarId, args, null);
        rest.awaitRunning(job, Duration.ofSeconds(120));

        // Batch A on version 1, then a checkpoint that records version 1 as serving.
        PacedProducer batchA =
                PacedProducer.start(stack.bootstrapServers(), streams.topic(), BATCH, 30, 0, 81);
        batchA.await(60_000);
        PipelineOutcomes.waitForResults(streams.settings(), BATCH, 120_000);
        long checkpoint = rest.triggerCheckpoint(job, Duration.ofSeconds(60));

        // Roll out version 2 while the job runs; batch B once both subtasks serve it.
        ModelVersions.publishWithReversedLabels(seed, modelRoot, "2");
        awaitLogLines(cluster, "Rolled out social model", 2);
        PacedProducer batchB =
                PacedProducer.start(stack.bootstrapServers(), streams.topic(), BATCH, 30, 0, 82);
        batchB.await(60_000);
        PipelineOutcomes.waitForResults(streams.settings(), 2 * BATCH, 120_000);
        Map<String, StoredResult> beforeKill = rows(streams);
        List<String> socialB = new ArrayList<>();
        for (String id : batchB.good().keySet()) {
            if (beforeKill.get(id).domain().equals(Domain.SOCIAL.id())) {
                socialB.add(id);
                assertThat(beforeKill.get(id).modelVersion()).as(id).isEqualTo("2");
            }
        }
        assertThat(socialB).isNotEmpty();
        assertThat(rest.latestCheckpointId(job))
                .as("no checkpoint after the roll-out")
                .hasValue(checkpoint);

        // Version 1 pruned, then the TaskManager lost before the next checkpoint.
        FileUtils.deleteDirectory(modelRoot.resolve("1").toFile());
        Instant killed = Instant.now();
        cluster.killTaskManager(0);
        cluster.addTaskManager();

        // The restarted job restored the pre-roll-out checkpoint and rewrote all of batch B.
        Map<String, StoredResult> after = awaitRewritten(streams, batchB.good().keySet(), killed);
        assertThat(rest.jobState(job)).isEqualTo("RUNNING");
        assertThat(
                        rest.get("/jobs/" + job + "/checkpoints")
                                .path("latest")
                                .path("restored")
                                .path("id")
                                .asLong())
                .isEqualTo(checkpoint);
        for (String id : socialB) {
            assertThat(after.get(id).modelVersion()).as(id + " after the restart").isEqualTo("2");
            assertThat(after.get(id).topLabel()).as(id).isEqualTo(beforeKill.get(id).topLabel());
        }
        for (String id : batchA.good().keySet()) {
            assertThat(after.get(id)).as(id).isEqualTo(beforeKill.get(id));
        }

        // One listing row per result, under the stored top label.
        Thread.sleep(3000); // the listing writes of the last rewritten rows
        assertThat(after).hasSize(2 * BATCH);
        Map<String, String> topLabels = new HashMap<>();
        after.forEach((id, row) -> topLabels.put(id, row.topLabel()));
        try (CqlSession session = streams.settings().openSession()) {
            PipelineOutcomes.assertOneListingRowPerResult(session, streams.keyspace(), topLabels);
        }
        rest.cancel(job);
    }

    private static Map<String, StoredResult> rows(TestStreams streams) {
        try (CqlSession session = streams.settings().openSession()) {
            Map<String, StoredResult> rows = new HashMap<>();
            new ResultReader(session, streams.keyspace())
                    .all()
                    .forEach(row -> rows.put(row.imageId(), row));
            return rows;
        }
    }

    /** Waits until every one of {@code ids} was classified again after {@code since}. */
    private static Map<String, StoredResult> awaitRewritten(
            TestStreams streams, java.util.Set<String> ids, Instant since) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (true) {
            Map<String, StoredResult> rows = rows(streams);
            long stale =
                    ids.stream().filter(id -> !rows.get(id).classifiedAt().isAfter(since)).count();
            if (stale == 0) {
                return rows;
            }
            assertThat(System.nanoTime())
                    .as(stale + " of batch B not rewritten after the restart")
                    .isLessThan(deadline);
            Thread.sleep(1000);
        }
    }

    /** Waits until the TaskManager logs hold {@code count} lines containing {@code text}. */
    private static void awaitLogLines(FlinkClusterServer cluster, String text, int count)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            long found = 0;
            for (Path log : cluster.logFiles()) {
                if (Files.exists(log)) {
                    try (var lines = Files.lines(log)) {
                        found += lines.filter(line -> line.contains(text)).count();
                    }
                }
            }
            if (found >= count) {
                return;
            }
            assertThat(System.nanoTime())
                    .as(found + " of " + count + " log lines '" + text + "'")
                    .isLessThan(deadline);
            Thread.sleep(500);
        }
    }
}
