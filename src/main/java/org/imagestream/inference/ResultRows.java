package org.imagestream.inference;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.imagestream.model.Classification;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.PartResult;

/** An image and its prediction as the result the sink stores. */
final class ResultRows {
    private ResultRows() {}

    /**
     * @param parts per part, its prediction (empty for an image classified whole); the result's
     *     labels are then the share of parts by top label
     */
    static Classification of(
            DecodedImage image, ModelSpec spec, Prediction prediction, List<Prediction> parts) {
        Classification result = new Classification();
        result.imageId = image.record.imageId;
        result.domain = image.record.domain;
        result.sourceId = image.record.sourceId;
        result.contentType = image.record.contentType;
        result.contentSha256 = image.contentSha256;
        result.shard = image.shard;
        result.modelName = spec.name();
        result.modelVersion = spec.version();
        result.labels = new ArrayList<>(prediction.labels());
        result.scores = new ArrayList<>(prediction.scores());
        result.width = image.originalWidth;
        result.height = image.originalHeight;
        result.receivedAtMillis = image.record.kafkaTimestamp;
        result.classifiedAtMillis = System.currentTimeMillis();
        result.bytes = image.record.bytes;
        result.streamedLocation = image.record.streamedLocation;
        result.streamedSize = image.record.streamedSize;
        result.extras = image.extras;
        if (!parts.isEmpty()) {
            result.extras = new HashMap<>(image.extras);
            result.extras.put("parts", Integer.toString(parts.size()));
            result.extras.put("scores", "share of parts by top label");
            for (int i = 0; i < parts.size(); i++) {
                Prediction part = parts.get(i);
                result.parts.add(
                        new PartResult(i, part.labels(), part.scores(), image.partExtras.get(i)));
            }
        }
        return result;
    }
}
