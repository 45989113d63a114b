package org.imagestream.ingest;

import java.util.Optional;
import org.imagestream.model.Domain;

/**
 * Recognises an image's format, and so its domain, from its first bytes (magic numbers), the way
 * {@code file(1)} does: DICOM Part 10 ({@code DICM} at offset 128), TIFF ({@code II*\0} / {@code
 * MM\0*}), JPEG, PNG, GIF, BMP and WebP. File names are not trusted.
 */
public final class ContentSniffer {
    /** What the bytes are. */
    public record Detected(Domain domain, String contentType) {}

    private ContentSniffer() {}

    public static Optional<Detected> detect(byte[] head) {
        if (head.length >= 132
                && head[128] == 'D'
                && head[129] == 'I'
                && head[130] == 'C'
                && head[131] == 'M') {
            return Optional.of(new Detected(Domain.MEDICAL, "application/dicom"));
        }
        if (startsWith(head, 'I', 'I', 42, 0)
                || startsWith(head, 'M', 'M', 0, 42)
                || startsWith(head, 'I', 'I', 43, 0)
                || startsWith(head, 'M', 'M', 0, 43)) {
            return Optional.of(new Detected(Domain.REMOTE_SENSING, "image/tiff"));
        }
        if (startsWith(head, 0xFF, 0xD8, 0xFF)) {
            return Optional.of(new Detected(Domain.SOCIAL, "image/jpeg"));
        }
        if (startsWith(head, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return Optional.of(new Detected(Domain.SOCIAL, "image/png"));
        }
        if (startsWith(head, 'G', 'I', 'F', '8')) {
            return Optional.of(new Detected(Domain.SOCIAL, "image/gif"));
        }
        if (startsWith(head, 'B', 'M') && head.length >= 14) {
            return Optional.of(new Detected(Domain.SOCIAL, "image/bmp"));
        }
        if (head.length >= 12
                && startsWith(head, 'R', 'I', 'F', 'F')
                && head[8] == 'W'
                && head[9] == 'E'
                && head[10] == 'B'
                && head[11] == 'P') {
            return Optional.of(new Detected(Domain.SOCIAL, "image/webp"));
        }
        return Optional.empty();
    }

    private static boolean startsWith(byte[] bytes, int... prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((bytes[i] & 0xFF) != (prefix[i] & 0xFF)) {
                return false;
            }
        }
        return true;
    }
}
