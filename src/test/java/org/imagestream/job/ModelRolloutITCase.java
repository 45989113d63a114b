package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.inference.ModelSpec;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.PacedProducer;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.imagestream.training.ModelStoreAccess;
import org.imagestream.training.ModelVersions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new model version rolled out while the job streams: the social model is served from a model
 * root; version 2 appears mid-stream and takes over, then a broken version 3 appears and is
 * rejected. Restarts are disabled, so any failure would fail the job: every image still ends as
 * exactly one row, each row names the version that scored it, images before the roll-out were
 * scored by 1 and images well after it by 2 (never 3).
 */
@ExtendWith(LocalStackExtension.class)
class ModelRolloutITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @Test
    void shouldRollOutANewVersionWithoutRestartAndIgnoreABrokenOne(
            LocalStack stack, @TempDir Path modelRoot) throws Exception {
        TestStreams streams = TestStreams.create(stack, "rollout");
        String topic = streams.topic();
        String keyspace = streams.keyspace();
        CassandraSettings settings = streams.settings();
        Map<Domain, ModelSpec> models = ModelStoreAccess.seedModels();
        Path seed = Path.of(models.get(Domain.SOCIAL).directory());
        ModelVersions.publish(seed, modelRoot, "1", false);

        Map<String, String> options =
                LocalJobOptions.of(stack, topic, streams.deadLetterTopic(), keyspace, models);
        options.put("model.social.dir", modelRoot.toString());
        options.put("model.poll-interval", "500ms");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        JobClient job = env.executeAsync("model-rollout-it");
        try {
            // Phase A: version 1 only.
            PacedProducer before =
                    PacedProducer.start(stack.bootstrapServers(), topic, 150, 30, 0, 17);
            before.await(60_000);
            PipelineOutcomes.waitForResults(settings, before.good().size(), 120_000);

            // Phase B: version 2 is published mid-stream, later a broken version 3.
            PacedProducer during =
                    PacedProducer.start(stack.bootstrapServers(), topic, 300, 30, 0, 18);
            ModelVersions.publish(seed, modelRoot, "2", false);
            waitForSocialVersion(settings, "2");
            ModelVersions.publish(seed, modelRoot, "3", true);
            during.await(60_000);

            // Phase C: long after both subtasks rolled out 2 and rejected 3.
            PacedProducer after =
                    PacedProducer.start(stack.bootstrapServers(), topic, 90, 30, 0, 19);
            after.await(60_000);
            int total = before.good().size() + during.good().size() + after.good().size();
            PipelineOutcomes.waitForResults(settings, total, 120_000);
            assertThat(job.getJobStatus().get().isGloballyTerminalState()).isFalse();

            try (CqlSession session = settings.openSession()) {
                Map<String, StoredResult> rows =
                        new ResultReader(session, keyspace)
                                .all().stream()
                                        .collect(Collectors.toMap(StoredResult::imageId, r -> r));
                assertThat(rows).hasSize(total);
                assertThat(versionsOfSocial(rows, before.good().keySet())).containsOnlyKeys("1");
                assertThat(versionsOfSocial(rows, during.good().keySet()))
                        .containsOnlyKeys("1", "2");
                assertThat(versionsOfSocial(rows, after.good().keySet())).containsOnlyKeys("2");
            }
        } finally {
            job.cancel().get();
        }
    }

    /** Social rows of the given images, counted by the model version that scored them. */
    private static Map<String, Long> versionsOfSocial(
            Map<String, StoredResult> rows, java.util.Set<String> imageIds) {
        assertThat(rows.keySet()).containsAll(imageIds);
        return imageIds.stream()
                .map(rows::get)
                .filter(r -> r.domain().equals("social"))
                .collect(Collectors.groupingBy(StoredResult::modelVersion, Collectors.counting()));
    }

    private static void waitForSocialVersion(CassandraSettings settings, String version)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            try (CqlSession session = settings.openSession()) {
                if (new ResultReader(session, settings.keyspace())
                        .all().stream()
                                .anyMatch(
                                        r ->
                                                r.domain().equals("social")
                                                        && r.modelVersion().equals(version))) {
                    return;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no social result scored by version " + version + " within 60 s");
    }
}
