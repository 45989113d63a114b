package org.imagestream.model;

import java.util.ArrayList;
import java.util.List;

/** The result of classifying one image: what the storage stage writes as a result row and blob. */
public class Classification {
    public String imageId;
    public String domain;
    public String sourceId;
    public String contentType;
    public String contentSha256;
    public String shard;

    public String modelName;
    public String modelVersion;

    /**
     * Top-k labels, best first, with their scores (softmax probabilities). For an image classified
     * in parts: every label that is the top label of some part, with its share of the parts.
     */
    public List<String> labels = new ArrayList<>();

    public List<Float> scores = new ArrayList<>();

    /**
     * True when an identical image (same SHA-256) was classified recently and its prediction was
     * reused instead of running the model again; its blob is already stored.
     */
    public boolean deduplicated;

    public int width;
    public int height;

    public long receivedAtMillis;
    public long classifiedAtMillis;

    /**
     * True when this image may have been classified before, by the run that failed: its Kafka
     * record is older than the restore of the classify subtask. Its stored row, if any, may name
     * another top label (the model rolled forward), whose listing row the writer then removes.
     */
    public boolean mayBeReplay;

    /** The original image bytes, stored content-addressed next to the result. */
    public byte[] bytes;

    /**
     * A streamed scene's URI and size ({@link ImageRecord#streamedLocation}): its blob is copied
     * from there to the offload store, and {@link #bytes} is empty. Null otherwise.
     */
    public String streamedLocation;

    public long streamedSize;

    /** Domain extras from decoding (GeoTIFF crs/bounds, DICOM modality/body part/frames). */
    public java.util.Map<String, String> extras = new java.util.HashMap<>();

    /** Per-part predictions of an image classified in parts (tiles, frames); else empty. */
    public List<PartResult> parts = new ArrayList<>();

    public Classification() {}

    public String topLabel() {
        return labels.isEmpty() ? null : labels.get(0);
    }

    public float topScore() {
        return scores.isEmpty() ? Float.NaN : scores.get(0);
    }
}
