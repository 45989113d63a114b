package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.imagestream.config.JobConfig;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.CapturingMetricReporter;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.PublishedImages;
import org.imagestream.testing.RecordIds;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A write Cassandra refuses for one record's own values gets that record a dead letter instead of
 * failing the job on every replay. The refusal is Cassandra's own: the local node's {@code
 * max_mutation_size} is 768 KiB (see {@code CassandraServer}) and this job stores blobs in 1 MiB
 * chunks ({@code cassandra.blob-chunk-size}), so the first chunk of an image over 768 KiB is
 * refused ("CQL Message of size ... exceeds allowed maximum") while small images pass. With no
 * restart strategy the job must finish; large images end as {@code STORAGE_REFUSED} dead letters
 * carrying their bytes and their Kafka position, with no result or listing row, and so does a
 * second copy of one of them (a dedup hit); small ones as rows.
 */
@ExtendWith(LocalStackExtension.class)
class StorageRefusalITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = TestFlink.withoutRestartsCapturingMetrics(2);

    @Test
    void shouldDeadLetterImagesCassandraRefusesAndStoreTheRest(LocalStack stack) throws Exception {
        TestStreams streams = TestStreams.create(stack, "refused");
        Map<String, String> options = LocalJobOptions.of(stack, streams);
        options.put("kafka.bounded", "true");
        options.put("cassandra.blob-chunk-size", Integer.toString(1024 * 1024));
        Random random = new Random(17);
        Set<String> small = new HashSet<>();
        Map<String, byte[]> large = new HashMap<>();
        // Each large record's position as the broker acknowledged it: its letter's origin.
        Map<String, String> origins = new HashMap<>();
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            for (int i = 0; i < 6; i++) {
                SampleImages.Sample sample = SampleImages.generate(Domain.SOCIAL, i, random);
                assertThat(sample.bytes().length).isLessThan(100 * 1024);
                small.add(
                        PublishedImages.publish(
                                publisher,
                                streams.topic(),
                                Domain.SOCIAL,
                                "small",
                                sample.bytes()));
            }
            List<byte[]> photos = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                byte[] photo = noisyPng(random);
                assertThat(photo.length).isGreaterThan(800 * 1024);
                photos.add(photo);
            }
            // A second copy of the first: a dedup hit, whose first copy's blob was refused.
            photos.add(photos.get(0));
            for (byte[] photo : photos) {
                RecordMetadata sent =
                        publisher
                                .publish(streams.topic(), Domain.SOCIAL.id(), "large", null, photo)
                                .get();
                String id = RecordIds.of(publisher.clientProperties(), sent);
                large.put(id, photo);
                origins.put(id, sent.topic() + "/" + sent.partition() + "/" + sent.offset());
            }
        }

        CapturingMetricReporter.clear();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        env.execute("storage-refusal-it"); // no restart strategy: fails on any failure

        List<ConsumerRecord<byte[], byte[]>> letters =
                PipelineOutcomes.readCommitted(
                        stack.bootstrapServers(), streams.deadLetterTopic(), large.size());
        Map<String, ConsumerRecord<byte[], byte[]>> byId = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> letter : letters) {
            byId.put(header(letter, ImageHeaders.DEAD_LETTER_IMAGE_ID), letter);
        }
        assertThat(byId).hasSize(letters.size()).containsOnlyKeys(large.keySet());
        for (Map.Entry<String, byte[]> image : large.entrySet()) {
            ConsumerRecord<byte[], byte[]> letter = byId.get(image.getKey());
            assertThat(header(letter, ImageHeaders.DEAD_LETTER_REASON))
                    .isEqualTo("STORAGE_REFUSED");
            assertThat(header(letter, ImageHeaders.DEAD_LETTER_MESSAGE))
                    .contains("InvalidQueryException")
                    .contains("exceeds");
            assertThat(letter.value()).isEqualTo(image.getValue());
            assertThat(header(letter, ImageHeaders.DEAD_LETTER_ORIGIN))
                    .isEqualTo(origins.get(image.getKey()));
        }
        // The copy was a dedup hit (its first copy's prediction reused), not classified afresh.
        assertThat(CapturingMetricReporter.counterSum("imagesDeduplicated", ".social."))
                .isEqualTo(1);
        try (CqlSession session = streams.settings().openSession()) {
            List<StoredResult> rows = new ResultReader(session, streams.keyspace()).all();
            assertThat(rows)
                    .extracting(StoredResult::imageId)
                    .containsExactlyInAnyOrderElementsOf(small);
            long listed =
                    session.execute(
                                    "SELECT count(*) FROM "
                                            + streams.keyspace()
                                            + ".results_by_label")
                            .one()
                            .getLong(0);
            assertThat(listed).isEqualTo(small.size());
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** A 600x600 PNG of random pixels: about 1.1 MB, so its first 1 MiB chunk is refused. */
    private static byte[] noisyPng(Random random) throws Exception {
        BufferedImage image = new BufferedImage(600, 600, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 600; y++) {
            for (int x = 0; x < 600; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        return png.toByteArray();
    }
}
