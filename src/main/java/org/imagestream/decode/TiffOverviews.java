package org.imagestream.decode;

import java.util.List;

/**
 * Overview levels of a cloud-optimised GeoTIFF (GDAL's COG driver, or any TIFF with reduced
 * resolution images chained after the full one): each a directory marked NewSubfileType bit 0
 * (reduced resolution) with the first image's samples per pixel, bits and sample format. A model
 * that resamples the whole scene to its input reads the smallest level still at least as large as
 * the input in both dimensions, instead of decoding full resolution to throw most of it away.
 */
final class TiffOverviews {
    private static final int BITS_PER_SAMPLE = 258;
    private static final int SAMPLES_PER_PIXEL = 277;
    private static final int SAMPLE_FORMAT = 339;
    private static final int PLANAR_CONFIGURATION = 284;
    private static final int REDUCED_RESOLUTION = 1;

    private TiffOverviews() {}

    /**
     * The index (in the directory chain, as TwelveMonkeys' reader numbers images) of the overview
     * to read for a {@code width} x {@code height} input, or 0 for the full-resolution image.
     */
    static int closest(byte[] tiff, int width, int height) {
        return closest(TiffDirectory.read(java.nio.ByteBuffer.wrap(tiff)), width, height);
    }

    /** As above, from the file's directories as read before. */
    static int closest(TiffDirectory.Chain tiff, int width, int height) {
        if (tiff == null || !tiff.complete()) {
            return 0; // the full-resolution image, read and checked as before
        }
        try {
            List<TiffDirectory> chain = tiff.directories();
            TiffDirectory full = chain.get(0);
            int best = 0;
            long bestPixels = Long.MAX_VALUE;
            for (int i = 1; i < chain.size(); i++) {
                TiffDirectory level = chain.get(i);
                long w = level.integer(TiffDirectory.IMAGE_WIDTH, -1);
                long h = level.integer(TiffDirectory.IMAGE_LENGTH, -1);
                // Exactly "reduced resolution": not a transparency mask (bit 2) or a page.
                if (level.integer(TiffDirectory.NEW_SUBFILE_TYPE, 0) != REDUCED_RESOLUTION
                        || !sameSamples(full, level)
                        || w < width
                        || h < height
                        || w * h >= bestPixels
                        // The truncation check covers the first image only; an overview
                        // stored after it (gdaladdo's layout) may be cut off while the full
                        // image is whole, which is then read instead.
                        || !Truncation.tiffImageWhole(level)) {
                    continue;
                }
                best = i;
                bestPixels = w * h;
            }
            return best;
        } catch (RuntimeException malformed) {
            return 0; // the full-resolution image, read and checked as before
        }
    }

    private static boolean sameSamples(TiffDirectory a, TiffDirectory b) {
        return a.integer(PLANAR_CONFIGURATION, 1) == b.integer(PLANAR_CONFIGURATION, 1)
                && a.integer(SAMPLES_PER_PIXEL, 1) == b.integer(SAMPLES_PER_PIXEL, 1)
                && a.integer(BITS_PER_SAMPLE, 1) == b.integer(BITS_PER_SAMPLE, 1)
                && a.integer(SAMPLE_FORMAT, 1) == b.integer(SAMPLE_FORMAT, 1);
    }
}
