package org.imagestream.inference;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.imagestream.model.DecodedImage;

/**
 * Recent predictions by content hash: keyed {@code ValueState} under the image's shard key, one
 * state entry per content hash (the hash is the state's namespace), with a TTL counted from the
 * write, so a copy of an image within the TTL is answered without decoding or classifying it. Keyed
 * state of the image's shard, which a rescale carries with its key group.
 *
 * <p>One entry per hash, not one map per shard: Flink's TTL clean-up visits a few state entries on
 * every state access and, for a {@code MapState}, copies every live value of each map it visits.
 * With a map per shard that is a copy of a whole shard's predictions several times per image, a
 * cost that grows with the cache (docs/benchmarks.md, "Dedup cache"); with an entry per hash each
 * visit checks one value.
 */
final class DedupCache {
    /** The state: one {@link CachedPrediction} per (shard key, content hash). */
    static final String STATE_NAME = "prediction-by-content-hash";

    /**
     * Where releases before this layout kept the cache: one {@code MapState<hash, prediction>} per
     * shard key. Moved into {@link #STATE_NAME} when a savepoint of such a release is restored.
     */
    static final String SHARD_MAP_STATE_NAME = "recent-predictions";

    private final KeyedStateBackend<Object> backend;
    private final ValueStateDescriptor<CachedPrediction> descriptor;

    private DedupCache(
            KeyedStateBackend<Object> backend, ValueStateDescriptor<CachedPrediction> descriptor) {
        this.backend = backend;
        this.descriptor = descriptor;
    }

    /**
     * The cache in an operator's keyed state, or null when {@code ttl} is zero (dedup off). Entries
     * restored from a release that kept a map per shard are moved into this layout first (each then
     * lives one more TTL from now).
     */
    static DedupCache open(KeyedStateBackend<Object> backend, Duration ttl) throws Exception {
        if (ttl.isZero()) {
            return null;
        }
        ValueStateDescriptor<CachedPrediction> descriptor =
                new ValueStateDescriptor<>(STATE_NAME, CachedPrediction.class);
        descriptor.enableTimeToLive(ttlConfig(ttl));
        DedupCache cache = new DedupCache(backend, descriptor);
        cache.moveShardMaps(ttl);
        return cache;
    }

    /** The cache's TTL settings (package-private: its benchmark expires entries through them). */
    static StateTtlConfig ttlConfig(Duration ttl) {
        return StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
    }

    /** The entry that answers for {@code image} under {@code spec}, or null. */
    CachedPrediction lookup(DecodedImage image, ModelSpec spec) throws Exception {
        CachedPrediction cached = entry(image.contentSha256).value();
        return cached != null && cached.answers(image, spec) ? cached : null;
    }

    /** Remembers a classified image under the current key (the image's). */
    void remember(
            DecodedImage image, ModelSpec spec, Prediction prediction, List<Prediction> parts) {
        try {
            entry(image.contentSha256).update(CachedPrediction.of(spec, prediction, parts, image));
        } catch (Exception e) {
            throw new IllegalStateException("cannot remember a prediction", e);
        }
    }

    /** The current key's entry for one content hash (the backend keeps the state object). */
    private ValueState<CachedPrediction> entry(String contentSha256) throws Exception {
        return backend.getPartitionedState(contentSha256, StringSerializer.INSTANCE, descriptor);
    }

    /**
     * Moves restored per-shard maps ({@link #SHARD_MAP_STATE_NAME}) into entries per hash and
     * empties them; nothing to do unless a savepoint of the old layout was restored.
     */
    private void moveShardMaps(Duration ttl) throws Exception {
        List<Object> shardKeys;
        try (Stream<Object> keys = backend.getKeys(SHARD_MAP_STATE_NAME, VoidNamespace.INSTANCE)) {
            // Collected first: the loop below changes the state the keys are streamed from.
            shardKeys = keys.collect(Collectors.toList());
        }
        if (shardKeys.isEmpty()) {
            return;
        }
        MapStateDescriptor<String, CachedPrediction> shardMaps =
                new MapStateDescriptor<>(
                        SHARD_MAP_STATE_NAME, String.class, CachedPrediction.class);
        shardMaps.enableTimeToLive(ttlConfig(ttl));
        for (Object shardKey : shardKeys) {
            backend.setCurrentKey(shardKey);
            MapState<String, CachedPrediction> shardMap =
                    backend.getPartitionedState(
                            VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, shardMaps);
            for (Map.Entry<String, CachedPrediction> cached : shardMap.entries()) {
                entry(cached.getKey()).update(cached.getValue());
            }
            shardMap.clear();
        }
    }
}
