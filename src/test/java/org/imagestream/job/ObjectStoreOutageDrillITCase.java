package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.localstack.S3ProxyServer;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.CapturingMetricReporter;
import org.imagestream.testing.CliRun;
import org.imagestream.testing.ObjectStoreRuns;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestFlink;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault drill: the object store is down when the job starts reading images by reference. The job
 * must fail and restart (not dead-letter the images: an outage is not the records' fault) until the
 * store is back, then store every image once; only the reference that names no object is a dead
 * letter.
 */
@ExtendWith(LocalStackExtension.class)
class ObjectStoreOutageDrillITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = TestFlink.withRestartsCapturingMetrics(2);

    @Test
    void shouldRestartThroughAnObjectStoreOutageAndDeadLetterNothingItCaused(
            LocalStack stack, @TempDir Path temp) throws Exception {
        CapturingMetricReporter.clear();
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        String topic = "s3-outage-" + suffix;
        String deadLetterTopic = "s3-outage-dlq-" + suffix;
        String keyspace = "s3_outage_" + suffix;
        stack.createTopics(2, topic, deadLetterTopic);
        try (S3ProxyServer s3 = ObjectStoreRuns.startS3(temp.resolve("s3proxy"), "outage")) {
            Path flinkConf = ObjectStoreRuns.flinkConf(s3, temp.resolve("flink-conf"));
            String incoming = s3.bucketUri() + "incoming/";
            Path photos = Files.createDirectories(temp.resolve("photos"));
            Random random = new Random(21);
            for (int i = 0; i < 6; i++) {
                Files.write(
                        photos.resolve("photo-" + i + ".jpg"),
                        SampleImages.generate(Domain.SOCIAL, i, random).bytes());
            }
            CliRun produced =
                    ObjectStoreRuns.produceByReference(
                            stack.bootstrapServers(),
                            topic,
                            incoming,
                            flinkConf,
                            "--domain",
                            "social",
                            photos.toString());
            assertThat(produced.text()).contains("sent 6, skipped 0, failed 0");
            String missing;
            try (ImagePublisher publisher =
                    ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
                missing = ObjectStoreRuns.publishReference(publisher, topic, incoming + "gone.jpg");
            }

            s3.stop();
            Map<String, String> options =
                    LocalJobOptions.of(
                            stack, topic, deadLetterTopic, keyspace, ModelStoreAccess.seedModels());
            options.put("kafka.bounded", "true");
            options.put("ingest.reference-prefixes", incoming);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            ImageClassificationJob.build(env, JobConfig.fromMap(options));
            JobClient job = env.executeAsync("object-store-outage-drill");
            try {
                // The failure happened: the prepare stage's tasks were restarted (a second
                // attempt registered its metrics) while the store was down.
                long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                while (CapturingMetricReporter.captured().stream()
                                .noneMatch(line -> line.matches("(?s).*task_attempt_num>?=[1-9].*"))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                }
                assertThat(CapturingMetricReporter.captured())
                        .anyMatch(line -> line.matches("(?s).*task_attempt_num>?=[1-9].*"));
                s3.restart();
                job.getJobExecutionResult().get(5, java.util.concurrent.TimeUnit.MINUTES);
            } finally {
                if (!job.getJobStatus().get().isGloballyTerminalState()) {
                    job.cancel().get();
                }
            }

            // Exactly: six rows, one per photo, and one dead letter, for the missing object.
            assertThat(
                            PipelineOutcomes.deadLetterReasons(
                                    stack.bootstrapServers(), deadLetterTopic, 1))
                    .containsExactlyEntriesOf(Map.of(missing, "REFERENCE_UNREADABLE"));
            CassandraSettings settings =
                    CassandraSettings.builder()
                            .contactPoints(List.of(stack.cassandraContactPoint()))
                            .keyspace(keyspace)
                            .build();
            try (CqlSession session = settings.openSession()) {
                Map<String, Integer> rowsBySource = new HashMap<>();
                for (StoredResult row : new ResultReader(session, keyspace).all()) {
                    rowsBySource.merge(row.sourceId(), 1, Integer::sum);
                }
                Set<String> expected =
                        Files.list(photos).map(Path::toString).collect(Collectors.toSet());
                assertThat(rowsBySource.keySet()).isEqualTo(expected);
                assertThat(rowsBySource.values()).allMatch(count -> count == 1);
            }
        }
    }
}
