package org.imagestream.decode;

import java.io.Serializable;
import java.time.Duration;

/**
 * Limits checked from an image's header before its pixels are allocated, so a small file that
 * declares a huge raster (a decompression bomb) is refused as {@code TOO_LARGE} instead of
 * exhausting the TaskManager's heap, plus a wall-clock budget per image so a pathological file
 * cannot stall its partition ({@code TOO_SLOW}).
 *
 * @param maxPixels width x height (x frames, for DICOM) at most
 * @param maxBands samples per pixel (bands, channels) at most
 * @param maxFrames frames a DICOM file may declare
 * @param maxParts tiles (remote sensing) or frames (medical, {@code frame: all}) one image is
 *     classified as; every part is a model input travelling with the record, so this bounds the
 *     record's size between the decode and classify stages
 * @param timeBudgetMillis wall-clock time one image may take to decode
 */
public record DecodeLimits(
        long maxPixels, int maxBands, int maxFrames, int maxParts, long timeBudgetMillis)
        implements Serializable {
    /**
     * 64 megapixels (a 16-bit 13-band scene of that size is ~1.7 GB decoded), 32 bands, 1024
     * frames, 64 parts, 10 s per image.
     */
    public static final DecodeLimits DEFAULT =
            new DecodeLimits(64L * 1024 * 1024, 32, 1024, 64, Duration.ofSeconds(10).toMillis());

    public DecodeLimits {
        if (maxPixels <= 0 || maxBands <= 0 || maxFrames <= 0 || maxParts <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
        if (timeBudgetMillis <= 0) {
            throw new IllegalArgumentException("the decode time budget must be positive");
        }
    }

    /** Pixel and band limits; the other limits at their defaults. */
    public DecodeLimits(long maxPixels, int maxBands) {
        this(maxPixels, maxBands, DEFAULT.maxFrames, DEFAULT.maxParts, DEFAULT.timeBudgetMillis);
    }

    public DecodeLimits withTimeBudget(Duration budget) {
        return new DecodeLimits(maxPixels, maxBands, maxFrames, maxParts, budget.toMillis());
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

    /** A DICOM header: frames, and width x height x frames against the pixel limit. */
    void checkFrames(long width, long height, long frames, String what) throws DecodeException {
        check(width, height, 1, what);
        if (frames > maxFrames) {
            throw new DecodeException(
                    DecodeException.Reason.TOO_LARGE,
                    what
                            + " declares "
                            + frames
                            + " frames, above the limit of "
                            + maxFrames
                            + " (limits.max-frames)");
        }
        if (width * height * frames > maxPixels) {
            throw new DecodeException(
                    DecodeException.Reason.TOO_LARGE,
                    what
                            + " declares "
                            + frames
                            + " frames of "
                            + width
                            + "x"
                            + height
                            + " pixels, above the limit of "
                            + maxPixels
                            + " pixels in all (limits.max-pixels)");
        }
    }

    void checkParts(long parts, String what) throws DecodeException {
        if (parts > maxParts) {
            throw new DecodeException(
                    DecodeException.Reason.TOO_LARGE,
                    what
                            + " would be classified as "
                            + parts
                            + " parts, above the limit of "
                            + maxParts
                            + " (limits.max-parts)");
        }
    }
}
