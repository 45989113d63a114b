package org.imagestream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.job.ImageClassificationJob;
import org.imagestream.job.LocalJobOptions;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.storage.ResultReader;
import org.imagestream.testing.CliRun;
import org.imagestream.testing.PublishedImages;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestSecrets;
import org.imagestream.testing.TestStreams;
import org.imagestream.training.ModelStoreAccess;
import org.imagestream.training.ModelVersions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Least privilege and erasure, through the job and the {@code erase} command as users run them. The
 * job runs with {@code cassandra.keyspace-per-domain}: social rows land in {@code <ks>_social}
 * only, medical rows in {@code <ks>_medical} only. Then {@code erase} removes, in turn, one of two
 * deduplicated copies by image id (the other still reads back byte-exact, its blob kept), a
 * multi-frame DICOM by its producer's source id (through the pseudonym key), and the rest of the
 * social domain by time range; after each step every table is scanned for the erased images' ids
 * and content hashes.
 */
@ExtendWith(LocalStackExtension.class)
class EraseCommandITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @TempDir static Path models;

    @Test
    void shouldEraseEveryRowAndUnreferencedBlobAndKeepDeduplicatedCopies(LocalStack stack)
            throws Exception {
        TestStreams streams = TestStreams.create(stack, "erase");
        String socialKeyspace = streams.keyspace() + "_social";
        String medicalKeyspace = streams.keyspace() + "_medical";
        Random random = new Random(51);
        byte[] shared = SampleImages.generate(Domain.SOCIAL, 0, random).bytes();
        byte[] other = SampleImages.generate(Domain.SOCIAL, 1, random).bytes();
        byte[] rtdose;
        try (InputStream in = getClass().getResourceAsStream("/dicom/rtdose.dcm")) {
            rtdose = in.readAllBytes();
        }
        Instant before = Instant.now().minusSeconds(60);
        String first;
        String copy;
        String otherId;
        String dose;
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            first =
                    PublishedImages.publish(
                            publisher, streams.topic(), Domain.SOCIAL, "alice-1.jpg", shared);
            copy =
                    PublishedImages.publish(
                            publisher, streams.topic(), Domain.SOCIAL, "bob-7.jpg", shared);
            otherId =
                    PublishedImages.publish(
                            publisher, streams.topic(), Domain.SOCIAL, "carol-2.png", other);
            dose =
                    PublishedImages.publish(
                            publisher, streams.topic(), Domain.MEDICAL, "MRN-004242", rtdose);
        }
        Instant after = Instant.now().plusSeconds(60);

        Map<String, String> options = LocalJobOptions.of(stack, streams);
        // Every frame classified: the DICOM gets part rows, which the erasure must remove too.
        options.put(
                "model.medical.dir",
                ModelVersions.withSetting(
                                ModelStoreAccess.seedModels().get(Domain.MEDICAL),
                                models.resolve("medical"),
                                "frame",
                                "all")
                        .directory());
        options.put("cassandra.keyspace-per-domain", "true");
        options.put("kafka.bounded", "true");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        env.execute("erase-it");

        String sharedSha = DigestUtils.sha256Hex(shared);
        String otherSha = DigestUtils.sha256Hex(other);
        String doseSha;
        try (CqlSession session = streams.settings().openSession()) {
            // Least privilege: each domain's rows only in its own keyspace.
            assertThat(imageIds(session, socialKeyspace))
                    .containsExactlyInAnyOrder(first, copy, otherId);
            assertThat(imageIds(session, medicalKeyspace)).containsExactly(dose);
            assertThat(session.getMetadata().getKeyspace(streams.keyspace())).isEmpty();
            doseSha =
                    session.execute(
                                    "SELECT content_sha256 FROM "
                                            + medicalKeyspace
                                            + ".results WHERE image_id = '"
                                            + dose
                                            + "'")
                            .one()
                            .getString(0);
            assertThat(count(session, medicalKeyspace, "result_parts", "image_id", dose))
                    .isEqualTo(15);
            assertThat(chunks(session, medicalKeyspace, doseSha)).isPositive();
        }

        List<String> connection =
                List.of(
                        "--contact-points",
                        stack.cassandraContactPoint(),
                        "--keyspace",
                        streams.keyspace(),
                        "--keyspace-per-domain");

        // A dry run changes nothing.
        CliRun dryRun = erase(connection, "--image-id", first, "--dry-run");
        assertThat(dryRun.exitCode()).isZero();
        assertThat(dryRun.text()).contains("would erase " + first);
        try (CqlSession session = streams.settings().openSession()) {
            assertThat(imageIds(session, socialKeyspace)).contains(first);
        }

        // One of two deduplicated copies: its rows go, the shared blob stays for the other.
        assertThat(erase(connection, "--image-id", first).exitCode()).isZero();
        try (CqlSession session = streams.settings().openSession()) {
            assertGone(session, socialKeyspace, first);
            assertThat(imageIds(session, socialKeyspace)).containsExactlyInAnyOrder(copy, otherId);
            assertThat(new ResultReader(session, socialKeyspace).readBlob(sharedSha))
                    .isEqualTo(shared);
        }

        // The DICOM, by the producer's source id through the pseudonym key.
        CliRun bySource =
                erase(
                        connection,
                        "--source-id",
                        "MRN-004242",
                        "--medical-uid-secret-file",
                        TestSecrets.medicalUidSecretFile());
        assertThat(bySource.exitCode()).isZero();
        try (CqlSession session = streams.settings().openSession()) {
            assertGone(session, medicalKeyspace, dose);
            assertThat(count(session, medicalKeyspace, "result_parts", "image_id", dose)).isZero();
            assertBlobGone(session, medicalKeyspace, doseSha);
            assertThat(imageIds(session, socialKeyspace)).containsExactlyInAnyOrder(copy, otherId);
        }

        // The rest of the social domain by time range: now the shared blob has no row left.
        CliRun byRange =
                erase(
                        connection,
                        "--domain",
                        "social",
                        "--from",
                        before.toString(),
                        "--to",
                        after.toString());
        assertThat(byRange.exitCode()).isZero();
        try (CqlSession session = streams.settings().openSession()) {
            assertGone(session, socialKeyspace, copy);
            assertGone(session, socialKeyspace, otherId);
            assertThat(imageIds(session, socialKeyspace)).isEmpty();
            assertBlobGone(session, socialKeyspace, sharedSha);
            assertBlobGone(session, socialKeyspace, otherSha);
            assertThat(count(session, socialKeyspace, "blobs", null, null)).isZero();
            assertThat(count(session, socialKeyspace, "blob_chunks", null, null)).isZero();
        }
        assertThat(erase(connection, "--image-id", first).exitCode()).isEqualTo(1);
    }

    private static CliRun erase(List<String> connection, String... args) {
        List<String> all = new ArrayList<>(List.of("erase"));
        all.addAll(connection);
        all.addAll(List.of(args));
        return CliRun.of(all.toArray(String[]::new));
    }

    private static List<String> imageIds(CqlSession session, String keyspace) {
        List<String> ids = new ArrayList<>();
        for (Row row : session.execute("SELECT image_id FROM " + keyspace + ".results")) {
            ids.add(row.getString(0));
        }
        return ids;
    }

    /** No result row, part or listing row of the image remains (tables scanned in full). */
    private static void assertGone(CqlSession session, String keyspace, String imageId) {
        assertThat(count(session, keyspace, "results", "image_id", imageId)).isZero();
        assertThat(count(session, keyspace, "result_parts", "image_id", imageId)).isZero();
        assertThat(count(session, keyspace, "results_by_label", "image_id", imageId)).isZero();
    }

    private static void assertBlobGone(CqlSession session, String keyspace, String sha256) {
        assertThat(count(session, keyspace, "blobs", "sha256", sha256)).isZero();
        assertThat(chunks(session, keyspace, sha256)).isZero();
    }

    private static int chunks(CqlSession session, String keyspace, String sha256) {
        return count(session, keyspace, "blob_chunks", "sha256", sha256);
    }

    /** Rows of a table whose {@code column} is {@code value} (all rows when column is null). */
    private static int count(
            CqlSession session, String keyspace, String table, String column, String value) {
        int count = 0;
        for (Row row : session.execute("SELECT * FROM " + keyspace + "." + table)) {
            if (column == null || value.equals(row.getString(column))) {
                count++;
            }
        }
        return count;
    }
}
