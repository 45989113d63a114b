package org.imagestream.decode;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * EXIF orientation (tag 0x0112, values 1-8): how a camera's stored pixels must be turned to be
 * upright. Applied before resizing, so the model sees photos the way people do.
 *
 * <p>The EXIF block (the JPEG APP1 {@code Exif} segment, the PNG {@code eXIf} chunk or the WebP
 * {@code EXIF} chunk, found by walking the file's segment or chunk headers) is a small TIFF
 * structure, and orientation lives in its first directory: that one directory's entries are read,
 * nothing else, so no pointer is followed. metadata-extractor (used before) followed every SubIFD
 * pointer by recursion without a depth limit: a 2.7 MB PNG whose eXIf chunk nests 150,000
 * directories overflowed the stack, an {@code Error} that failed the task on every replay (its
 * issue 559); and reading a whole file's metadata with it inflated every PNG {@code zTXt}/{@code
 * iTXt} chunk without a bound.
 */
final class ExifOrientation {
    private static final byte[] EXIF_PREFIX = {'E', 'x', 'i', 'f', 0, 0};
    private static final int ORIENTATION_TAG = 0x0112;
    private static final int SHORT = 3;
    private static final int LONG = 4;

    private ExifOrientation() {}

    /** The orientation value, 1 (upright) when absent, unreadable or out of range. */
    static int of(byte[] bytes) {
        return orientation(bytes, exifSpan(bytes));
    }

    /** As {@link #of(byte[])}, for a JPEG whose markers the caller has already walked. */
    static int of(byte[] jpeg, JpegMarkers markers) {
        return orientation(jpeg, markers == null ? null : jpegExif(markers));
    }

    /**
     * @param span offset and length of the EXIF payload in {@code bytes}, or null for none
     */
    private static int orientation(byte[] bytes, int[] span) {
        byte[] tiff = exifBlock(bytes, span);
        return tiff == null ? 1 : firstDirectoryOrientation(ByteBuffer.wrap(tiff));
    }

    /**
     * Tag 0x0112 of the first directory of a TIFF-structured EXIF block (TIFF 6.0 section 2: a
     * byte-order mark, 42, the directory's offset; then 12-byte entries of tag, type, count and
     * value), as a SHORT or LONG of value 1-8; 1 for anything else.
     */
    static int firstDirectoryOrientation(ByteBuffer tiff) {
        if (tiff.remaining() < 8) {
            return 1;
        }
        if (tiff.get(0) == 'I' && tiff.get(1) == 'I') {
            tiff.order(ByteOrder.LITTLE_ENDIAN);
        } else if (tiff.get(0) != 'M' || tiff.get(1) != 'M') {
            return 1;
        }
        long directory = Integer.toUnsignedLong(tiff.getInt(4));
        if (tiff.getShort(2) != 42 || directory + 2 > tiff.limit()) {
            return 1;
        }
        int entries = Short.toUnsignedInt(tiff.getShort((int) directory));
        for (int i = 0; i < entries; i++) {
            long entry = directory + 2 + 12L * i;
            if (entry + 12 > tiff.limit()) {
                return 1;
            }
            int at = (int) entry;
            if (Short.toUnsignedInt(tiff.getShort(at)) != ORIENTATION_TAG
                    || tiff.getInt(at + 4) != 1) {
                continue;
            }
            int type = Short.toUnsignedInt(tiff.getShort(at + 2));
            long value =
                    type == SHORT
                            ? Short.toUnsignedInt(tiff.getShort(at + 8))
                            : type == LONG ? Integer.toUnsignedLong(tiff.getInt(at + 8)) : 0;
            return value >= 1 && value <= 8 ? (int) value : 1;
        }
        return 1;
    }

    /** Offset and length of the EXIF payload of a JPEG, PNG or WebP file, or null. */
    private static int[] exifSpan(byte[] bytes) {
        SocialFormat format = SocialFormat.sniff(bytes);
        if (format == null) {
            return null;
        }
        return switch (format) {
            case JPEG -> jpegExif(JpegMarkers.scan(bytes));
            case PNG -> pngExif(bytes);
            case WEBP -> webpExif(bytes);
            default -> null;
        };
    }

