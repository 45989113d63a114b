package org.imagestream.ingest;

/**
 * Kafka header names carried by image records and dead letters. The value is the raw image bytes;
 * everything else travels in headers so any producer can publish without a schema registry.
 */
public final class ImageHeaders {
    /** {@code social}, {@code remote-sensing} or {@code medical}. */
    public static final String DOMAIN = "domain";

    /**
     * Longest value the job accepts for a header it stores ({@link #SOURCE_ID}, {@link
     * #CONTENT_TYPE}, {@link #DOMAIN}); longer is dead-lettered as {@code INVALID_HEADER}. Also the
     * most bytes of UTF-8 a {@link #CONTENT_LOCATION} it reads may have (more: {@code
     * REFERENCE_REFUSED}).
     */
    public static final int MAX_VALUE_CHARS = 1024;

    /** Caller's id of the image (file path, URL, upload id); free text. */
    public static final String SOURCE_ID = "source-id";

    /**
     * MIME type as sent, e.g. {@code image/jpeg}, {@code image/tiff}, {@code application/dicom}.
     */
    public static final String CONTENT_TYPE = "content-type";

    /**
     * Image by reference (claim check): on a record with an empty value, the URI of the image in an
     * object store ({@code s3://}, {@code hdfs://}, {@code file://}), read by the job through
     * Flink's file systems when it is under {@code ingest.reference-prefixes}.
     */
    public static final String CONTENT_LOCATION = "content-location";

    /** When the image was taken (ISO-8601 instant); the producer command sends the file time. */
    public static final String CAPTURE_TIME = "capture-time";

    /** Dead-letter headers: why, where and what. */
    public static final String DEAD_LETTER_REASON = "dead-letter-reason";

    public static final String DEAD_LETTER_STAGE = "dead-letter-stage";
    public static final String DEAD_LETTER_MESSAGE = "dead-letter-message";
    public static final String DEAD_LETTER_IMAGE_ID = "dead-letter-image-id";
    public static final String DEAD_LETTER_ORIGIN = "dead-letter-origin";

    /**
     * On a dead letter whose original bytes (or headers) were left out because the letter would not
     * fit the producer's {@code max.request.size}: what was left out; the original is found through
     * {@link #DEAD_LETTER_ORIGIN}.
     */
    public static final String DEAD_LETTER_OMITTED = "dead-letter-omitted";

    private ImageHeaders() {}
}
