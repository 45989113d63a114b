package org.imagestream.decode;

import java.io.Serializable;

/**
 * Limits checked from an image's header before its pixels are allocated, so a small file that
 * declares a huge raster (a decompression bomb) is refused as {@code TOO_LARGE} instead of
 * exhausting the TaskManager's heap.
 *
 * @param maxPixels width x height x frames at most
 * @param maxBands samples per pixel (bands, channels) at most
 */
public record DecodeLimits(long maxPixels, int maxBands) implements Serializable {
    /** 64 megapixels (a 16-bit 13-band scene of that size is ~1.7 GB decoded), 32 bands. */
    public static final DecodeLimits DEFAULT = new DecodeLimits(64L * 1024 * 1024, 32);

    public DecodeLimits {
        if (maxPixels <= 0 || maxBands <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    void check(long width, long height, long bands, String what) throws DecodeException {
        if (width <= 0 || height <= 0) {
            throw new DecodeException(
                    DecodeException.Reason.CORRUPT,
                    what + " declares an empty raster " + width + "x" + height);
        }
        if (width * height > maxPixels) {
            throw new DecodeException(
                    DecodeException.Reason.TOO_LARGE,
                    what
                            + " declares "
                            + width
                            + "x"
                            + height
                            + " pixels, above the limit of "
                            + maxPixels
                            + " (limits.max-pixels)");
        }
        if (bands > maxBands) {
            throw new DecodeException(
                    DecodeException.Reason.TOO_LARGE,
                    what
                            + " declares "
                            + bands
                            + " bands, above the limit of "
                            + maxBands
                            + " (limits.max-bands)");
        }
    }
}
