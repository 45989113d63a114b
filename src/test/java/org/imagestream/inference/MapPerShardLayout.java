package org.imagestream.inference;

import java.time.Duration;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;

/**
 * The dedup cache's state as releases before session 21 declared it, written out here (not taken
 * from {@link DedupCache}) so tests and benchmarks can build that layout: one TTL {@code MapState}
 * of predictions by content hash per shard key.
 */
final class MapPerShardLayout {
    private MapPerShardLayout() {}

    static MapStateDescriptor<String, CachedPrediction> descriptor(Duration ttl) {
        MapStateDescriptor<String, CachedPrediction> descriptor =
                new MapStateDescriptor<>(
                        "recent-predictions", String.class, CachedPrediction.class);
        descriptor.enableTimeToLive(
                StateTtlConfig.newBuilder(ttl)
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .build());
        return descriptor;
    }
}
