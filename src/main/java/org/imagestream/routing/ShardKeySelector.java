package org.imagestream.routing;

import org.apache.flink.api.java.functions.KeySelector;
import org.imagestream.model.DecodedImage;

/**
 * Keys the stream by the shard's routing key set by {@link AssignShardFunction}: a String, whose
 * hash is the same in every JVM.
 */
public class ShardKeySelector implements KeySelector<DecodedImage, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(DecodedImage image) {
        return image.routingKey;
    }
}
