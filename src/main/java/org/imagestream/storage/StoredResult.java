package org.imagestream.storage;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A result row as read back from Cassandra. */
public record StoredResult(
        String imageId,
        String domain,
        String sourceId,
        String contentType,
        String contentSha256,
        String shard,
        String modelName,
        String modelVersion,
        String topLabel,
        float topScore,
        List<String> labels,
        List<Float> scores,
        boolean deduplicated,
        int width,
        int height,
        Instant receivedAt,
        Instant classifiedAt,
        Map<String, String> extras) {}
