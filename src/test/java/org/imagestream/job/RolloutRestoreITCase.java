package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.inference.ModelSpec;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
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
 * A restore after a roll-out never goes back to the old model and never leaves two listing rows for
 * one image. A job serving social version 1 stores a first batch, takes a savepoint, stores a
 * second batch and is cancelled; version 2, the same network with its label list reversed (so every
 * social top label changes), is published; the job restored from the savepoint replays the second
 * batch. It serves version 2 (the newest, not the submitted 1), each replayed social image gets its
 * row rewritten by 2, and the listing table holds exactly one row per image, under the label of its
 * stored result.
 */
@ExtendWith(LocalStackExtension.class)
class RolloutRestoreITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @TempDir static Path savepoints;

    @Test
    void shouldReplayOnTheNewVersionAndMoveTheListingRowOfAChangedLabel(
            LocalStack stack, @TempDir Path modelRoot) throws Exception {
        TestStreams streams = TestStreams.create(stack, "rollrestore");
        Map<Domain, ModelSpec> models = ModelStoreAccess.seedModels();
        Path seed = Path.of(models.get(Domain.SOCIAL).directory());
        ModelVersions.publish(seed, modelRoot, "1", false);
        Map<String, String> options =
                LocalJobOptions.of(
                        stack,
                        streams.topic(),
                        streams.deadLetterTopic(),
                        streams.keyspace(),
                        models);
        options.put("model.social.dir", modelRoot.toString());
        options.put("model.poll-interval", "1 h"); // no roll-out while running: only on restore

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        JobClient first = env.executeAsync("rollout-restore-first");
        PacedProducer before =
                PacedProducer.start(stack.bootstrapServers(), streams.topic(), 45, 30, 0, 71);
        before.await(60_000);
        PipelineOutcomes.waitForResults(streams.settings(), 45, 120_000);
        String savepoint =
                first.triggerSavepoint(savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(60, TimeUnit.SECONDS);
        PacedProducer replayed =
                PacedProducer.start(stack.bootstrapServers(), streams.topic(), 45, 30, 0, 72);
        replayed.await(60_000);
        PipelineOutcomes.waitForResults(streams.settings(), 90, 120_000);
        first.cancel().get(60, TimeUnit.SECONDS);

        ModelVersions.publishWithReversedLabels(seed, modelRoot, "2");

        Configuration restore = new Configuration();
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        StreamExecutionEnvironment restored =
                StreamExecutionEnvironment.getExecutionEnvironment(restore);
        restored.setParallelism(2);
        ImageClassificationJob.build(restored, JobConfig.fromMap(options));
        JobClient second = restored.executeAsync("rollout-restore-second");
        try (CqlSession session = streams.settings().openSession()) {
            ResultReader reader = new ResultReader(session, streams.keyspace());
            List<String> social = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 120_000;
            while (true) {
                Map<String, StoredResult> rows = new HashMap<>();
                reader.all().forEach(row -> rows.put(row.imageId(), row));
                social.clear();
                replayed.good().keySet().stream()
                        .filter(id -> rows.get(id).domain().equals("social"))
                        .forEach(social::add);
                if (social.stream().allMatch(id -> rows.get(id).modelVersion().equals("2"))) {
                    break;
                }
                assertThat(System.currentTimeMillis())
                        .as("every replayed social image rescored by version 2")
                        .isLessThan(deadline);
                Thread.sleep(1000);
            }
            assertThat(social).isNotEmpty();
            Thread.sleep(3000); // the listing writes of the last rows
            Map<String, String> topLabels = new HashMap<>();
            reader.all().forEach(row -> topLabels.put(row.imageId(), row.topLabel()));
            assertThat(topLabels).hasSize(90);
            PipelineOutcomes.assertOneListingRowPerResult(session, streams.keyspace(), topLabels);
        } finally {
            second.cancel().get(60, TimeUnit.SECONDS);
        }
    }
}
