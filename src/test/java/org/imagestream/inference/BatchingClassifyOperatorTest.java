package org.imagestream.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.imagestream.decode.DecodeLimits;
import org.imagestream.decode.ImageDecoder;
import org.imagestream.decode.ModelInput;
import org.imagestream.decode.SceneTiling;
import org.imagestream.model.Classification;
import org.imagestream.model.DeadLetter;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.model.ImageRecord;
import org.imagestream.model.PartResult;
import org.imagestream.routing.ShardKeySelector;
import org.imagestream.samples.GeoTiffWriter;
import org.imagestream.samples.SampleImages;
import org.imagestream.samples.SyntheticScenes;
import org.imagestream.training.ModelStoreAccess;
import org.imagestream.training.ModelVersions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classify operator in Flink's keyed test harness, with the real seed models. */
class BatchingClassifyOperatorTest {
    private static ModelSpec social;
    private static List<DecodedImage> images;

    @BeforeAll
    static void decodeSamples() throws Exception {
        social = ModelStoreAccess.seedModels().get(Domain.SOCIAL);
        Map<Domain, ModelInput> inputs =
                Map.of(
                        Domain.SOCIAL,
                        new ModelInput(social.height(), social.width(), social.channels()));
        Random random = new Random(8);
        images = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            images.add(
                    decoded(
                            SampleImages.generate(Domain.SOCIAL, i, random).bytes(),
                            i,
                            "shard-00" + (i % 3),
                            inputs));
        }
    }

    @Test
    void shouldEmitTheSameScoresAsThePlainClassifier() throws Exception {
        List<Classification> results =
                run(
                        new BatchingClassifyOperator(
                                Map.of(Domain.SOCIAL, social),
                                Duration.ZERO,
                                4,
                                Duration.ofHours(1)),
                        images,
                        true);
        assertThat(results).hasSize(6);
        try (SavedModelClassifier plain = SavedModelClassifier.open(social)) {
            for (Classification result : results) {
                int index = Integer.parseInt(result.imageId.substring("t-0-".length()));
                Prediction expected = plain.classify(List.of(images.get(index).pixels)).get(0);
                assertThat(result.labels).isEqualTo(expected.labels());
                for (int k = 0; k < expected.scores().size(); k++) {
                    assertThat(Math.abs(result.scores.get(k) - expected.scores().get(k)))
                            .isLessThanOrEqualTo(1e-6f);
                }
                assertThat(result.modelVersion).isEqualTo(social.version());
            }
        }
    }

    @Test
    void shouldRunTheModelWhenTheBatchIsFullOrBeforeTheBarrierOrOnTheTimer() throws Exception {
        BatchingClassifyOperator operator =
                new BatchingClassifyOperator(
                        Map.of(Domain.SOCIAL, social), Duration.ZERO, 4, Duration.ofMillis(50));
        try (var harness = harness(operator)) {
            harness.setProcessingTime(0); // before open: the subtask is not idle at 0
            harness.open();
            for (int i = 0; i < 3; i++) {
                harness.processElement(images.get(i), 0L);
            }
            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(operator.pendingCount()).isEqualTo(3);
            harness.processElement(images.get(3), 0L); // batch of 4 is full
            assertThat(harness.extractOutputValues()).hasSize(4);

            harness.processElement(images.get(4), 0L);
            harness.prepareSnapshotPreBarrier(1L); // a checkpoint never holds a buffer
            assertThat(harness.extractOutputValues()).hasSize(5);
            assertThat(operator.pendingCount()).isZero();

            harness.processElement(images.get(5), 0L);
            harness.setProcessingTime(49);
            assertThat(harness.extractOutputValues()).hasSize(5);
            harness.setProcessingTime(60); // max batch delay passed
            assertThat(harness.extractOutputValues()).hasSize(6);
        }
    }

    /**
     * A batch is also full when its inputs reach the byte budget: the seed model's 32x32x3 input is
     * 3,072 floats, 12,288 bytes, so a 30,000-byte budget is reached by the third image (36,864
     * bytes), long before the 100-image batch size. A 224x224x3 input (602,112 bytes) fits 27 times
     * in 16 MiB, which is what a tiled scene's groups are cut to.
     */
    @Test
    void shouldRunTheModelWhenTheBatchReachesItsByteBudget() throws Exception {
        BatchingClassifyOperator operator =
                new BatchingClassifyOperator(
                                Map.of(Domain.SOCIAL, social),
                                Duration.ZERO,
                                100,
                                Duration.ofHours(1))
                        .withMaxBatchBytes(30_000);
        try (var harness = harness(operator)) {
            harness.open();
            harness.processElement(images.get(0), 0L);
            harness.processElement(images.get(1), 0L);
            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(operator.pendingCount()).isEqualTo(2);
            harness.processElement(images.get(2), 0L);
            assertThat(harness.extractOutputValues()).hasSize(3);
            assertThat(operator.pendingCount()).isZero();
        }
        assertThat(new MicroBatches(128, 16L << 20, 5, 100).inputsPerGroup(224 * 224 * 3))
                .isEqualTo(27);
        assertThat(new MicroBatches(128, 16L << 20, 5, 100).inputsPerGroup(32 * 32 * 3))
                .isEqualTo(128);
        assertThat(new MicroBatches(128, 1_000, 5, 100).inputsPerGroup(224 * 224 * 3)).isEqualTo(1);
    }

    /**
     * Under backlog (an image taken in within the delay of the timer) the batch keeps growing, up
     * to the wait bound; a pause in the input as long as the delay flushes it.
     */
    @Test
    void shouldGrowTheBatchWhileImagesKeepArrivingAndFlushOnAPauseOrTheWaitBound()
            throws Exception {
        BatchingClassifyOperator operator =
                new BatchingClassifyOperator(
                                Map.of(Domain.SOCIAL, social),
                                Duration.ZERO,
                                32,
                                Duration.ofMillis(10))
                        .withMaxBatchWait(Duration.ofMillis(100));
        try (var harness = harness(operator)) {
            long now = 0;
            harness.setProcessingTime(now); // before open: the subtask is not idle at 0
            harness.open();
            // One image every 8 ms (as if each took 8 ms to decode): never a 10 ms pause.
            for (int i = 0; i < 6; i++) {
                harness.processElement(images.get(i), 0L);
                harness.setProcessingTime(now += 8);
            }
            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(operator.pendingCount()).isEqualTo(6);
            harness.setProcessingTime(now += 10); // the pause: one batch of six
            assertThat(harness.extractOutputValues()).hasSize(6);

            // Arrivals that never pause are flushed when the oldest has waited 100 ms.
            long first = now;
            int sent = 0;
            while (now - first < 100) {
                harness.processElement(copyOf(images.get(sent % 6), 100 + sent), 0L);
                sent++;
                harness.setProcessingTime(now += 5);
            }
            assertThat(harness.extractOutputValues()).hasSize(6 + sent);
            assertThat(operator.pendingCount()).isZero();
        }
    }

    /**
     * An image that comes after the operator was idle for the delay, with nothing waiting, is
     * classified at once; images that follow it back to back (a backlog) still batch, and so does
     * one that comes sooner than the delay after the last work.
     */
    @Test
    void shouldClassifyAnImageThatFindsTheOperatorIdleAtOnceAndBatchTheBacklogBehindIt()
            throws Exception {
        BatchingClassifyOperator operator =
                new BatchingClassifyOperator(
                        Map.of(Domain.SOCIAL, social), Duration.ZERO, 32, Duration.ofMillis(10));
        try (var harness = harness(operator)) {
            harness.setProcessingTime(0);
            harness.open();
            long now = 10; // idle since open for the delay
            harness.setProcessingTime(now);
            harness.processElement(images.get(0), 0L);
            assertThat(harness.extractOutputValues()).hasSize(1);
            assertThat(operator.pendingCount()).isZero();

            harness.processElement(images.get(1), 0L); // right behind it: waits for followers
            harness.processElement(images.get(2), 0L);
            assertThat(harness.extractOutputValues()).hasSize(1);
            assertThat(operator.pendingCount()).isEqualTo(2);
            harness.setProcessingTime(now += 10); // the pause flushes the two
            assertThat(harness.extractOutputValues()).hasSize(3);

            harness.setProcessingTime(now += 9); // idle for less than the delay: waits
            harness.processElement(images.get(3), 0L);
            assertThat(operator.pendingCount()).isEqualTo(1);
            harness.setProcessingTime(now += 10);
            assertThat(harness.extractOutputValues()).hasSize(4);

            harness.setProcessingTime(now += 25); // idle again: at once
            harness.processElement(images.get(4), 0L);
            assertThat(harness.extractOutputValues()).hasSize(5);
            assertThat(operator.pendingCount()).isZero();

            // A barrier with nothing to classify is no work: the subtask stays idle.
            harness.setProcessingTime(now += 25);
            harness.prepareSnapshotPreBarrier(1L);
            harness.processElement(images.get(5), 0L);
            assertThat(harness.extractOutputValues()).hasSize(6);
        }
    }

    @Test
    void shouldDeadLetterOnlyTheImageTheModelCannotTakeAndClassifyTheRestOfItsBatch()
            throws Exception {
        DecodedImage poison = copyOf(images.get(1), 7);
        poison.pixels = new float[5]; // no multiple of the model input: the model call throws
        poison.contentSha256 = "poison";
        List<DecodedImage> batch = List.of(images.get(0), poison, images.get(2), images.get(3));
        BatchingClassifyOperator operator =
                new BatchingClassifyOperator(
                        Map.of(Domain.SOCIAL, social), Duration.ZERO, 4, Duration.ofHours(1));
        try (var harness = harness(operator)) {
            harness.open();
            for (DecodedImage image : batch) {
                harness.processElement(image, 0L);
            }
            assertThat(harness.extractOutputValues())
                    .extracting(result -> result.imageId)
                    .containsExactlyInAnyOrder("t-0-0", "t-0-2", "t-0-3");
            var deadLetters = harness.getSideOutput(BatchingClassifyOperator.DEAD_LETTERS);
            assertThat(deadLetters).hasSize(1);
            var letter = deadLetters.iterator().next().getValue();
            assertThat(letter.imageId).isEqualTo("t-0-7");
            assertThat(letter.reason).isEqualTo("MODEL_ERROR");
            assertThat(letter.message).contains("expects a multiple of");
        }
    }

    @Test
    void shouldClassifyIdenticalContentOnceAndMarkCopiesDeduplicated() throws Exception {
        List<DecodedImage> input = new ArrayList<>(images.subList(0, 3));
        input.add(copyOf(images.get(1), 10)); // arrives while the original waits in the batch
        List<Classification> results =
                run(
                        new BatchingClassifyOperator(
                                Map.of(Domain.SOCIAL, social),
                                Duration.ofMinutes(5),
                                8,
                                Duration.ofHours(1)),
                        input,
                        false);
        BatchingClassifyOperator operator =
                new BatchingClassifyOperator(
                        Map.of(Domain.SOCIAL, social),
                        Duration.ofMinutes(5),
                        2,
                        Duration.ofHours(1));
        List<Classification> later;
        try (var harness = harness(operator)) {
            harness.open();
            harness.processElement(images.get(2), 0L);
            harness.processElement(images.get(3), 0L); // batch of 2 runs, predictions cached
            harness.processElement(copyOf(images.get(2), 11), 0L); // a later re-post
            later = new ArrayList<>(harness.extractOutputValues());
        }

        assertThat(results).hasSize(4);
        Classification original = find(results, "t-0-1");
        Classification copy = find(results, "t-0-10");
        assertThat(original.deduplicated).isFalse();
        assertThat(copy.deduplicated).isTrue();
        assertThat(copy.scores).isEqualTo(original.scores);
        assertThat(copy.contentSha256).isEqualTo(original.contentSha256);

        assertThat(later).hasSize(3);
        Classification repost = find(later, "t-0-11");
        assertThat(repost.deduplicated).isTrue();
        assertThat(repost.scores).isEqualTo(find(later, "t-0-2").scores);
    }

    /**
     * A scene cut into tiles: every tile is one model input of the batch, its prediction is the
     * plain classifier's for that tile, and the image's labels are the share of tiles per top
     * label. A re-post of the same scene reuses the cached per-tile predictions.
     */
    @Test
    void shouldClassifyEveryTileAndAggregateTheShareOfTopLabels() throws Exception {
        ModelSpec remoteSensing = ModelStoreAccess.seedModels().get(Domain.REMOTE_SENSING);
        Map<Domain, ModelInput> inputs =
                Map.of(
                        Domain.REMOTE_SENSING,
                        remoteSensing.modelInput().withTiling(SceneTiling.TILE));
        byte[] tiff = twoClassScene(remoteSensing.channels());
        DecodedImage tiled = decoded(tiff, "remote-sensing", 30, "shard-000", inputs);
        assertThat(tiled.parts).isEqualTo(8);

        BatchingClassifyOperator operator =
                new BatchingClassifyOperator(
                        Map.of(Domain.REMOTE_SENSING, remoteSensing),
                        Duration.ofMinutes(5),
                        4,
                        Duration.ofHours(1));
        List<Classification> results;
        try (var harness = harness(operator)) {
            harness.open();
            harness.processElement(tiled, 0L); // 8 inputs: a full batch by itself
            harness.processElement(decoded(tiff, "remote-sensing", 31, "shard-000", inputs), 0L);
            results = new ArrayList<>(harness.extractOutputValues());
        }
        assertThat(results).hasSize(2);
        Classification result = find(results, "t-0-30");
        assertThat(result.parts).hasSize(8);
        Map<String, Integer> topLabels = new java.util.HashMap<>();
        try (SavedModelClassifier plain = SavedModelClassifier.open(remoteSensing)) {
            int size = remoteSensing.modelInput().size();
            for (int part = 0; part < 8; part++) {
                float[] tile =
                        java.util.Arrays.copyOfRange(tiled.pixels, part * size, (part + 1) * size);
                Prediction expected = plain.classify(List.of(tile)).get(0);
                PartResult actual = result.parts.get(part);
                assertThat(actual.index).isEqualTo(part);
                assertThat(actual.labels).isEqualTo(expected.labels());
                assertThat(actual.extras).containsKeys("x", "y", "bounds");
                topLabels.merge(expected.labels().get(0), 1, Integer::sum);
            }
        }
        assertThat(result.labels).containsExactlyInAnyOrderElementsOf(topLabels.keySet());
        for (int i = 0; i < result.labels.size(); i++) {
            assertThat(result.scores.get(i)).isEqualTo(topLabels.get(result.labels.get(i)) / 8f);
        }
        assertThat(result.scores).isSortedAccordingTo((a, b) -> Float.compare(b, a));
        assertThat(result.extras).containsEntry("parts", "8").containsEntry("tiles", "4x2");

        Classification repost = find(results, "t-0-31");
        assertThat(repost.deduplicated).isTrue();
        assertThat(repost.labels).isEqualTo(result.labels);
        for (int part = 0; part < 8; part++) {
            assertThat(repost.parts.get(part).scores).isEqualTo(result.parts.get(part).scores);
        }
    }

    /**
     * With the decoder in the operator, a tiled scene is classified group by group while its tiles
     * are read (groups of the batch size, 3 here: 3 + 3 + 2): its result is there at once, without
     * a batch flush, and each tile's labels are the plain classifier's on the same tile decoded
     * whole. A re-post is a dedup hit and never decoded.
     */
    @Test
    void shouldClassifyAScenesTilesAsTheyAreReadWithoutBufferingTheScene() throws Exception {
        ModelSpec remoteSensing = ModelStoreAccess.seedModels().get(Domain.REMOTE_SENSING);
        Map<Domain, ModelInput> inputs =
                Map.of(
                        Domain.REMOTE_SENSING,
                        remoteSensing.modelInput().withTiling(SceneTiling.TILE));
        byte[] tiff = twoClassScene(remoteSensing.channels());
        DecodedImage whole = decoded(tiff, "remote-sensing", 30, "shard-000", inputs);

        BatchingClassifyOperator operator =
                new BatchingClassifyOperator(
                                Map.of(Domain.REMOTE_SENSING, remoteSensing),
                                Duration.ofMinutes(5),
                                3,
                                Duration.ofHours(1))
                        .withDecoder(new ImageDecoder(inputs, DecodeLimits.DEFAULT, false));
        DecodedImage scenePrepared = prepared(tiff, 40, "shard-000");
        scenePrepared.record.domain = "remote-sensing";
        DecodedImage repost = prepared(tiff, 41, "shard-000");
        repost.record.domain = "remote-sensing";
        List<Classification> results;
        try (var harness = harness(operator)) {
            harness.open();
            harness.processElement(scenePrepared, 0L);
            assertThat(operator.pendingCount()).isZero();
            assertThat(harness.extractOutputValues()).hasSize(1);
            harness.processElement(repost, 0L);
            results = new ArrayList<>(harness.extractOutputValues());
        }
        assertThat(scenePrepared.pixels).isNull();
        assertThat(repost.pixels).isNull();
        Classification result = find(results, "t-0-40");
        assertThat(result.parts).hasSize(8);
        assertThat(result.width).isEqualTo(128);
        assertThat(result.extras).containsEntry("parts", "8").containsEntry("tiles", "4x2");
        try (SavedModelClassifier plain = SavedModelClassifier.open(remoteSensing)) {
            int size = remoteSensing.modelInput().size();
            for (int part = 0; part < 8; part++) {
                float[] tile =
                        java.util.Arrays.copyOfRange(whole.pixels, part * size, (part + 1) * size);
                Prediction expected = plain.classify(List.of(tile)).get(0);
                assertThat(result.parts.get(part).labels).isEqualTo(expected.labels());
                assertThat(result.parts.get(part).extras).isEqualTo(whole.partExtras.get(part));
            }
        }
        Classification copy = find(results, "t-0-41");
        assertThat(copy.deduplicated).isTrue();
        assertThat(copy.labels).isEqualTo(result.labels);
        assertThat(copy.parts).hasSize(8);
    }

    /**
     * Roll-out from a watched model root: version 2 appears and is swapped in between batches
     * (results name it); a broken version 3 and a version 4 with another input geometry are
     * rejected while version 2 keeps serving every image.
     */
    @Test
    void shouldSwapInANewVersionBetweenBatchesAndKeepServingWhenANewVersionIsBad(@TempDir Path root)
            throws Exception {
        ModelVersions.copy(Path.of(social.directory()), root.resolve("1"), "1", false);
        ModelSpec first = ModelSpec.load(ModelDirectory.current(root));
        Duration poll = Duration.ofSeconds(10);
        BatchingClassifyOperator operator =
                new BatchingClassifyOperator(
                        Map.of(Domain.SOCIAL, first),
                        Duration.ZERO,
                        2,
                        Duration.ofHours(1),
                        Map.of(Domain.SOCIAL, root.toString()),
                        poll);
        try (var harness = harness(operator)) {
            long now = 0;
            harness.setProcessingTime(now); // before open: the subtask is not idle at 0
            harness.open();
            harness.processElement(images.get(0), 0L); // pending: waits for a second image

            ModelVersions.copy(Path.of(social.directory()), root.resolve("2"), "2", false);
            harness.setProcessingTime(now += poll.toMillis()); // starts loading version 2
            operator.awaitModelLoad();
            harness.setProcessingTime(now += poll.toMillis()); // swaps it in
            assertThat(operator.servingModel(Domain.SOCIAL).version()).isEqualTo("2");
            // The image that waited was classified by version 1 before the swap.
            assertThat(harness.extractOutputValues())
                    .singleElement()
                    .satisfies(r -> assertThat(r.modelVersion).isEqualTo("1"));

            ModelVersions.copy(Path.of(social.directory()), root.resolve("3"), "3", true);
            harness.setProcessingTime(now += poll.toMillis());
            operator.awaitModelLoad();
            harness.setProcessingTime(now += poll.toMillis()); // rejected
            assertThat(operator.servingModel(Domain.SOCIAL).version()).isEqualTo("2");

            Path otherGeometry = root.resolve("4");
            ModelVersions.copy(Path.of(social.directory()), otherGeometry, "4", false);
            Files.writeString(
                    otherGeometry.resolve(ModelSpec.FILE_NAME),
                    Files.readString(otherGeometry.resolve(ModelSpec.FILE_NAME))
                            .replace("\"height\" : " + social.height(), "\"height\" : 7"));
            harness.setProcessingTime(now += poll.toMillis());
            operator.awaitModelLoad();
            harness.setProcessingTime(now += poll.toMillis()); // rejected: input differs
            assertThat(operator.servingModel(Domain.SOCIAL).version()).isEqualTo("2");
            harness.setProcessingTime(now += poll.toMillis()); // nothing newer to try
            assertThat(operator.servingModel(Domain.SOCIAL).version()).isEqualTo("2");

            for (int i = 1; i < images.size(); i++) {
                harness.processElement(images.get(i), 0L);
            }
            harness.endInput();
            List<Classification> results = new ArrayList<>(harness.extractOutputValues());
            assertThat(results).hasSize(images.size());
            assertThat(results.subList(1, results.size()))
                    .allSatisfy(r -> assertThat(r.modelVersion).isEqualTo("2"));
        }
    }

    /**
     * A restart resumes the roll-out instead of the version the job was submitted with: version 2
     * was rolled out before the checkpoint, and the submitted version 1 is pruned; the restored
     * operator serves 2 (it used to reload 1, and could not start without it). With 2 pruned as
     * well and a version 3 published, it falls forward to 3.
     */
    @Test
    void shouldRestartOnTheRolledOutVersionAndFallForwardWhenItIsPruned(@TempDir Path root)
            throws Exception {
        ModelVersions.copy(Path.of(social.directory()), root.resolve("1"), "1", false);
        ModelSpec submitted = ModelSpec.load(ModelDirectory.current(root));
        Duration poll = Duration.ofSeconds(10);
        org.apache.flink.runtime.checkpoint.OperatorSubtaskState checkpoint;
        BatchingClassifyOperator first = watching(submitted, root, poll);
        try (var harness = harness(first)) {
            harness.open();
            ModelVersions.copy(Path.of(social.directory()), root.resolve("2"), "2", false);
            harness.setProcessingTime(poll.toMillis());
            first.awaitModelLoad();
            harness.setProcessingTime(2 * poll.toMillis());
            assertThat(first.servingModel(Domain.SOCIAL).version()).isEqualTo("2");
            checkpoint = harness.snapshot(1L, 0L);
        }
        org.apache.commons.io.FileUtils.deleteDirectory(root.resolve("1").toFile());

        BatchingClassifyOperator restored = watching(submitted, root, poll);
        try (var harness = harness(restored)) {
            harness.initializeState(checkpoint);
            harness.open();
            assertThat(restored.servingModel(Domain.SOCIAL).version()).isEqualTo("2");
            harness.processElement(images.get(0), 0L);
            harness.endInput();
            assertThat(harness.extractOutputValues())
                    .singleElement()
                    .satisfies(r -> assertThat(r.modelVersion).isEqualTo("2"));
        }

        org.apache.commons.io.FileUtils.deleteDirectory(root.resolve("2").toFile());
        ModelVersions.copy(Path.of(social.directory()), root.resolve("3"), "3", false);
        BatchingClassifyOperator fallForward = watching(submitted, root, poll);
        try (var harness = harness(fallForward)) {
            harness.initializeState(checkpoint);
            harness.open();
            assertThat(fallForward.servingModel(Domain.SOCIAL).version()).isEqualTo("3");
        }
    }

    /**
     * A newest version whose spec reads but whose SavedModel does not load (the hot swap rejects
     * such a version while the job runs) must not stop a restart: the subtask starts on the next
     * older version that loads.
     */
    @Test
    void shouldStartOnAnOlderVersionWhenTheNewestDoesNotLoad(@TempDir Path root) throws Exception {
        ModelVersions.copy(Path.of(social.directory()), root.resolve("1"), "1", false);
        ModelSpec submitted = ModelSpec.load(ModelDirectory.current(root));
        ModelVersions.copy(Path.of(social.directory()), root.resolve("2"), "2", true);
        BatchingClassifyOperator operator = watching(submitted, root, Duration.ofSeconds(10));
        try (var harness = harness(operator)) {
            harness.open();
            assertThat(operator.servingModel(Domain.SOCIAL).version()).isEqualTo("1");
        }
    }

    private static BatchingClassifyOperator watching(
            ModelSpec submitted, Path root, Duration poll) {
        return new BatchingClassifyOperator(
                Map.of(Domain.SOCIAL, submitted),
                Duration.ZERO,
                2,
                Duration.ofHours(1),
                Map.of(Domain.SOCIAL, root.toString()),
                poll);
    }

    /**
     * The job's path: images arrive prepared (bytes and hash, no pixels) and are decoded here,
     * after the dedup lookup. A copy of a classified image is answered from the cache and a copy of
     * a pending one rides with its original: neither is decoded (its pixels stay null), both get
     * the original's size and labels; bytes that do not decode are a dead letter with their reason
     * and bytes.
     */
    @Test
    void shouldDecodeAfterTheDedupLookupAndNeverDecodeACopy() throws Exception {
        Map<Domain, ModelInput> inputs =
                Map.of(
                        Domain.SOCIAL,
                        new ModelInput(social.height(), social.width(), social.channels()));
        BatchingClassifyOperator operator =
                new BatchingClassifyOperator(
                                Map.of(Domain.SOCIAL, social),
                                Duration.ofHours(1),
                                4,
                                Duration.ofHours(1))
                        .withDecoder(new ImageDecoder(inputs, DecodeLimits.DEFAULT, false));
        byte[] first = images.get(0).record.bytes;
        byte[] second = images.get(1).record.bytes;
        DecodedImage pendingCopy = prepared(second, 11, "shard-001");
        DecodedImage cachedCopy = prepared(first, 10, "shard-000");
        try (var harness = harness(operator)) {
            harness.open();
            harness.processElement(prepared(first, 0, "shard-000"), 0L);
            harness.processElement(prepared(second, 1, "shard-001"), 0L);
            harness.processElement(pendingCopy, 0L);
            harness.processElement(prepared(new byte[] {1, 2, 3}, 2, "shard-002"), 0L);
            harness.prepareSnapshotPreBarrier(1L);
            harness.processElement(cachedCopy, 0L);
            harness.prepareSnapshotPreBarrier(2L);

            List<Classification> results = new ArrayList<>(harness.extractOutputValues());
            assertThat(results)
                    .extracting(r -> r.imageId)
                    .containsExactlyInAnyOrder("t-0-0", "t-0-1", "t-0-11", "t-0-10");
            assertThat(find(results, "t-0-10").deduplicated).isTrue();
            assertThat(find(results, "t-0-11").deduplicated).isTrue();
            assertThat(find(results, "t-0-10").labels).isEqualTo(find(results, "t-0-0").labels);
            assertThat(find(results, "t-0-11").labels).isEqualTo(find(results, "t-0-1").labels);
            assertThat(find(results, "t-0-10").width).isEqualTo(images.get(0).originalWidth);
            assertThat(find(results, "t-0-11").height).isEqualTo(images.get(1).originalHeight);
            assertThat(cachedCopy.pixels).isNull();
            assertThat(pendingCopy.pixels).isNull();
            // Decoded here, the original scores as the decoded-upstream image does.
            try (SavedModelClassifier plain = SavedModelClassifier.open(social)) {
                assertThat(find(results, "t-0-0").labels)
                        .isEqualTo(plain.classify(List.of(images.get(0).pixels)).get(0).labels());
            }
            List<DeadLetter> letters = new ArrayList<>();
            harness.getSideOutput(BatchingClassifyOperator.DEAD_LETTERS)
                    .forEach(record -> letters.add(record.getValue()));
            assertThat(letters)
                    .singleElement()
                    .satisfies(
                            letter -> {
                                assertThat(letter.imageId).isEqualTo("t-0-2");
                                assertThat(letter.reason).isEqualTo("UNSUPPORTED_FORMAT");
                                assertThat(letter.stage).isEqualTo("decode");
                                assertThat(letter.bytes).containsExactly(1, 2, 3);
                            });
        }
    }

    @Test
    void shouldGiveEachSlotItsShareOfTheCoresForTensorFlow() {
        assertThat(BatchingClassifyOperator.slotShareOfCores(2, 2)).isEqualTo(1);
        assertThat(BatchingClassifyOperator.slotShareOfCores(16, 4)).isEqualTo(4);
        assertThat(BatchingClassifyOperator.slotShareOfCores(2, 8)).isEqualTo(1);
        assertThat(BatchingClassifyOperator.slotShareOfCores(6, 0)).isEqualTo(6);
    }

    /**
     * A cache entry answers an undecoded copy only for the decode settings it was made under: the
     * same model version with another frame choice must decode again (its parts would differ).
     */
    @Test
    void shouldNotAnswerACopyFromAnEntryDecodedForOtherSettings(@TempDir Path dir)
            throws Exception {
        ModelSpec medical = ModelStoreAccess.seedModels().get(Domain.MEDICAL);
        ModelSpec allFrames =
                ModelVersions.withSetting(medical, dir.resolve("all"), "frame", "all");
        assertThat(allFrames.version()).isEqualTo(medical.version());
        DecodedImage image = new DecodedImage();
        image.originalWidth = 128;
        image.originalHeight = 128;
        CachedPrediction cached =
                CachedPrediction.of(
                        medical,
                        new Prediction(List.of("normal", "lesion"), List.of(0.9f, 0.1f)),
                        List.of(),
                        image);
        assertThat(cached.madeBy(allFrames)).isTrue();
        assertThat(cached.describesImage(medical)).isTrue();
        assertThat(cached.describesImage(allFrames)).isFalse();
        CachedPrediction old = CachedPrediction.of(medical, cached.toPrediction(), List.of());
        assertThat(old.describesImage(medical)).as("an entry from before").isFalse();
    }

    /** A record as the prepare stage passes it on: bytes, domain, SHA-256, shard; no pixels. */
    private static DecodedImage prepared(byte[] bytes, int offset, String shard) throws Exception {
        ImageRecord record = new ImageRecord();
        record.imageId = "t-0-" + offset;
        record.domain = "social";
        record.bytes = bytes;
        record.topic = "t";
        record.offset = offset;
        DecodedImage image = new DecodedImage();
        image.record = record;
        image.contentSha256 =
                java.util.HexFormat.of()
                        .formatHex(
                                java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        image.shard = shard;
        image.routingKey = shard;
        return image;
    }

    /** The result of one image (also for {@link DedupCacheTest}). */
    static Classification find(List<Classification> results, String imageId) {
        return results.stream().filter(r -> r.imageId.equals(imageId)).findFirst().orElseThrow();
    }

    private static List<Classification> run(
            BatchingClassifyOperator operator, List<DecodedImage> input, boolean endInput)
            throws Exception {
        try (var harness = harness(operator)) {
            harness.open();
            for (DecodedImage image : input) {
                harness.processElement(image, 0L);
            }
            if (endInput) {
                harness.endInput();
            } else {
                harness.prepareSnapshotPreBarrier(1L);
            }
            return new ArrayList<>(harness.extractOutputValues());
        }
    }

    /** Two 64x64 patches of different classes side by side: 4x2 tiles of 32x32. */
    private static byte[] twoClassScene(int bands) {
        Random random = new Random(21);
        short[] left = SyntheticScenes.remoteSensingPatch(0, 64, random);
        short[] right = SyntheticScenes.remoteSensingPatch(3, 64, random);
        short[] scene = new short[128 * 64 * bands];
        for (int y = 0; y < 64; y++) {
            System.arraycopy(left, y * 64 * bands, scene, y * 128 * bands, 64 * bands);
            System.arraycopy(right, y * 64 * bands, scene, (y * 128 + 64) * bands, 64 * bands);
        }
        return GeoTiffWriter.write(scene, 128, 64, bands, 500_000, 5_800_000, 10, 32633);
    }

    /** Flink's keyed harness around a classify stage, keyed by shard as in the job. */
    static KeyedOneInputStreamOperatorTestHarness<String, DecodedImage, Classification> harness(
            OneInputStreamOperator<DecodedImage, Classification> operator) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                operator, new ShardKeySelector(), Types.STRING);
    }

    private static DecodedImage copyOf(DecodedImage original, int offset) throws Exception {
        return decoded(
                original.record.bytes,
                offset,
                original.routingKey,
                Map.of(
                        Domain.SOCIAL,
                        new ModelInput(social.height(), social.width(), social.channels())));
    }

    private static DecodedImage decoded(
            byte[] bytes, int offset, String shard, Map<Domain, ModelInput> inputs)
            throws Exception {
        return decoded(bytes, "social", offset, shard, inputs);
    }

    private static DecodedImage decoded(
            byte[] bytes, String domain, int offset, String shard, Map<Domain, ModelInput> inputs)
            throws Exception {
        ImageRecord record = new ImageRecord();
        record.imageId = "t-0-" + offset;
        record.domain = domain;
        record.bytes = bytes;
        DecodedImage image = ImageDecoder.decode(record, inputs);
        image.shard = shard;
        image.routingKey = shard;
        return image;
    }
}
