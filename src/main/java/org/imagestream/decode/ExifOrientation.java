package org.imagestream.decode;

import com.drew.lang.ByteArrayReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.MetadataException;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.drew.metadata.exif.ExifReader;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * EXIF orientation (tag 0x0112, values 1-8): how a camera's stored pixels must be turned to be
 * upright. Applied before resizing, so the model sees photos the way people do.
 *
 * <p>Only the EXIF block itself is handed to metadata-extractor's EXIF reader: the JPEG APP1 {@code
 * Exif} segment, the PNG {@code eXIf} chunk or the WebP {@code EXIF} chunk, found by walking the
 * file's segment or chunk headers. Reading a whole file's metadata would also inflate every PNG
 * {@code zTXt}/{@code iTXt} chunk without a bound (a 1.5 MB chunk inflates to 1.5 GB).
 */
final class ExifOrientation {
    private static final byte[] EXIF_PREFIX = {'E', 'x', 'i', 'f', 0, 0};

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
        try {
            byte[] tiff = exifBlock(bytes, span);
            if (tiff == null) {
                return 1;
            }
            Metadata metadata = new Metadata();
            new ExifReader().extract(new ByteArrayReader(tiff), metadata);
            ExifIFD0Directory exif = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
            if (exif == null || !exif.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
                return 1;
            }
            int value = exif.getInt(ExifIFD0Directory.TAG_ORIENTATION);
            return value >= 1 && value <= 8 ? value : 1;
        } catch (MetadataException | RuntimeException e) {
            // Broken metadata must not lose an otherwise decodable photo.
            return 1;
        }
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
        long at = 12;
        while (at + 8 <= b.length) {
            String fourcc = new String(b, (int) at, 4, StandardCharsets.ISO_8859_1);
            long length =
                    ByteBuffer.wrap(b, (int) at + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()
                            & 0xFFFFFFFFL;
            long dataAt = at + 8;
            if (dataAt + length > b.length) {
                return null;
            }
            if (fourcc.equals("EXIF")) {
                return new int[] {(int) dataAt, (int) length};
            }
            at = dataAt + length + (length & 1); // chunks are padded to an even size
        }
        return null;
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
