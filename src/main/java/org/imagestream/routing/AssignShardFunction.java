package org.imagestream.routing;

import org.apache.flink.api.common.functions.MapFunction;
import org.imagestream.model.DecodedImage;

/**
 * Routes each image to a logical shard through the consistent-hash ring, by its content SHA-256, so
 * identical images (re-posts) always meet in the same shard and therefore the same subtask.
 */
public class AssignShardFunction implements MapFunction<DecodedImage, DecodedImage> {
    private static final long serialVersionUID = 1L;

    private final ConsistentHashRing ring;

    public AssignShardFunction(ConsistentHashRing ring) {
        this.ring = ring;
    }

    @Override
    public DecodedImage map(DecodedImage image) {
        image.shard = ring.nodeFor(image.contentSha256);
        return image;
    }
}
