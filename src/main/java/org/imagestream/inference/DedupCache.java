package org.imagestream.inference;

import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.imagestream.model.DecodedImage;

/**
 * Recent predictions by content hash: keyed {@code MapState} with a TTL counted from the write, so
 * a copy of an image within the TTL is answered without decoding or classifying it. State of the
 * current key (the image's shard), which a rescale carries with its key group.
 */
final class DedupCache {
    private final MapState<String, CachedPrediction> recent;

    private DedupCache(MapState<String, CachedPrediction> recent) {
        this.recent = recent;
    }

    /** The cache of an operator's keyed state, or null when {@code ttl} is zero (dedup off). */
    static DedupCache open(RuntimeContext context, Duration ttl) {
        if (ttl.isZero()) {
            return null;
        }
        MapStateDescriptor<String, CachedPrediction> descriptor =
                new MapStateDescriptor<>(
                        "recent-predictions", String.class, CachedPrediction.class);
        descriptor.enableTimeToLive(
                StateTtlConfig.newBuilder(ttl)
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .build());
        return new DedupCache(context.getMapState(descriptor));
    }

    /** The entry that answers for {@code image} under {@code spec}, or null. */
    CachedPrediction lookup(DecodedImage image, ModelSpec spec) throws Exception {
        CachedPrediction cached = recent.get(image.contentSha256);
        return cached != null && cached.answers(image, spec) ? cached : null;
    }

    /** Remembers a classified image under the current key (the image's). */
    void remember(
            DecodedImage image, ModelSpec spec, Prediction prediction, List<Prediction> parts) {
        try {
            recent.put(image.contentSha256, CachedPrediction.of(spec, prediction, parts, image));
        } catch (Exception e) {
            throw new IllegalStateException("cannot remember a prediction", e);
        }
    }
}
