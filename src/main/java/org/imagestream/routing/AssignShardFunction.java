package org.imagestream.routing;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.MapFunction;
import org.imagestream.model.DecodedImage;

/**
 * Routes each image to a logical shard on the consistent-hash ring and sets the shard's Flink key.
 * The ring key is the content SHA-256 by default, so identical images (re-posts) always meet in the
 * same shard and therefore the same subtask; or the source id, so related images (one source) meet
 * instead.
 */
public class AssignShardFunction implements MapFunction<DecodedImage, DecodedImage> {
    private static final long serialVersionUID = 1L;

    /** What the ring hashes. */
    public enum RoutingKey {
        CONTENT_HASH,
        SOURCE_ID
    }

    private final ConsistentHashRing ring;
    private final HashMap<String, String> shardKeys;
    private final RoutingKey routingKey;

    public AssignShardFunction(
            ConsistentHashRing ring, Map<String, String> shardKeys, RoutingKey routingKey) {
        this.ring = ring;
        this.shardKeys = new HashMap<>(shardKeys);
        this.routingKey = routingKey;
        for (String node : ring.nodes()) {
            if (!shardKeys.containsKey(node)) {
                throw new IllegalArgumentException("no routing key for shard " + node);
            }
        }
    }

    @Override
    public DecodedImage map(DecodedImage image) {
        String ringKey =
                routingKey == RoutingKey.SOURCE_ID && image.record.sourceId != null
                        ? image.record.sourceId
                        : image.contentSha256;
        image.shard = ring.nodeFor(ringKey);
        image.routingKey = shardKeys.get(image.shard);
        return image;
    }
}
