package org.imagestream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.commons.codec.digest.DigestUtils;
import org.imagestream.inference.SavedModelClassifier;
import org.imagestream.localstack.FlinkClusterServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.HostileCorpus;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.PoisonPills;
import org.imagestream.testing.PublishedImages;
import org.imagestream.testing.StoredBytes;
import org.imagestream.testing.TestStreams;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The inputs that killed a TaskManager (issue 17), shuffled with the hostile corpus into a stream
 * of good images of all domains, on the real standalone cluster at {@code cluster up}'s size
 * ({@code flink-conf/} memory at 1400m, {@code -XX:+ExitOnOutOfMemoryError}) with the restart
 * strategy off, so any TaskManager loss or task failure fails the job and the test. Afterwards: the
 * TaskManager still runs, the job is RUNNING and never restarted, every record is exactly one row
 * or one dead letter, good images are stored byte-exact.
 */
@ExtendWith(LocalStackExtension.class)
class PoisonPillITCase {
    private static final long MIB = 1024 * 1024;
    private static final int GOOD = 45;

    @Test
    void shouldSurviveEveryPoisonPillWithoutTaskManagerLossOrRestart(LocalStack stack)
            throws Exception {
        try (FlinkClusterServer cluster =
                ClusterDeploymentITCase.startCluster(
                        "poison-pills", 1, Map.of("restart-strategy.type", "none"))) {
            ClusterDeploymentITCase.withLogsOnFailure(
                    cluster,
                    () -> {
                        run(stack, cluster);
                        refuseAtStart(stack, cluster);
                    });
        }
    }

    private static void run(LocalStack stack, FlinkClusterServer cluster) throws Exception {
        FlinkRestClient rest = new FlinkRestClient(cluster.restUrl());
        String jarId = ClusterDeploymentITCase.uploadJobJar(rest);
        TestStreams streams = TestStreams.create(stack, "poison");
        List<String> args =
                ClusterDeploymentITCase.jobArgs(
                        stack, streams.topic(), streams.deadLetterTopic(), streams.keyspace());
        String job = rest.runJar(jarId, args, null);
        rest.awaitRunning(job, Duration.ofSeconds(120));

        Random random = new Random(2026_11_30);
        List<Input> inputs = new ArrayList<>();
        for (int i = 0; i < GOOD; i++) {
            SampleImages.Sample sample = SampleImages.generate(Domain.values()[i % 3], i, random);
            inputs.add(
                    new Input("good " + sample.fileName(), sample.domain(), sample.bytes(), "ROW"));
        }
        int remoteSensingChannels =
                ModelStoreAccess.seedModels().get(Domain.REMOTE_SENSING).channels();
        inputs.add(
                new Input(
                        "zTXt bomb 1.5 GB",
                        Domain.SOCIAL,
                        PoisonPills.pngTextBomb(1536 * MIB, false),
                        "ROW"));
        inputs.add(
                new Input(
                        "iTXt bomb 1.5 GB",
                        Domain.SOCIAL,
                        PoisonPills.pngTextBomb(1536 * MIB, true),
                        "ROW"));
        inputs.add(
                new Input(
                        "8192x8192 16-bit grey+alpha PNG",
                        Domain.SOCIAL,
                        PoisonPills.png16BitGrayAlpha(8192),
                        "ROW"));
        inputs.add(
                new Input(
                        "64 MP JPEG, ICC, orientation 6",
                        Domain.SOCIAL,
                        PoisonPills.jpegWithIccAndOrientation(9248, 6936, 6),
                        "ROW"));
        inputs.add(
                new Input(
                        "8192x8192 13-band uint16 tiled Deflate GeoTIFF",
                        Domain.REMOTE_SENSING,
                        PoisonPills.tiledDeflateTiff(8192, 13, 256),
                        remoteSensingChannels == 13 ? "ROW" : "INCOMPATIBLE"));
        inputs.add(
                new Input(
                        "deflated DICOM inflating to 600 MB",
                        Domain.MEDICAL,
                        PoisonPills.deflatedDicom(64, 64, 600 * MIB),
                        "TOO_LARGE"));
        for (HostileCorpus.Sample bomb : HostileCorpus.bombs()) {
            inputs.add(new Input(bomb.name(), bomb.domain(), bomb.bytes(), "TOO_LARGE"));
        }
        List<HostileCorpus.Sample> corpus = new ArrayList<>(HostileCorpus.variants(random));
        Collections.shuffle(corpus, random);
        for (HostileCorpus.Sample sample : corpus.subList(0, Math.min(30, corpus.size()))) {
            inputs.add(new Input(sample.name(), sample.domain(), sample.bytes(), null));
        }
        Collections.shuffle(inputs, random);

        Map<String, Input> byId =
                PublishedImages.publishAll(
                        stack.bootstrapServers(),
                        streams.topic(),
                        inputs,
                        Input::domain,
                        Input::name,
                        Input::bytes);

        long expectedRows = inputs.stream().filter(i -> "ROW".equals(i.expected())).count();
        PipelineOutcomes.waitForResults(streams.settings(), (int) expectedRows, 300_000);
        try (CqlSession session = streams.settings().openSession()) {
            ResultReader reader = new ResultReader(session, streams.keyspace());
            List<StoredResult> rows;
            Map<String, String> reasons;
            long deadline = System.currentTimeMillis() + 120_000;
            while (true) {
                rows = reader.all();
                reasons =
                        PipelineOutcomes.deadLetterReasons(
                                stack.bootstrapServers(),
                                streams.deadLetterTopic(),
                                byId.size() - rows.size());
                if (rows.size() + reasons.size() >= byId.size()
                        || System.currentTimeMillis() > deadline) {
                    break;
                }
            }
            Map<String, StoredResult> rowsById = new HashMap<>();
            rows.forEach(row -> rowsById.put(row.imageId(), row));
            assertThat(rows).extracting(StoredResult::imageId).doesNotHaveDuplicates();
            assertThat(Collections.disjoint(rowsById.keySet(), reasons.keySet()))
                    .as("no record both stored and dead-lettered")
                    .isTrue();
            Set<String> accounted = new HashSet<>(rowsById.keySet());
            accounted.addAll(reasons.keySet());
            assertThat(accounted).as("every record accounted for").isEqualTo(byId.keySet());
            for (Map.Entry<String, Input> entry : byId.entrySet()) {
                Input input = entry.getValue();
                if ("ROW".equals(input.expected())) {
                    StoredResult row = rowsById.get(entry.getKey());
                    assertThat(row).as(input.name()).isNotNull();
                    byte[] stored = StoredBytes.of(row.domain(), input.bytes());
                    assertThat(row.contentSha256())
                            .as(input.name())
                            .isEqualTo(DigestUtils.sha256Hex(stored));
                    assertThat(reader.readBlob(row.contentSha256()))
                            .as(input.name())
                            .isEqualTo(stored);
                } else if (input.expected() != null) {
                    assertThat(reasons.get(entry.getKey()))
                            .as(input.name())
                            .isEqualTo(input.expected());
                }
            }
            System.out.printf(
                    "poison pills: %d records, %d rows, %d dead letters %s%n",
                    byId.size(), rows.size(), reasons.size(), new HashSet<>(reasons.values()));
        }
        assertThat(cluster.taskManagerAlive(0)).as("the TaskManager still runs").isTrue();
        assertThat(rest.jobState(job)).isEqualTo("RUNNING");
        String taskManagerLog = Files.readString(cluster.logFiles().get(1));
        // What -XX:+ExitOnOutOfMemoryError prints before the JVM exits, and any caught OOM.
        assertThat(taskManagerLog)
                .doesNotContain("Terminating due to java.lang.OutOfMemoryError")
                .doesNotContain("java.lang.OutOfMemoryError:");
        // flink-conf/'s TaskManager environment reached the TaskManager that loaded the models;
        // only flink-conf/ can have given it, as this JVM has none to pass on.
        assertThat(System.getenv(SavedModelClassifier.OWN_INTRA_OP_POOLS))
                .as(
                        "unset %s in the shell that runs the tests",
                        SavedModelClassifier.OWN_INTRA_OP_POOLS)
                .isNull();
        assertThat(taskManagerLog)
                .contains("Loaded model")
                .doesNotContain(SavedModelClassifier.SHARED_INTRA_OP_POOL_WARNING);
        String jobManagerLog = Files.readString(cluster.logFiles().get(0));
        assertThat(jobManagerLog).doesNotContain("switched from state RUNNING to RESTARTING");
        rest.cancel(job);
    }

