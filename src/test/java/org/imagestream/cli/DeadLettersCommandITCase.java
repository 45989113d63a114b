package org.imagestream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.imagestream.config.JobConfig;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.job.ImageClassificationJob;
import org.imagestream.job.LocalJobOptions;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.CliRun;
import org.imagestream.testing.PublishedImages;
import org.imagestream.testing.RecordIds;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dead letters replayed after a fix, through the {@code dead-letters} command. A job with a 200
 * byte image limit dead-letters four photos as {@code TOO_LARGE}, a noise record as {@code
 * UNSUPPORTED_FORMAT} and a cut DICOM (bytes-free, as every medical letter). {@code list} and
 * {@code show} find them by reason; {@code replay --reason TOO_LARGE} republishes the four photos
 * to their topic with {@code dead-letter-replay-of}; a second replay republishes nothing; the DICOM
 * letter is refused as having no bytes. The job with the default limit then stores each replayed
 * record with the photo's exact bytes.
 */
@ExtendWith(LocalStackExtension.class)
class DeadLettersCommandITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @Test
    void shouldListShowAndReplayDeadLettersExactlyOnce(LocalStack stack) throws Exception {
        TestStreams streams = TestStreams.create(stack, "replay-dl");
        Random random = new Random(61);
        Map<String, byte[]> photos = new HashMap<>();
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            for (int i = 0; i < 4; i++) {
                byte[] photo = SampleImages.generate(Domain.SOCIAL, i, random).bytes();
                assertThat(photo.length).isGreaterThan(200);
                photos.put(
                        PublishedImages.publish(
                                publisher, streams.topic(), Domain.SOCIAL, "photo-" + i, photo),
                        photo);
            }
            byte[] noise = new byte[100];
            random.nextBytes(noise);
            PublishedImages.publish(publisher, streams.topic(), Domain.SOCIAL, "noise", noise);
            byte[] dicom = SampleImages.generate(Domain.MEDICAL, 0, random).bytes();
            PublishedImages.publish(
                    publisher,
                    streams.topic(),
                    Domain.MEDICAL,
                    "scan",
                    java.util.Arrays.copyOf(dicom, 150));
        }
        Map<String, String> options = LocalJobOptions.of(stack, streams);
        options.put("kafka.bounded", "true");
        Map<String, String> tooSmall = new HashMap<>(options);
        tooSmall.put("limits.max-image-bytes", "200");
        run(tooSmall);

        List<String> where =
                List.of(
                        "--bootstrap-servers",
                        stack.bootstrapServers(),
                        "--topic",
                        streams.deadLetterTopic());
        assertThat(cli("list", where).text()).contains("6 dead letter(s)");
        CliRun tooLarge = cli("list", where, "--reason", "TOO_LARGE");
        assertThat(tooLarge.text()).contains("4 dead letter(s)");
        photos.keySet().forEach(id -> assertThat(tooLarge.text()).contains(id));
        String someId = photos.keySet().iterator().next();
        assertThat(cli("show", where, "--image-id", someId).text())
                .contains("reason     TOO_LARGE")
                .contains("header     source-id=photo-");

        long endBefore = endOffsetSum(stack, streams.topic());
        assertThat(cli("replay", where, "--reason", "TOO_LARGE", "--dry-run").text())
                .contains("4 to replay");
        assertThat(endOffsetSum(stack, streams.topic())).isEqualTo(endBefore);
        assertThat(cli("replay", where, "--reason", "TOO_LARGE").text())
                .contains("4 replayed, 0 already replayed");
        assertThat(cli("replay", where, "--reason", "TOO_LARGE").text())
                .contains("0 replayed, 4 already replayed");

        // The replayed records, found by their header in the source topic (committed only).
        Map<String, String> replayOf = replayedRecords(stack, streams.topic());
        assertThat(replayOf.values()).containsExactlyInAnyOrderElementsOf(photos.keySet());

        run(options); // the fix: the default limit
        try (CqlSession session = streams.settings().openSession()) {
            ResultReader reader = new ResultReader(session, streams.keyspace());
            for (Map.Entry<String, String> replayed : replayOf.entrySet()) {
                StoredResult row = reader.find(replayed.getKey()).orElseThrow();
                byte[] original = photos.get(replayed.getValue());
                assertThat(row.contentSha256()).isEqualTo(DigestUtils.sha256Hex(original));
                assertThat(reader.readBlob(row.contentSha256())).isEqualTo(original);
            }
        }
    }

    private static CliRun cli(String subcommand, List<String> where, String... args) {
        List<String> all = new ArrayList<>(List.of("dead-letters", subcommand));
        all.addAll(where);
        all.addAll(List.of(args));
        return CliRun.of(all.toArray(String[]::new));
    }

    private static void run(Map<String, String> options) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        env.execute("dead-letter-replay");
    }

    /** Image id of each committed record carrying dead-letter-replay-of -> that header. */
    private static Map<String, String> replayedRecords(LocalStack stack, String topic) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, String> replayed = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.currentTimeMillis() + 30_000;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                assertThat(System.currentTimeMillis()).isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> record :
                        consumer.poll(Duration.ofMillis(500))) {
                    Header header = record.headers().lastHeader("dead-letter-replay-of");
                    if (header != null) {
                        replayed.put(
                                RecordIds.of(
                                        properties,
                                        record.topic(),
                                        record.partition(),
                                        record.offset()),
                                new String(header.value(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        return replayed;
    }

    private static long endOffsetSum(LocalStack stack, String topic) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            return consumer.endOffsets(partitions(consumer, topic)).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
        }
    }

    private static List<TopicPartition> partitions(
            KafkaConsumer<byte[], byte[]> consumer, String topic) {
        return consumer.partitionsFor(topic).stream()
                .map(info -> new TopicPartition(topic, info.partition()))
                .toList();
    }
}
