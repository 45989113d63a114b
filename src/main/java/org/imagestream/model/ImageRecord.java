package org.imagestream.model;

import java.util.HashMap;
import java.util.Map;

/**
 * One image as it arrived from Kafka: the original bytes plus the metadata carried in record
 * headers. Nothing is validated here: a record with a missing or unknown domain still becomes an
 * {@code ImageRecord}, so that the decode stage can dead-letter it with a reason instead of the
 * source dropping it.
 *
 * <p>A Flink POJO (public fields, no-arg constructor) so it is serialized without Kryo.
 */
public class ImageRecord {
    /**
     * Stable id: {@code topic-partition-offset@topicid} (see ingest.ImageIds), so a replay after
     * failure rewrites the same row and a recreated topic never overwrites an older one.
     */
    public String imageId;

    /** Domain as sent in the header; may be null or unknown (dead-lettered by the decoder). */
    public String domain;

    public String sourceId;
    public String contentType;
    public String topic;
    public int partition;
    public long offset;

    /** Kafka record timestamp (producer or log-append time), milliseconds since the epoch. */
    public long kafkaTimestamp;

    /** Every header of the original record, so dead letters can carry them back. */
    public Map<String, String> headers = new HashMap<>();

    public byte[] bytes;

    /**
     * The bytes were read from the record's {@code content-location} (an image by reference): its
     * dead letters carry the reference, not the bytes, and a replay reads them again.
     */
    public boolean byReference;

    /**
     * A scene by reference too large for the heap (over {@code limits.max-image-bytes}): its URI,
     * and {@link #bytes} stays empty; decoded from a local copy and stored by copying the object.
     * Null for every other record.
     */
    public String streamedLocation;

    /** The streamed object's size when it was hashed. */
    public long streamedSize;

    public ImageRecord() {}

    @Override
    public String toString() {
        return "ImageRecord{"
                + imageId
                + ", domain="
                + domain
                + ", source="
                + sourceId
                + ", "
                + (bytes == null ? 0 : bytes.length)
                + " bytes}";
    }
}
