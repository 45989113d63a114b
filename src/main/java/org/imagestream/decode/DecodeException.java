package org.imagestream.decode;

/**
 * A record that cannot become a model input, with a machine-readable reason that ends up on the
 * dead-letter record. Checked, so every caller has to decide where the failure goes.
 */
public class DecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why decoding failed; the name is the dead-letter reason code. */
    public enum Reason {
        /** The domain header is missing or names no known domain. */
        UNKNOWN_DOMAIN,
        /** The record has no bytes. */
        EMPTY,
        /** No decoder recognises the bytes as an image of this domain. */
        UNSUPPORTED_FORMAT,
        /** The format was recognised but the data is corrupt. */
        CORRUPT,
        /**
         * The file's own structure says bytes are missing (no JPEG end-of-image marker, no PNG IEND
         * chunk or GIF trailer, a WebP RIFF size or TIFF strip past the end): its pixels would be
         * mostly fill. See {@code Truncation}.
         */
        TRUNCATED,
        /** The image is valid but does not fit the model (e.g. band count). */
        INCOMPATIBLE,
        /** The image exceeds a configured size limit. */
        TOO_LARGE,
        /** Decoding took longer than the configured time budget. */
        TOO_SLOW,
        /**
         * A header the job stores (source id, content type, domain) is longer than {@link
         * org.imagestream.ingest.ImageHeaders#MAX_VALUE_CHARS}: Cassandra would refuse or a listing
         * would bloat on every replay.
         */
        INVALID_HEADER,
        /**
         * A DICOM file declares Burned In Annotation other than NO: identifying text in the pixels,
         * which de-identification cannot remove. Dead-lettered without its bytes.
         */
        BURNED_IN_ANNOTATION,
        /**
         * An image by reference ({@code content-location}) that the job may not read: images by
         * reference are off, or the URI is malformed, climbs out with dot segments, or is not under
         * {@code ingest.reference-prefixes}.
         */
        REFERENCE_REFUSED,
        /** An image by reference whose object is missing, a directory, or not readable. */
        REFERENCE_UNREADABLE
    }

    private final Reason reason;

    public DecodeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DecodeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
