package org.imagestream.ingest;

/**
 * Kafka header names carried by image records and dead letters. The value is the raw image bytes;
 * everything else travels in headers so any producer can publish without a schema registry.
 */
public final class ImageHeaders {
    /** {@code social}, {@code remote-sensing} or {@code medical}. */
    public static final String DOMAIN = "domain";

    /** Caller's id of the image (file path, URL, upload id); free text. */
    public static final String SOURCE_ID = "source-id";

    /**
     * MIME type as sent, e.g. {@code image/jpeg}, {@code image/tiff}, {@code application/dicom}.
     */
    public static final String CONTENT_TYPE = "content-type";

    /** When the image was taken (ISO-8601 instant); the producer command sends the file time. */
    public static final String CAPTURE_TIME = "capture-time";

    /** Dead-letter headers: why, where and what. */
    public static final String DEAD_LETTER_REASON = "dead-letter-reason";

    public static final String DEAD_LETTER_STAGE = "dead-letter-stage";
    public static final String DEAD_LETTER_MESSAGE = "dead-letter-message";
    public static final String DEAD_LETTER_IMAGE_ID = "dead-letter-image-id";
    public static final String DEAD_LETTER_ORIGIN = "dead-letter-origin";

    private ImageHeaders() {}
}
