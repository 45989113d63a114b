package org.imagestream.routing;

import org.apache.flink.api.java.functions.KeySelector;
import org.imagestream.model.DecodedImage;

/** Keys the stream by the shard assigned by {@link AssignShardFunction} (a String: stable hash). */
public class ShardKeySelector implements KeySelector<DecodedImage, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(DecodedImage image) {
        return image.shard;
    }
}