    /**
     * Failures no replay can fix are refused when the job is submitted, with the fix in the
     * message, before anything is written: a pre-existing table of another shape, and a TTL that
     * Cassandra would refuse on every write.
     */
    private static void refuseAtStart(LocalStack stack, FlinkClusterServer cluster)
            throws Exception {
        FlinkRestClient rest = new FlinkRestClient(cluster.restUrl());
        String jarId = ClusterDeploymentITCase.uploadJobJar(rest);
        TestStreams streams = TestStreams.create(stack, "clash");
        try (CqlSession session = streams.settings().openSession()) {
            session.execute(
                    "CREATE KEYSPACE IF NOT EXISTS "
                            + streams.keyspace()
                            + " WITH replication = {'class': 'SimpleStrategy',"
                            + " 'replication_factor': 1}");
            session.execute(
                    "CREATE TABLE "
                            + streams.keyspace()
                            + ".results_by_label (domain text, label text, day text,"
                            + " received_at timestamp, image_id text, source_id text,"
                            + " content_sha256 text, top_score float, model_version text,"
                            + " PRIMARY KEY ((domain, label, day), received_at, image_id))");
        }
        List<String> args =
                ClusterDeploymentITCase.jobArgs(
                        stack, streams.topic(), streams.deadLetterTopic(), streams.keyspace());
        assertThatThrownBy(() -> rest.runJar(jarId, args, null))
                .hasMessageContaining(streams.keyspace() + ".results_by_label.day is text")
                .hasMessageContaining("date");
        try (CqlSession session = streams.settings().openSession()) {
            for (String table : List.of("results", "results_by_label", "blobs", "blob_chunks")) {
                assertThat(
                                session.execute(
                                                "SELECT count(*) FROM "
                                                        + streams.keyspace()
                                                        + "."
                                                        + table)
                                        .one()
                                        .getLong(0))
                        .as("rows in %s", table)
                        .isZero();
            }
        }
        assertThatThrownBy(
                        () ->
                                rest.runJar(
                                        jarId,
                                        ClusterDeploymentITCase.withOption(
                                                args, "cassandra.ttl.medical", "7301d"),
                                        null))
                .hasMessageContaining("cassandra.ttl.medical")
                .hasMessageContaining("630720000");
        assertThat(rest.get("/jobs/overview").path("jobs"))
                .as("no job of the refused submissions runs")
                .noneMatch(job -> job.path("state").asText().equals("RUNNING"));
    }

    /**
     * @param expected {@code ROW}, a dead-letter reason, or null for a corpus variant that may end
     *     either way (but must end exactly one way)
     */
    private record Input(String name, Domain domain, byte[] bytes, String expected) {}
}
