package org.imagestream.decode;

/**
 * What the JPEG marker segments before the first scan say: frame size and component count (SOFn),
 * whether an ICC profile (APP2 {@code ICC_PROFILE}) or an Adobe colour transform (APP14) is
 * present, and where the EXIF block (APP1 {@code Exif}) is. Read without decoding, to choose the
 * decoder, check limits and read the orientation.
 *
 * @param exifOffset where the APP1 {@code Exif} payload starts (its {@code Exif\0\0} prefix), or -1
 *     when there is none before the frame header
 * @param exifLength length of that payload
 */
record JpegMarkers(
        int width,
        int height,
        int components,
        boolean iccProfile,
        boolean adobe,
        int exifOffset,
        int exifLength) {
    /** The markers, or null when the stream ends or is malformed before a frame header. */
    static JpegMarkers scan(byte[] jpeg) {
        boolean icc = false;
        boolean adobe = false;
        int exifOffset = -1;
        int exifLength = 0;
        int at = 2; // after SOI
        while (at + 4 <= jpeg.length) {
            if ((jpeg[at] & 0xFF) != 0xFF) {
                return null;
            }
            int marker = jpeg[at + 1] & 0xFF;
            if (marker == 0xFF) {
                at++; // fill byte
                continue;
            }
            int length = ((jpeg[at + 2] & 0xFF) << 8) | (jpeg[at + 3] & 0xFF);
            if (length < 2 || at + 2 + length > jpeg.length) {
                return null;
            }
            int segment = at + 4;
            if (marker == 0xE2 && startsWith(jpeg, segment, "ICC_PROFILE")) {
                icc = true;
            } else if (marker == 0xEE && startsWith(jpeg, segment, "Adobe")) {
                adobe = true;
            } else if (marker == 0xE1 && exifOffset < 0 && startsWith(jpeg, segment, "Exif")) {
                exifOffset = segment;
                exifLength = length - 2;
            } else if (isStartOfFrame(marker) && length >= 8) {
                int height = ((jpeg[segment + 1] & 0xFF) << 8) | (jpeg[segment + 2] & 0xFF);
                int width = ((jpeg[segment + 3] & 0xFF) << 8) | (jpeg[segment + 4] & 0xFF);
                return new JpegMarkers(
                        width,
                        height,
                        jpeg[segment + 5] & 0xFF,
                        icc,
                        adobe,
                        exifOffset,
                        exifLength);
            } else if (marker == 0xDA) {
                return null; // a scan before any frame header
            }
            at += 2 + length;
        }
        return null;
    }

    /** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0
                && marker <= 0xCF
                && marker != 0xC4
                && marker != 0xC8
                && marker != 0xCC;
    }

    private static boolean startsWith(byte[] bytes, int at, String ascii) {
        if (at + ascii.length() > bytes.length) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (bytes[at + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
