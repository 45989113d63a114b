package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.imagestream.config.JobConfig;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.PublishedImages;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Records of an aborted Kafka transaction on an input topic (a dead-letter replay cut short) are
 * not input: a bounded job over a topic holding an aborted photo, a committed one and committed
 * noise stores a row for the committed photo and a dead letter for the noise, nothing for the
 * aborted photo. With Kafka's default {@code read_uncommitted} it stored both photos.
 */
@ExtendWith(LocalStackExtension.class)
class AbortedInputITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @Test
    void shouldClassifyOnlyCommittedRecords(LocalStack stack) throws Exception {
        TestStreams streams = TestStreams.create(stack, "aborted");
        Map<String, String> options = LocalJobOptions.of(stack, streams);
        options.put("kafka.bounded", "true");
        Random random = new Random(29);
        byte[] aborted = SampleImages.generate(Domain.SOCIAL, 0, random).bytes();
        byte[] committed = SampleImages.generate(Domain.SOCIAL, 1, random).bytes();

        Properties transactional = new Properties();
        transactional.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        transactional.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "aborted-input-it");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(
                        transactional, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            ProducerRecord<byte[], byte[]> record =
                    new ProducerRecord<>(streams.topic(), null, aborted);
            record.headers()
                    .add(ImageHeaders.DOMAIN, Domain.SOCIAL.id().getBytes(StandardCharsets.UTF_8));
            producer.send(record).get(); // in the log, with no commit
            producer.abortTransaction();
        }
        String committedId;
        String noiseId;
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            committedId =
                    PublishedImages.publish(
                            publisher, streams.topic(), Domain.SOCIAL, "committed", committed);
            // A committed record that is a dead letter: the topic's only one.
            byte[] noise = new byte[500];
            random.nextBytes(noise);
            noiseId =
                    PublishedImages.publish(
                            publisher, streams.topic(), Domain.SOCIAL, "noise", noise);
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        env.execute("aborted-input-it");

        assertThat(
                        PipelineOutcomes.deadLetterReasons(
                                stack.bootstrapServers(), streams.deadLetterTopic(), 1))
                .isEqualTo(Map.of(noiseId, "UNSUPPORTED_FORMAT"));
        try (CqlSession session = streams.settings().openSession()) {
            List<StoredResult> rows = new ResultReader(session, streams.keyspace()).all();
            assertThat(rows).extracting(StoredResult::imageId).containsExactly(committedId);
        }
    }
}