    /** The TIFF-structured EXIF block at {@code span} (without an {@code Exif\0\0} prefix). */
    private static byte[] exifBlock(byte[] bytes, int[] span) {
        if (span == null) {
            return null;
        }
        int at = span[0];
        int length = span[1];
        if (length >= EXIF_PREFIX.length
                && Arrays.equals(
                        bytes, at, at + EXIF_PREFIX.length, EXIF_PREFIX, 0, EXIF_PREFIX.length)) {
            at += EXIF_PREFIX.length;
            length -= EXIF_PREFIX.length;
        }
        return Arrays.copyOfRange(bytes, at, at + length);
    }

    /** Offset and length of the APP1 Exif payload, from the markers before the frame header. */
    private static int[] jpegExif(JpegMarkers markers) {
        return !markers.hasFrame() || markers.exifOffset() < 0
                ? null
                : new int[] {markers.exifOffset(), markers.exifLength()};
    }

    /** Offset and length of the eXIf chunk's data, walking chunk headers only. */
    private static int[] pngExif(byte[] b) {
        long at = 8;
        while (at + 12 <= b.length) {
            long length = ByteBuffer.wrap(b, (int) at, 4).getInt() & 0xFFFFFFFFL;
            String type = new String(b, (int) at + 4, 4, StandardCharsets.ISO_8859_1);
            long dataAt = at + 8;
            if (dataAt + length > b.length) {
                return null;
            }
            if (type.equals("eXIf")) {
                return new int[] {(int) dataAt, (int) length};
            }
            if (type.equals("IEND")) {
                return null;
            }
            at = dataAt + length + 4; // data, then CRC
        }
        return null;
    }

    /** Offset and length of the EXIF chunk's data in a RIFF WebP file. */
    private static int[] webpExif(byte[] b) {
        int[][] span = {null};
        SocialFormat.anyWebpChunk(
                b,
                12,
                b.length,
                (fourcc, data, length) -> {
                    if (data + length > b.length) {
                        return true; // cut short: no EXIF read
                    }
                    if (fourcc.equals("EXIF")) {
                        span[0] = new int[] {(int) data, (int) length};
                        return true;
                    }
                    return false;
                });
        return span[0];
    }

    /**
     * The upright image for an orientation: 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate
     * 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
     */
    static BufferedImage apply(BufferedImage source, int orientation) {
        if (orientation == 1) {
            return source;
        }
        int w = source.getWidth();
        int h = source.getHeight();
        boolean swap = orientation >= 5;
        int outWidth = swap ? h : w;
        int outHeight = swap ? w : h;
        int[] in = source.getRGB(0, 0, w, h, null, 0, w);
        int[] out = new int[in.length];
        for (int y = 0; y < outHeight; y++) {
            for (int x = 0; x < outWidth; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> {
                        sx = w - 1 - x;
                        sy = y;
                    }
                    case 3 -> {
                        sx = w - 1 - x;
                        sy = h - 1 - y;
                    }
                    case 4 -> {
                        sx = x;
                        sy = h - 1 - y;
                    }
                    case 5 -> {
                        sx = y;
                        sy = x;
                    }
                    case 6 -> {
                        sx = y;
                        sy = h - 1 - x;
                    }
                    case 7 -> {
                        sx = w - 1 - y;
                        sy = h - 1 - x;
                    }
                    default -> { // 8
                        sx = w - 1 - y;
                        sy = x;
                    }
                }
                out[y * outWidth + x] = in[sy * w + sx];
            }
        }
        BufferedImage upright = new BufferedImage(outWidth, outHeight, BufferedImage.TYPE_INT_ARGB);
        upright.setRGB(0, 0, outWidth, outHeight, out, 0, outWidth);
        return upright;
    }
}
