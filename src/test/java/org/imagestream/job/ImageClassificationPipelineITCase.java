package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.imagestream.config.JobConfig;
import org.imagestream.inference.ModelSpec;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.samples.SampleImages.Sample;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.RecordIds;
import org.imagestream.testing.StoredBytes;
import org.imagestream.testing.TestFlink;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The walking skeleton end to end on real servers: images of all three domains (and bad records) go
 * to a real Kafka broker, the job runs on a MiniCluster at parallelism 2, and the test reads what
 * actually landed in real Cassandra and on the dead-letter topic.
 */
@ExtendWith(LocalStackExtension.class)
class ImageClassificationPipelineITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(3);

    @Test
    void shouldStoreOneResultPerImageAndDeadLetterCorruptInput(LocalStack stack) throws Exception {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        String topic = "images-" + suffix;
        String deadLetterTopic = "dead-letters-" + suffix;
        String keyspace = "it_" + suffix;
        stack.createTopics(2, topic, deadLetterTopic);
        Map<Domain, ModelSpec> models = ModelStoreAccess.seedModels();

        // 20 images per domain, plus a truncated JPEG and a record with an unknown domain.
        List<Sample> samples = SampleImages.mixed(20, 7);
        Map<String, Sample> sentById = new HashMap<>();
        String corruptId;
        String unknownDomainId;
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            for (Sample sample : samples) {
                RecordMetadata metadata =
                        publisher
                                .publish(
                                        topic,
                                        sample.domain().id(),
                                        sample.fileName(),
                                        sample.contentType(),
                                        sample.bytes())
                                .get();
                sentById.put(idOf(publisher, metadata), sample);
            }
            // Re-posts: byte-identical copies of five images under other source ids.
            for (int i = 0; i < 5; i++) {
                Sample original = samples.get(i * 12);
                Sample copy =
                        new Sample(
                                original.domain(),
                                original.label(),
                                original.contentType(),
                                "repost-" + original.fileName(),
                                original.bytes());
                RecordMetadata metadata =
                        publisher
                                .publish(
                                        topic,
                                        copy.domain().id(),
                                        copy.fileName(),
                                        copy.contentType(),
                                        copy.bytes())
                                .get();
                sentById.put(idOf(publisher, metadata), copy);
            }
            byte[] truncated = java.util.Arrays.copyOf(samples.get(0).bytes(), 300);
            corruptId =
                    idOf(
                            publisher,
                            publisher
                                    .publish(
                                            topic,
                                            "social",
                                            "truncated.jpg",
                                            "image/jpeg",
                                            truncated)
                                    .get());
            unknownDomainId =
                    idOf(
                            publisher,
                            publisher
                                    .publish(
                                            topic,
                                            "astronomy",
                                            "m31.fits",
                                            "image/fits",
                                            new byte[] {1, 2, 3})
                                    .get());
        }

        Map<String, String> options =
                LocalJobOptions.of(stack, topic, deadLetterTopic, keyspace, models);
        options.put("kafka.bounded", "true");
        JobConfig config = JobConfig.fromMap(options);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        // 3: not a power of two and not a divisor of the max parallelism (128).
        env.setParallelism(3);
        ImageClassificationJob.build(env, config);
        env.execute("pipeline-it");

        CassandraSettings cassandra =
                CassandraSettings.builder()
                        .contactPoints(List.of(stack.cassandraContactPoint()))
                        .keyspace(keyspace)
                        .build();
        try (CqlSession session = cassandra.openSession()) {
            ResultReader reader = new ResultReader(session, keyspace);
            List<StoredResult> rows = reader.all();
            assertThat(rows)
                    .extracting(StoredResult::imageId)
                    .doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(sentById.keySet());
            int correct = 0;
            for (StoredResult row : rows) {
                Sample sent = sentById.get(row.imageId());
                assertThat(row.domain()).isEqualTo(sent.domain().id());
                assertThat(row.topLabel()).isNotBlank();
                assertThat(row.topScore()).isBetween(0f, 1f);
                assertThat(row.modelName()).isEqualTo(models.get(sent.domain()).name());
                assertThat(row.modelVersion()).isEqualTo(models.get(sent.domain()).version());
                assertThat(row.shard()).startsWith("shard-");
                // Domain extras carried from the decoder into the row.
                switch (sent.domain()) {
                    case REMOTE_SENSING -> {
                        assertThat(row.extras()).containsKeys("crs", "bounds", "pixel_size");
                        assertThat(row.extras().get("crs")).startsWith("EPSG:");
                    }
                    case MEDICAL ->
                            assertThat(row.extras())
                                    .containsEntry("modality", "CT")
                                    .containsEntry("frames", "1");
                    case SOCIAL -> assertThat(row.extras()).isEmpty();
                }
                byte[] stored = StoredBytes.of(sent.domain().id(), sent.bytes());
                assertThat(row.contentSha256()).isEqualTo(DigestUtils.sha256Hex(stored));
                assertThat(DigestUtils.sha256Hex(reader.readBlob(row.contentSha256())))
                        .isEqualTo(DigestUtils.sha256Hex(stored));
                if (row.topLabel().equals(sent.label())) {
                    correct++;
                }
            }
            // Each distinct content was run through the model exactly once; copies reused it.
            Map<String, List<StoredResult>> byContent = new HashMap<>();
            rows.forEach(
                    r ->
                            byContent
                                    .computeIfAbsent(r.contentSha256(), k -> new ArrayList<>())
                                    .add(r));
            assertThat(byContent).hasSize(60);
            for (List<StoredResult> copies : byContent.values()) {
                assertThat(copies.stream().filter(r -> !r.deduplicated()).count()).isEqualTo(1);
                assertThat(copies)
                        .extracting(StoredResult::scores)
                        .containsOnly(copies.get(0).scores());
            }
            assertThat(rows.stream().filter(StoredResult::deduplicated).count()).isEqualTo(5);
            // The seed models are far above chance on their own kind of data.
            assertThat(correct).isGreaterThanOrEqualTo((int) (0.8 * rows.size()));
            assertThat(reader.find(corruptId)).isEmpty();
            assertThat(reader.find(unknownDomainId)).isEmpty();
        }

        Map<String, String> reasons =
                PipelineOutcomes.deadLetterReasons(stack.bootstrapServers(), deadLetterTopic, 2);
        assertThat(reasons).containsOnlyKeys(corruptId, unknownDomainId);
        assertThat(reasons.get(corruptId)).isEqualTo("TRUNCATED");
        assertThat(reasons.get(unknownDomainId)).isEqualTo("UNKNOWN_DOMAIN");
    }

    private static String idOf(ImagePublisher publisher, RecordMetadata metadata) {
        return RecordIds.of(publisher.clientProperties(), metadata);
    }
}
