package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.imagestream.config.JobConfig;
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
 * Exactly-once effect end to end: 2,000 images (5% malformed) stream while the job is failed twice
 * — its Cassandra sink fails (node stopped for 10 s) and its TaskManager is killed and replaced.
 * Afterwards result rows + committed dead letters equal the input: 0 lost, 0 duplicates.
 */
@ExtendWith(LocalStackExtension.class)
class ExactlyOnceITCase {
    private static final int IMAGES = 2000;

    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withRestarts(2);

    @Test
    void shouldEndWithExactlyOneRowOrDeadLetterPerInputAfterTwoFailures(
            LocalStack stack, @InjectMiniCluster MiniCluster cluster) throws Exception {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        String topic = "exactly-once-" + suffix;
        String deadLetterTopic = "exactly-once-dlq-" + suffix;
        String keyspace = "exactly_once_" + suffix;
        stack.createTopics(2, topic, deadLetterTopic);

        Map<String, String> options =
                LocalJobOptions.of(
                        stack, topic, deadLetterTopic, keyspace, ModelStoreAccess.seedModels());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        JobClient job = env.executeAsync("exactly-once-it");

        Set<String> good = ConcurrentHashMap.newKeySet();
        Set<String> bad = ConcurrentHashMap.newKeySet();
        AtomicReference<Throwable> producerError = new AtomicReference<>();
        Thread producer =
                new Thread(
                        () -> {
                            Random random = new Random(2000);
                            try (ImagePublisher publisher =
                                    ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
                                for (int i = 0; i < IMAGES; i++) {
                                    Domain domain = Domain.values()[i % 3];
                                    SampleImages.Sample sample =
                                            SampleImages.generate(domain, i, random);
                                    boolean malformed = i % 20 == 7;
                                    byte[] bytes =
                                            malformed
                                                    ? Arrays.copyOf(sample.bytes(), 100)
                                                    : sample.bytes();
                                    RecordMetadata metadata =
                                            publisher
                                                    .publish(
                                                            topic,
                                                            domain.id(),
                                                            sample.fileName(),
                                                            sample.contentType(),
                                                            bytes)
                                                    .get();
                                    String id =
                                            metadata.topic()
                                                    + "-"
                                                    + metadata.partition()
                                                    + "-"
                                                    + metadata.offset();
                                    (malformed ? bad : good).add(id);
                                    if (i % 50 == 49) {
                                        Thread.sleep(
                                                1000); // ~50 images/s: the stream lasts about 40 s
                                    }
                                }
                            } catch (Throwable e) {
                                producerError.set(e);
                            }
                        },
                        "exactly-once-producer");
        producer.start();

        Map<String, String> reasons;
        CassandraSettings settings =
                CassandraSettings.builder()
                        .contactPoints(List.of(stack.cassandraContactPoint()))
                        .keyspace(keyspace)
                        .build();
        try {
            PipelineOutcomes.waitForResults(settings, 200, 120_000);
            // Failure 1: the sink's tasks fail while Cassandra is down.
            stack.cassandra().stop();
            Thread.sleep(10_000);
            stack.cassandra().restart();
            PipelineOutcomes.waitForResults(settings, 800, 180_000);
            // Failure 2: the TaskManager dies and a new one takes over.
            cluster.terminateTaskManager(0).get();
            cluster.startTaskManager();
            producer.join(180_000);
            assertThat(producerError.get()).isNull();
            assertThat(good.size() + bad.size()).isEqualTo(IMAGES);
            PipelineOutcomes.waitForResults(settings, good.size(), 300_000);
            // Dead letters become visible when their checkpoint's transaction commits: read them
            // while the job still runs. deadLetterReasons fails on a duplicate image id.
            reasons =
                    PipelineOutcomes.deadLetterReasons(
                            stack.bootstrapServers(), deadLetterTopic, bad.size());
        } finally {
            if (!stack.cassandra().isAlive()) {
                stack.cassandra().restart();
            }
            job.cancel().get();
        }

        try (CqlSession session = settings.openSession()) {
            List<StoredResult> rows = new ResultReader(session, keyspace).all();
            assertThat(rows)
                    .extracting(StoredResult::imageId)
                    .doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(good);
            long queryRows =
                    session.execute("SELECT count(*) FROM " + keyspace + ".results_by_label")
                            .one()
                            .getLong(0);
            assertThat(queryRows).isEqualTo(good.size());
        }
        assertThat(reasons.keySet()).containsExactlyInAnyOrderElementsOf(bad);
    }
}
