package org.imagestream.decode;

import com.drew.imaging.ImageMetadataReader;
import com.drew.imaging.ImageProcessingException;
import com.drew.metadata.Metadata;
import com.drew.metadata.MetadataException;
import com.drew.metadata.exif.ExifIFD0Directory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * EXIF orientation (tag 0x0112, values 1-8): how a camera's stored pixels must be turned to be
 * upright. Read with metadata-extractor; applied before resizing, so the model sees photos the way
 * people do.
 */
final class ExifOrientation {
    private ExifOrientation() {}

    /** The orientation value, 1 (upright) when absent, unreadable or out of range. */
    static int of(byte[] bytes) {
        try {
            Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(bytes));
            ExifIFD0Directory exif = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
            if (exif == null || !exif.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
                return 1;
            }
            int value = exif.getInt(ExifIFD0Directory.TAG_ORIENTATION);
            return value >= 1 && value <= 8 ? value : 1;
        } catch (ImageProcessingException | IOException | MetadataException | RuntimeException e) {
            // Broken metadata must not lose an otherwise decodable photo.
            return 1;
        }
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
