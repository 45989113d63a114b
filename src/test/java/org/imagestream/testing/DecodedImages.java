package org.imagestream.testing;

import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.model.ImageRecord;

/**
 * Test helper: decoded images straight from tensors, for benchmarks and soaks of the classify
 * stage.
 */
public final class DecodedImages {
    private DecodedImages() {}

    /** Image {@code index} of a synthetic stream: unique content hash, spread over 8 shards. */
    public static DecodedImage of(Domain domain, float[] pixels, long index) {
        ImageRecord record = new ImageRecord();
        record.imageId = "synthetic-0-" + index;
        record.domain = domain.id();
        record.bytes = new byte[0];
        DecodedImage image = new DecodedImage();
        image.record = record;
        image.contentSha256 = Long.toHexString(index);
        image.shard = "shard-" + (index % 8);
        image.routingKey = image.shard;
        image.pixels = pixels;
        return image;
    }
}
