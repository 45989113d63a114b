package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.inference.ModelSpec;
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
import org.imagestream.testing.HeapWatch;
import org.imagestream.testing.ObjectStoreRuns;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestFlink;
import org.imagestream.training.BandMeanModel;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images by reference and blob offload against a real S3 API server (S3Proxy) through Flink's S3
 * file system: {@code produce --by-reference} uploads a 13-band scene larger than Kafka's 16 MiB
 * record limit and a photo and publishes references; the job reads them, classifies them, offloads
 * the scene's blob to the bucket under its SHA-256 (Cassandra keeps the location, no chunks) and
 * chunks the photo into Cassandra; the scene is tiled as it is read (every tile's label checked
 * against one worked out by hand, see {@link SplitScene}); {@code query export} follows the
 * location and gets the scene back byte for byte. A missing object and references outside the
 * allowed prefix are dead letters with their reasons.
 */
@ExtendWith(LocalStackExtension.class)
class ObjectStoreITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = TestFlink.withoutRestartsCapturingMetrics(2);

    private static final String BUCKET = "imagestream";

    @Test
    @org.junit.jupiter.api.Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
    void shouldClassifyImagesByReferenceAndOffloadLargeBlobs(LocalStack stack, @TempDir Path temp)
            throws Exception {
        // 900 x 800 x 13 bands x 2 bytes: 18.7 MB, over the 16 MiB record limit, so streamed,
        // and tiled in 128 x 128 tiles as it is read (LargeSceneDrillITCase runs 200 MB).
        // The decode budget is below what the scene needs decoded whole (52 MB): only the
        // band-by-band tiling can classify it, so the stored tiles prove that path ran.
        long heapGrowth = run(stack, temp, new SplitScene(900, 800, 640, 384), 128, "32m");
        System.out.printf("Object store: heap grew by %d MiB over the run%n", heapGrowth >> 20);
    }

    /**
     * Runs the whole scenario with a 13-band scene and a remote-sensing model ({@link
     * BandMeanModel}) of {@code tileSize} x {@code tileSize} inputs that tiles it; returns how much
     * the largest heap occupancy after a collection grew while the job ran, over what it was before
     * (the scene's own arrays freed).
     *
     * @param decodeMemory {@code limits.max-decode-memory}
     */
    static long run(
            LocalStack stack, Path temp, SplitScene split, int tileSize, String decodeMemory)
            throws Exception {
        int width = split.width();
        int height = split.height();
        CapturingMetricReporter.clear();
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        String topic = "refs-" + suffix;
        String deadLetterTopic = "refs-dlq-" + suffix;
        String keyspace = "refs_" + suffix;
        stack.createTopics(2, topic, deadLetterTopic);
        try (S3ProxyServer s3 = ObjectStoreRuns.startS3(temp.resolve("s3proxy"), BUCKET)) {
            Path flinkConf = ObjectStoreRuns.flinkConf(s3, temp.resolve("flink-conf"));

            Path scene = temp.resolve("scene-water.tif");
            Files.write(scene, split.tiff());
            assertThat(Files.size(scene)).isGreaterThan(16L << 20);
            Path photo = temp.resolve("photo.jpg");
            Files.write(photo, SampleImages.generate(Domain.SOCIAL, 0, new Random(3)).bytes());

            String incoming = s3.bucketUri() + "incoming/";
            CliRun produced =
                    ObjectStoreRuns.produceByReference(
                            stack.bootstrapServers(),
                            topic,
                            incoming,
                            flinkConf,
                            scene.toString(),
                            photo.toString());
            assertThat(produced.exitCode()).isZero();
            assertThat(produced.text()).contains("sent 2, skipped 0, failed 0");

            Map<String, String> expectedReason = new HashMap<>();
            try (ImagePublisher publisher =
                    ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
                expectedReason.put(
                        ObjectStoreRuns.publishReference(publisher, topic, incoming + "gone.jpg"),
                        "REFERENCE_UNREADABLE");
                expectedReason.put(
                        ObjectStoreRuns.publishReference(
                                publisher, topic, s3.bucketUri() + "private/x.jpg"),
                        "REFERENCE_REFUSED");
                expectedReason.put(
                        ObjectStoreRuns.publishReference(
                                publisher, topic, incoming + "../private/x.jpg"),
                        "REFERENCE_REFUSED");
                expectedReason.put(
                        ObjectStoreRuns.publishReference(publisher, topic, "file:///etc/passwd"),
                        "REFERENCE_REFUSED");
            }

            Map<Domain, ModelSpec> specs = new HashMap<>(ModelStoreAccess.seedModels());
            specs.put(Domain.REMOTE_SENSING, split.model(temp.resolve("band-mean"), tileSize));
            Map<String, String> options =
                    LocalJobOptions.of(stack, topic, deadLetterTopic, keyspace, specs);
            options.put("kafka.bounded", "true");
            options.put("ingest.reference-prefixes", incoming);
            options.put("storage.offload-uri", s3.bucketUri() + "blobs/");
            options.put("storage.offload-min-bytes", "8m");
            options.put("limits.max-decode-memory", decodeMemory);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            ImageClassificationJob.build(env, JobConfig.fromMap(options));
            // Live heap (a full collection before each sample) before and while the job runs.
            HeapWatch before = HeapWatch.startForcingCollections();
            Thread.sleep(1000);
            before.stop();
            HeapWatch heap = HeapWatch.startForcingCollections();
            env.execute("object-store-it");
            heap.stop();
            long heapGrowth = heap.maxAfterGc() - before.maxAfterGc();
            System.out.printf(
                    "Object store: a %d-byte scene streamed; largest live heap %d MiB before the"
                            + " job, %d MiB while it ran%n",
                    Files.size(scene), before.maxAfterGc() >> 20, heap.maxAfterGc() >> 20);
            // The scene took the streamed path (never in the heap), the photo the in-heap one.
            assertThat(CapturingMetricReporter.counterSum("scenesStreamed", null)).isEqualTo(1);
            assertThat(CapturingMetricReporter.counterSum("blobsOffloaded", null)).isEqualTo(1);

            assertThat(
                            PipelineOutcomes.deadLetterReasons(
                                    stack.bootstrapServers(),
                                    deadLetterTopic,
                                    expectedReason.size()))
                    .containsExactlyInAnyOrderEntriesOf(expectedReason);
            CassandraSettings settings =
                    CassandraSettings.builder()
                            .contactPoints(List.of(stack.cassandraContactPoint()))
                            .keyspace(keyspace)
                            .build();
            try (CqlSession session = settings.openSession()) {
                Map<String, StoredResult> bySource = new HashMap<>();
                for (StoredResult row : new ResultReader(session, keyspace).all()) {
                    bySource.put(row.sourceId(), row);
                }
                assertThat(bySource).containsOnlyKeys(scene.toString(), photo.toString());
                StoredResult sceneRow = bySource.get(scene.toString());
                assertThat(sceneRow.domain()).isEqualTo("remote-sensing");
                assertThat(sceneRow.width()).isEqualTo(width);
                assertThat(sceneRow.height()).isEqualTo(height);
                String sha = sceneRow.contentSha256();
                assertThat(sha).isEqualTo(sha256(scene));
                // Tiled at full resolution: every tile's window and label as worked out by hand.
                split.assertTiles(
                        sceneRow,
                        new ResultReader(session, keyspace).parts(sceneRow.imageId()),
                        tileSize);

                // The scene's blob: in the bucket under its hash, pointed to, not chunked.
                Row blob =
                        session.execute(
                                        "SELECT size, chunk_count, location FROM "
                                                + keyspace
                                                + ".blobs WHERE sha256 = ?",
                                        sha)
                                .one();
                String location = s3.bucketUri() + "blobs/" + sha.substring(0, 2) + "/" + sha;
                assertThat(blob.getString("location")).isEqualTo(location);
                assertThat(blob.getInt("chunk_count")).isZero();
                assertThat(blob.getLong("size")).isEqualTo(Files.size(scene));
                assertThat(
                                session.execute(
                                                "SELECT data FROM "
                                                        + keyspace
                                                        + ".blob_chunks WHERE sha256 = ? AND"
                                                        + " chunk_index = 0",
                                                sha)
                                        .one())
                        .isNull();
                // What S3Proxy holds on its disk: the object, byte for byte.
                Path stored =
                        temp.resolve("s3proxy/data")
                                .resolve(BUCKET)
                                .resolve("blobs/" + sha.substring(0, 2) + "/" + sha);
                assertThat(Files.mismatch(stored, scene)).isEqualTo(-1L);

                // The photo is under the threshold: chunks in Cassandra, no location.
                StoredResult photoRow = bySource.get(photo.toString());
                Row photoBlob =
                        session.execute(
                                        "SELECT chunk_count, location FROM "
                                                + keyspace
                                                + ".blobs WHERE sha256 = ?",
                                        photoRow.contentSha256())
                                .one();
                assertThat(photoBlob.getString("location")).isNull();
                assertThat(photoBlob.getInt("chunk_count")).isPositive();

                // query export follows the location through the S3 file system.
                Path exported = temp.resolve("exported.tif");
                CliRun export =
                        CliRun.of(
                                "query",
                                "export",
                                sceneRow.imageId(),
                                "--output",
                                exported.toString(),
                                "--contact-points",
                                stack.cassandraContactPoint(),
                                "--keyspace",
                                keyspace,
                                "--flink-conf-dir",
                                flinkConf.toString());
                assertThat(export.exitCode()).isZero();
                assertThat(Files.mismatch(exported, scene)).isEqualTo(-1L);
            }
            // A reference's letter has no bytes: replay republishes its original record (the
            // reference) from the input topic.
            CliRun replay =
                    CliRun.of(
                            "dead-letters",
                            "replay",
                            "--bootstrap-servers",
                            stack.bootstrapServers(),
                            "--topic",
                            deadLetterTopic,
                            "--reason",
                            "REFERENCE_UNREADABLE");
            assertThat(replay.exitCode()).isZero();
            assertThat(replay.text()).contains("1 replayed, 0 already replayed");
            return heapGrowth;
        }
    }

    /** The JDK's SHA-256 of a file, read as a stream (the scene may not fit the test's heap). */
    private static String sha256(Path file) throws Exception {
        java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(digest.digest());
    }
}
