package org.imagestream.model;

/**
 * An image after decoding: the model-ready pixel tensor (HWC, float) plus everything the storage
 * stage needs about the original. Produced by the decode stage, keyed by {@link #shard}.
 */
public class DecodedImage {
    public ImageRecord record;

    /** Lower-case hex SHA-256 of the original bytes: the blob's content address. */
    public String contentSha256;

    /** Logical shard chosen by the consistent-hash ring. */
    public String shard;

    /**
     * Flink key of the shard: a string chosen so that the shard lands on its intended subtask (see
     * {@code ShardKeys}); the stream is keyed by it.
     */
    public String routingKey;

    /** Geometry of the original image (before resizing to the model's input). */
    public int originalWidth;

    public int originalHeight;

    /**
     * Model input, row-major height x width x channels, values already normalised; for an image
     * classified in parts, {@link #parts} such inputs back to back.
     */
    public float[] pixels;

    /** Model inputs in {@link #pixels}: 1, or the tiles of a scene / frames of a DICOM file. */
    public int parts = 1;

    /** Per part (when {@code parts > 1}): tile window and bounds, or frame number. */
    public java.util.List<java.util.Map<String, String>> partExtras = new java.util.ArrayList<>();

    public int width;
    public int height;
    public int channels;

    public long decodedAtMillis;

    /** Domain extras for the result row (georeferencing, modality...); never patient data. */
    public java.util.Map<String, String> extras = new java.util.HashMap<>();

    public DecodedImage() {}
}
