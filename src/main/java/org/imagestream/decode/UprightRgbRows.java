package org.imagestream.decode;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;

/**
 * The rows of a decoded photo as the model sees it, read one at a time for {@link
 * Pixels#resize(Pixels.RowSource, int, int, int, int, int)}: turned upright by its EXIF
 * orientation, grayscale as recorded (see {@link ImageDecoders#grayAsRecorded}), as [0,1] RGB
 * floats. Gives the same values as {@link ExifOrientation#apply} of {@link
 * ImageDecoders#grayAsRecorded} followed by {@link Pixels#rgb}, without their three full-size
 * copies of the image (28 bytes per pixel).
 */
final class UprightRgbRows implements Pixels.RowSource {
    private final BufferedImage image;
    private final int orientation;
    private final int sourceWidth;
    private final int sourceHeight;
    private final boolean gray;
    private final double grayMax;
    private final int[] line;

    /**
     * @param orientation EXIF orientation 1-8
     */
    UprightRgbRows(BufferedImage image, int orientation) {
        this.image = image;
        this.orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;
        this.sourceWidth = image.getWidth();
        this.sourceHeight = image.getHeight();
        this.gray = image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        this.grayMax = (1L << image.getColorModel().getComponentSize(0)) - 1;
        this.line = new int[Math.max(sourceWidth, sourceHeight)];
    }

    /** Width of the upright image. */
    int width() {
        return turned() ? sourceHeight : sourceWidth;
    }

    /** Height of the upright image. */
    int height() {
        return turned() ? sourceWidth : sourceHeight;
    }

    /** Orientations 5-8 swap width and height: each upright row is a source column. */
    private boolean turned() {
        return orientation >= 5;
    }

    @Override
    public void read(int y, float[] row) {
        // The source row (orientations 1-4) or column (5-8) this upright row comes from.
        int index =
                switch (orientation) {
                    case 1, 2, 5, 6 -> y;
                    case 3, 4 -> sourceHeight - 1 - y;
                    default -> sourceWidth - 1 - y; // 7, 8
                };
        int length = turned() ? sourceHeight : sourceWidth;
        if (gray) {
            readGrayLine(index, length);
        } else {
            readRgbLine(index, length);
        }
        int width = width();
        for (int x = 0; x < width; x++) {
            // Where upright column x is in that line: reversed for 2, 3, 6 and 7.
            int at =
                    switch (orientation) {
                        case 2, 3 -> sourceWidth - 1 - x;
                        case 6, 7 -> sourceHeight - 1 - x;
                        default -> x; // 1, 4, 5, 8
                    };
            int pixel = line[at];
            row[x * 3] = ((pixel >> 16) & 0xff) / 255f;
            row[x * 3 + 1] = ((pixel >> 8) & 0xff) / 255f;
            row[x * 3 + 2] = (pixel & 0xff) / 255f;
        }
    }

    /** A source row or column as ARGB ints, as {@link BufferedImage#getRGB} gives them. */
    private void readRgbLine(int index, int length) {
        if (!turned() && readRowDirectly(index)) {
            return;
        }
        if (turned()) {
            image.getRGB(index, 0, 1, length, line, 0, 1);
        } else {
            image.getRGB(0, index, length, 1, line, 0, length);
        }
    }

    /**
     * The layouts photos decode to, read straight from the raster (the values {@code getRGB}
     * returns for these non-premultiplied sRGB layouts, about 5x faster); false for others.
     */
    private boolean readRowDirectly(int y) {
        Raster raster = image.getRaster();
        if (raster.getParent() != null
                || raster.getSampleModelTranslateX() != 0
                || raster.getSampleModelTranslateY() != 0) {
            return false;
        }
        switch (image.getType()) {
            case BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR -> {
                byte[] data = ((DataBufferByte) raster.getDataBuffer()).getData();
                int stride = image.getType() == BufferedImage.TYPE_3BYTE_BGR ? 3 : 4;
                int first = stride - 3; // ABGR: skip alpha
                int rowStart = y * sourceWidth * stride;
                if (data.length < rowStart + sourceWidth * stride) {
                    return false;
                }
                for (int x = 0; x < sourceWidth; x++) {
                    int at = rowStart + x * stride + first;
                    line[x] =
                            ((data[at + 2] & 0xff) << 16)
                                    | ((data[at + 1] & 0xff) << 8)
                                    | (data[at] & 0xff);
                }
                return true;
            }
            case BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB -> {
                int[] data = ((DataBufferInt) raster.getDataBuffer()).getData();
                int rowStart = y * sourceWidth;
                if (data.length < rowStart + sourceWidth) {
                    return false;
                }
                System.arraycopy(data, rowStart, line, 0, sourceWidth);
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    /** A source row or column of gray samples, scaled to 8 bits as recorded, as gray RGB ints. */
    private void readGrayLine(int index, int length) {
        Raster raster = image.getRaster();
        if (turned()) {
            raster.getSamples(index, 0, 1, length, 0, line);
        } else {
            raster.getSamples(0, index, length, 1, 0, line);
        }
        for (int i = 0; i < length; i++) {
            int v = (int) Math.round(line[i] * 255 / grayMax);
            line[i] = (v << 16) | (v << 8) | v;
        }
    }
}
