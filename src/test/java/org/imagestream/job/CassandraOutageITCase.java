package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.core.execution.JobClient;
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
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestFlink;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fault drill: Cassandra is stopped for 30 s while the job is writing, then restarted. The job
 * fails, restarts from its last checkpoint and replays; afterwards every input has exactly one
 * result row and query row, and every blob reads back byte-exact.
 */
@ExtendWith(LocalStackExtension.class)
class CassandraOutageITCase {
    private static final int IMAGES = 240;

    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withRestarts(2);

    @Test
    void shouldLoseNothingAndDuplicateNothingWhenCassandraIsDownFor30Seconds(LocalStack stack)
            throws Exception {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        String topic = "outage-" + suffix;
        String keyspace = "outage_" + suffix;
        stack.createTopics(2, topic, "outage-dlq-" + suffix);
        Map<Domain, ModelSpec> models = ModelStoreAccess.seedModels();

        Map<String, String> options =
                LocalJobOptions.of(stack, topic, "outage-dlq-" + suffix, keyspace, models);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        JobClient job = env.executeAsync("cassandra-outage-it");

        // Publish at ~8 images/s for ~30 s in the background, so writes are in flight when the
        // node goes down and keep arriving while it is down.
        Map<String, byte[]> sent = new ConcurrentHashMap<>();
        AtomicReference<Throwable> producerError = new AtomicReference<>();
        Thread producer =
                new Thread(
                        () -> {
                            Random random = new Random(3);
                            try (ImagePublisher publisher =
                                    ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
                                for (int i = 0; i < IMAGES; i++) {
                                    Domain domain = Domain.values()[i % 3];
                                    SampleImages.Sample sample =
                                            SampleImages.generate(domain, i, random);
                                    RecordMetadata metadata =
                                            publisher
                                                    .publish(
                                                            topic,
                                                            domain.id(),
                                                            sample.fileName(),
                                                            sample.contentType(),
                                                            sample.bytes())
                                                    .get();
                                    sent.put(
                                            metadata.topic()
                                                    + "-"
                                                    + metadata.partition()
                                                    + "-"
                                                    + metadata.offset(),
                                            sample.bytes());
                                    Thread.sleep(125);
                                }
                            } catch (Throwable e) {
                                producerError.set(e);
                            }
                        },
                        "outage-producer");
        producer.start();

        CassandraSettings settings =
                CassandraSettings.builder()
                        .contactPoints(List.of(stack.cassandraContactPoint()))
                        .keyspace(keyspace)
                        .build();
        try {
            PipelineOutcomes.waitForResults(settings, 20, 120_000);
            stack.cassandra().stop();
            Thread.sleep(30_000);
            stack.cassandra().restart();
            producer.join(120_000);
            assertThat(producerError.get()).isNull();
            assertThat(sent).hasSize(IMAGES);
            PipelineOutcomes.waitForResults(settings, IMAGES, 240_000);
        } finally {
            if (!stack.cassandra().isAlive()) {
                stack.cassandra().restart(); // leave the shared node up for other tests
            }
            job.cancel().get();
        }

        try (CqlSession session = settings.openSession()) {
            ResultReader reader = new ResultReader(session, keyspace);
            List<StoredResult> rows = reader.all();
            assertThat(rows)
                    .extracting(StoredResult::imageId)
                    .doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(sent.keySet());
            long queryRows =
                    session.execute("SELECT count(*) FROM " + keyspace + ".results_by_label")
                            .one()
                            .getLong(0);
            assertThat(queryRows).isEqualTo(IMAGES);
            Set<String> checked = new java.util.HashSet<>();
            for (StoredResult row : rows) {
                assertThat(row.contentSha256())
                        .isEqualTo(DigestUtils.sha256Hex(sent.get(row.imageId())));
                if (checked.add(row.contentSha256())) {
                    assertThat(reader.readBlob(row.contentSha256()))
                            .isEqualTo(sent.get(row.imageId()));
                }
            }
        }
    }
}
