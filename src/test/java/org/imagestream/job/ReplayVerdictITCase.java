package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay never turns a stored result into a dead letter. A first job classifies and stores a
 * stream but fails before any checkpoint completes (cancelled with a 10 min checkpoint interval:
 * its offsets and dead-letter transactions are never committed). The replay runs with a decode
 * budget of 1 ms of CPU, so every image trips {@code TOO_SLOW}, as a replay under catch-up load
 * with a cold JIT could, and an image by reference finds its object deleted ({@code
 * REFERENCE_UNREADABLE}). Afterwards every stored image still has exactly its row and no dead
 * letter, an image first seen by the replay gets its {@code TOO_SLOW} dead letter, malformed
 * records get theirs once; the replay's metrics show that the stored images did trip the budget and
 * the reference did fail.
 */
@ExtendWith(LocalStackExtension.class)
class ReplayVerdictITCase {
    private static final int STORED = 8;

    @RegisterExtension
    static final MiniClusterExtension FLINK = TestFlink.withoutRestartsCapturingMetrics(2);

    @Test
    void shouldKeepTheRowAndDropTheReplaysRunDependentDeadLetter(
            LocalStack stack, @TempDir Path incoming) throws Exception {
        TestStreams streams = TestStreams.create(stack, "replay");
        Map<String, String> options = LocalJobOptions.of(stack, streams);
        options.put("ingest.reference-prefixes", incoming.toUri().toString());
        Random random = new Random(30);
        Set<String> stored = new HashSet<>();
        Set<String> malformed = new HashSet<>();
        // An image by reference, whose object is gone by the replay.
        Path referenced = Files.write(incoming.resolve("photo-by-reference.png"), photo(random));
        String byReference;
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            byReference =
                    RecordIds.of(
                            publisher.clientProperties(),
                            publisher
                                    .publish(
                                            streams.topic(),
                                            Domain.SOCIAL.id(),
                                            "by-reference",
                                            null,
                                            new byte[0],
                                            Map.of(
                                                    ImageHeaders.CONTENT_LOCATION,
                                                    referenced.toUri().toString()))
                                    .get());
            for (int i = 0; i < STORED; i++) {
                stored.add(
                        PublishedImages.publish(
                                publisher,
                                streams.topic(),
                                Domain.SOCIAL,
                                "photo-" + i,
                                photo(random)));
            }
            for (int i = 0; i < 2; i++) {
                byte[] noise = new byte[500];
                random.nextBytes(noise);
                malformed.add(
                        PublishedImages.publish(
                                publisher, streams.topic(), Domain.SOCIAL, "noise-" + i, noise));
            }
        }

        // First run: stores every image, then fails before a checkpoint completes.
        Map<String, String> first = new java.util.HashMap<>(options);
        // No checkpoint within the run: 10 min apart, each allowed 1 min (the start check
        // accepts that within the 15-minute dead-letter transaction timeout).
        first.put("job.checkpoint-interval", "10 min");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.getCheckpointConfig().setCheckpointTimeout(60_000);
        ImageClassificationJob.build(env, JobConfig.fromMap(first));
        JobClient job = env.executeAsync("replay-verdict-first");
        PipelineOutcomes.waitForResults(streams.settings(), STORED + 1, 180_000);
        job.cancel().get();
        Files.delete(referenced);

        String late;
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            late =
                    PublishedImages.publish(
                            publisher, streams.topic(), Domain.SOCIAL, "late", photo(random));
        }

        // The replay: nothing committed, so it reads from the start, with a budget every image
        // trips.
        CapturingMetricReporter.clear();
        Map<String, String> replay = new java.util.HashMap<>(options);
        replay.put("limits.decode-time-budget", "1 ms");
        replay.put("kafka.bounded", "true");
        env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(replay));
        env.execute("replay-verdict-replay");

        Map<String, String> reasons =
                PipelineOutcomes.deadLetterReasons(
                        stack.bootstrapServers(), streams.deadLetterTopic(), 3);
        Map<String, String> expected = new java.util.HashMap<>();
        malformed.forEach(id -> expected.put(id, "UNSUPPORTED_FORMAT"));
        expected.put(late, "TOO_SLOW");
        assertThat(reasons).isEqualTo(expected);
        try (var session = streams.settings().openSession()) {
            List<StoredResult> rows = new ResultReader(session, streams.keyspace()).all();
            Set<String> rowsExpected = new HashSet<>(stored);
            rowsExpected.add(byReference);
            assertThat(rows)
                    .extracting(StoredResult::imageId)
                    .containsExactlyInAnyOrderElementsOf(rowsExpected);
        }
        // The failure happened: the replay decoded the stored images over budget, and the filter
        // dropped exactly their dead letters.
        assertThat(CapturingMetricReporter.counterSum("imagesDeadLettered", ".TOO_SLOW."))
                .isEqualTo(STORED + 1);
        assertThat(
                        CapturingMetricReporter.counterSum(
                                "imagesDeadLettered", ".REFERENCE_UNREADABLE."))
                .isEqualTo(1);
        assertThat(CapturingMetricReporter.counterSum("deadLettersSupersededByResult", null))
                .isEqualTo(STORED + 1);
    }

    /** A 700x700 noisy PNG: tens of milliseconds of CPU to decode, far over 1 ms. */
    private static byte[] photo(Random random) throws Exception {
        BufferedImage image = new BufferedImage(700, 700, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 700; y++) {
            for (int x = 0; x < 700; x++) {
                image.setRGB(
                        x, y, (x * 255 / 700) << 16 | (y * 255 / 700) << 8 | random.nextInt(64));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        return png.toByteArray();
    }
}
