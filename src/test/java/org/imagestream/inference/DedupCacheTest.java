package org.imagestream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imagestream.inference.BatchingClassifyOperatorTest.find;
import static org.imagestream.inference.BatchingClassifyOperatorTest.harness;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.RocksDBKeyedStateBackend;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.util.Collector;
import org.imagestream.decode.ImageDecoder;
import org.imagestream.decode.ModelInput;
import org.imagestream.model.Classification;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.model.ImageRecord;
import org.imagestream.samples.SampleImages;
import org.imagestream.testing.ShippedFlinkConf;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dedup cache inside the classify operator (Flink's keyed test harness, real seed model): its
 * entries expire and leave the state (the heap backend's and RocksDB's), and a savepoint of the old
 * layout (a map per shard) still answers copies after a restore.
 */
class DedupCacheTest {
    private static final Duration TTL = Duration.ofMinutes(5);

    private static ModelSpec social;
    private static Map<Domain, ModelInput> inputs;

    @BeforeAll
    static void loadModel() throws Exception {
        social = ModelStoreAccess.seedModels().get(Domain.SOCIAL);
        inputs =
                Map.of(
                        Domain.SOCIAL,
                        new ModelInput(social.height(), social.width(), social.channels()));
    }

    @Test
    void shouldClassifyACopyAgainOnceTheTtlHasPassedAndDropExpiredEntriesFromTheState()
            throws Exception {
        List<byte[]> photos = photos(8, new Random(3));
        try (var harness = harness(classifier())) {
            harness.open();
            harness.setStateTtlProcessingTime(0);
            for (int i = 0; i < 6; i++) {
                harness.processElement(image(photos.get(i), "first-" + i, "shard-" + (i % 3)), 0L);
            }
            harness.prepareSnapshotPreBarrier(1L);
            int rememberedAtFirst = harness.numKeyedStateEntries();

            harness.setStateTtlProcessingTime(TTL.toMillis() / 2);
            harness.processElement(image(photos.get(0), "copy-in-ttl", "shard-0"), 0L);

            harness.setStateTtlProcessingTime(TTL.toMillis() + 1);
            harness.processElement(image(photos.get(1), "copy-after-ttl", "shard-1"), 0L);
            // Images never seen before; their state accesses visit (and drop) expired entries.
            for (int round = 0; round < 4; round++) {
                harness.processElement(
                        image(photos.get(6 + round % 2), "new-" + round, "shard-2"), 0L);
                harness.prepareSnapshotPreBarrier(2L + round);
            }
            List<Classification> results = harness.extractOutputValues();

            assertThat(rememberedAtFirst).isEqualTo(6);
            assertThat(find(results, "copy-in-ttl").deduplicated).isTrue();
            assertThat(find(results, "copy-after-ttl").deduplicated).isFalse();
            // Left: the re-classified copy and the two new images (their re-posts were hits).
            assertThat(harness.numKeyedStateEntries()).isEqualTo(3);
            assertThat(find(results, "new-2").deduplicated).isTrue();
        }
    }

    /**
     * In RocksDB (flink-conf/'s backend) expired entries leave the store when RocksDB compacts the
     * files that hold them (Flink's TTL compaction filter), not when the cache is read: without
     * that, a cache of an hour's images would keep every hash it ever saw on the TaskManager's
     * disk.
     */
    @Test
    void shouldDropExpiredEntriesFromRocksDbWhenItCompacts(@TempDir Path rocksDbFiles)
            throws Exception {
        List<byte[]> photos = photos(6, new Random(7));
        try (var harness = harness(classifier())) {
            harness.setStateBackend(ShippedFlinkConf.rocksDbOfOneSlot(rocksDbFiles));
            harness.open();
            RocksDBKeyedStateBackend<?> rocksDb =
                    (RocksDBKeyedStateBackend<?>)
                            ((AbstractStreamOperator<?>) harness.getOperator())
                                    .getKeyedStateBackend();
            ValueStateDescriptor<CachedPrediction> cacheState =
                    new ValueStateDescriptor<>(DedupCache.STATE_NAME, CachedPrediction.class);
            harness.setStateTtlProcessingTime(0);
            for (int i = 0; i < 3; i++) {
                harness.processElement(image(photos.get(i), "early-" + i, "shard-" + i), 0L);
            }
            harness.prepareSnapshotPreBarrier(1L);
            harness.setStateTtlProcessingTime(TTL.toMillis() / 2);
            for (int i = 3; i < 6; i++) {
                harness.processElement(image(photos.get(i), "late-" + i, "shard-" + i), 0L);
            }
            harness.prepareSnapshotPreBarrier(2L);
            rocksDb.compactState(cacheState);
            int storedBeforeExpiry = rocksDb.numKeyValueStateEntries();

            // The early entries are past their TTL now, the late ones are not; nothing reads them.
            harness.setStateTtlProcessingTime(TTL.toMillis() + 1);
            int storedAfterExpiryUncompacted = rocksDb.numKeyValueStateEntries();
            rocksDb.compactState(cacheState);
            int storedAfterCompaction = rocksDb.numKeyValueStateEntries();

            harness.processElement(image(photos.get(0), "copy-of-early", "shard-0"), 0L);
            harness.processElement(image(photos.get(3), "copy-of-late", "shard-3"), 0L);
            harness.prepareSnapshotPreBarrier(3L);
            List<Classification> results = harness.extractOutputValues();

            assertThat(storedBeforeExpiry).isEqualTo(6);
            assertThat(storedAfterExpiryUncompacted).isEqualTo(6);
            assertThat(storedAfterCompaction).isEqualTo(3);
            assertThat(find(results, "copy-of-early").deduplicated).isFalse();
            assertThat(find(results, "copy-of-late").deduplicated).isTrue();
        }
    }

    /**
     * A savepoint of a release that kept one {@code MapState} per shard, written here by a stand-in
     * of that release's operator with a prediction no model made, answers a copy after a restore:
     * the copy carries that prediction and is marked deduplicated.
     */
    @Test
    void shouldAnswerACopyFromACacheRestoredFromTheMapPerShardLayout() throws Exception {
        byte[] photo = SampleImages.generate(Domain.SOCIAL, 4, new Random(5)).bytes();
        DecodedImage original = image(photo, "original", "shard-7");
        CachedPrediction planted = new CachedPrediction();
        planted.modelName = social.name();
        planted.modelVersion = social.version();
        planted.labels = new ArrayList<>(social.labels());
        planted.scores = new ArrayList<>();
        for (int i = 0; i < social.labels().size(); i++) {
            planted.scores.add(i == 0 ? 0.125f : 0.875f / (social.labels().size() - 1));
        }
        OperatorSubtaskState oldSavepoint;
        try (var oldRelease = harness(new KeyedProcessOperator<>(new MapPerShardCache(planted)))) {
            oldRelease.open();
            oldRelease.processElement(original, 0L);
            oldRelease.processElement(image(photo, "original-again", "shard-7"), 0L);
            oldSavepoint = oldRelease.snapshot(1L, 1L);
        }

        List<Classification> results;
        int entriesAfterRestore;
        try (var restored = harness(classifier())) {
            restored.initializeState(oldSavepoint);
            restored.open();
            entriesAfterRestore = restored.numKeyedStateEntries();
            restored.processElement(image(photo, "copy", "shard-7"), 0L);
            restored.prepareSnapshotPreBarrier(2L);
            results = restored.extractOutputValues();
        }

        assertThat(results).hasSize(1);
        assertThat(results.get(0).deduplicated).isTrue();
        assertThat(results.get(0).scores).isEqualTo(planted.scores);
        // The shard's map is emptied (and left as no entry); the hash has its own entry.
        assertThat(entriesAfterRestore).isEqualTo(1);
    }

    /** What releases before the entry-per-hash layout kept: one TTL map per shard key. */
    private static final class MapPerShardCache
            extends KeyedProcessFunction<String, DecodedImage, Classification> {
        private final CachedPrediction planted;
        private transient MapState<String, CachedPrediction> recent;

        MapPerShardCache(CachedPrediction planted) {
            this.planted = planted;
        }

        @Override
        public void open(OpenContext context) {
            recent = getRuntimeContext().getMapState(MapPerShardLayout.descriptor(TTL));
        }

        @Override
        public void processElement(
                DecodedImage image, Context context, Collector<Classification> out)
                throws Exception {
            recent.put(image.contentSha256, planted);
        }
    }

    /** {@code count} distinct social photos from the sample generator. */
    private static List<byte[]> photos(int count, Random random) {
        List<byte[]> photos = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            photos.add(SampleImages.generate(Domain.SOCIAL, i, random).bytes());
        }
        return photos;
    }

    private static BatchingClassifyOperator classifier() {
        return new BatchingClassifyOperator(
                Map.of(Domain.SOCIAL, social), TTL, 8, Duration.ofHours(1));
    }

    private static DecodedImage image(byte[] bytes, String imageId, String shard) throws Exception {
        ImageRecord record = new ImageRecord();
        record.imageId = imageId;
        record.domain = "social";
        record.bytes = bytes;
        DecodedImage image = ImageDecoder.decode(record, inputs);
        image.shard = shard;
        image.routingKey = shard;
        return image;
    }
}
