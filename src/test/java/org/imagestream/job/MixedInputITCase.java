package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.imagestream.config.JobConfig;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.samples.GeoTiffWriter;
import org.imagestream.samples.SampleImages;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.Bytes;
import org.imagestream.testing.HostileCorpus;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.RecordIds;
import org.imagestream.testing.TestFlink;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * 30% malformed input on a cluster that is not allowed to restart: every bad record must end on the
 * dead-letter topic with the right reason, every good one in Cassandra, and the job must finish
 * (any failure would fail it, since restarts are off).
 */
@ExtendWith(LocalStackExtension.class)
class MixedInputITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @Test
    void shouldDeadLetterEveryMalformedRecordWithItsReasonAndNeverRestart(LocalStack stack)
            throws Exception {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        String topic = "mixed-" + suffix;
        String deadLetterTopic = "mixed-dlq-" + suffix;
        String keyspace = "mixed_" + suffix;
        stack.createTopics(2, topic, deadLetterTopic);

        Random random = new Random(30);
        Map<String, String> expectedReason = new HashMap<>();
        Map<String, String> good = new HashMap<>();
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            for (int i = 0; i < 100; i++) {
                Domain domain = Domain.values()[i % 3];
                SampleImages.Sample sample = SampleImages.generate(domain, i, random);
                String domainHeader = domain.id();
                byte[] bytes = sample.bytes();
                String reason = null;
                switch (i % 10) {
                    case 1 -> {
                        bytes = Arrays.copyOf(bytes, Math.min(bytes.length - 1, 150 + i));
                        // Magic bytes intact, data cut short: photos and TIFFs say so in their
                        // structure; a DICOM's pixel data length runs past the end.
                        reason = domain == Domain.MEDICAL ? "CORRUPT" : "TRUNCATED";
                    }
                    case 4 -> {
                        bytes = "definitely not an image".getBytes(StandardCharsets.UTF_8);
                        reason = "UNSUPPORTED_FORMAT";
                    }
                    case 7 -> {
                        if (i % 3 == 0) {
                            domainHeader = "astronomy";
                            reason = "UNKNOWN_DOMAIN";
                        } else if (i % 3 == 1) {
                            bytes =
                                    GeoTiffWriter.write(
                                            new short[8 * 8 * 4], 8, 8, 4, 0, 0, 10, 32633);
                            reason = "INCOMPATIBLE";
                        } else {
                            bytes = new byte[0];
                            reason = "EMPTY";
                        }
                    }
                    default -> {}
                }
                RecordMetadata metadata =
                        publisher
                                .publish(
                                        topic,
                                        domainHeader,
                                        sample.fileName(),
                                        sample.contentType(),
                                        bytes)
                                .get();
                String id = RecordIds.of(publisher.clientProperties(), metadata);
                if (reason == null) {
                    good.put(id, sample.fileName());
                } else {
                    expectedReason.put(id, reason);
                }
            }
        }
        assertThat(expectedReason).hasSize(30);
        // Compressed DICOM as sites send it (files written by DCMTK and pydicom's authors, see
        // src/test/resources/dicom): decoded, or refused by name, or cut short. Width from
        // DCMTK's dcmdump of each file.
        Map<String, Integer> compressedWidths = new HashMap<>();
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            Map<String, Integer> decodable =
                    Map.of(
                            "MR_small_jpeg_sv1", 64,
                            "MR_small_jpeg_baseline", 64,
                            "CT_small_rle", 128,
                            "rtdose_rle", 10,
                            "MR_small_jp2klossless", 64,
                            // (JPEG-lossy.dcm, the other extended-process file, is a secondary
                            // capture without Burned In Annotation: refused by de-identification.)
                            "MR_small_jpeg_extended", 64,
                            "MR_small_jpeg_ls_lossless", 64);
            for (Map.Entry<String, Integer> file : decodable.entrySet()) {
                String id = publishDicom(publisher, topic, file.getKey(), dicom(file.getKey()));
                good.put(id, file.getKey());
                compressedWidths.put(id, file.getValue());
            }
            // A syntax no decoder reads: the JPEG-LS file relabelled JPEG 2000 part 2 (a UID of
            // the same length, so the meta group stays whole).
            byte[] relabelled =
                    Bytes.replacedAscii(
                            dicom("MR_small_jpeg_ls_lossless"),
                            "1.2.840.10008.1.2.4.80",
                            "1.2.840.10008.1.2.4.92");
            expectedReason.put(
                    publishDicom(publisher, topic, "part2", relabelled), "UNSUPPORTED_FORMAT");
            byte[] whole = dicom("MR_small_jpeg_sv1");
            // 200 bytes short: inside the pixel data (146 bytes of delimiter and padding follow
            // it).
            expectedReason.put(
                    publishDicom(publisher, topic, "cut", Arrays.copyOf(whole, whole.length - 200)),
                    "TRUNCATED");
        }

        Map<String, String> options =
                LocalJobOptions.of(
                        stack, topic, deadLetterTopic, keyspace, ModelStoreAccess.seedModels());
        options.put("kafka.bounded", "true");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        env.execute("mixed-input-it"); // throws if any task failed: restarts are disabled

        Map<String, String> reasons =
                PipelineOutcomes.deadLetterReasons(
                        stack.bootstrapServers(), deadLetterTopic, expectedReason.size());
        assertThat(reasons).containsExactlyInAnyOrderEntriesOf(expectedReason);
        CassandraSettings settings =
                CassandraSettings.builder()
                        .contactPoints(List.of(stack.cassandraContactPoint()))
                        .keyspace(keyspace)
                        .build();
        try (CqlSession session = settings.openSession()) {
            List<StoredResult> rows = new ResultReader(session, keyspace).all();
            assertThat(rows)
                    .extracting(StoredResult::imageId)
                    .containsExactlyInAnyOrderElementsOf(good.keySet());
            rows.stream()
                    .filter(row -> compressedWidths.containsKey(row.imageId()))
                    .forEach(
                            row ->
                                    assertThat(row.width())
                                            .as(good.get(row.imageId()))
                                            .isEqualTo(compressedWidths.get(row.imageId())));
            assertThat(rows)
                    .filteredOn(row -> compressedWidths.containsKey(row.imageId()))
                    .hasSize(7);
        }
    }

    private static byte[] dicom(String name) {
        return HostileCorpus.resource("/dicom/" + name + ".dcm");
    }

    private static String publishDicom(
            ImagePublisher publisher, String topic, String name, byte[] bytes) throws Exception {
        RecordMetadata metadata =
                publisher
                        .publish(
                                topic,
                                Domain.MEDICAL.id(),
                                name + ".dcm",
                                "application/dicom",
                                bytes)
                        .get();
        return RecordIds.of(publisher.clientProperties(), metadata);
    }
}
