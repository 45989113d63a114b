package org.imagestream.decode;

import java.io.Serializable;
import java.time.Duration;

/**
 * Limits checked from an image's header before its pixels are allocated, so a small file that
 * declares a huge raster (a decompression bomb) is refused as {@code TOO_LARGE} instead of
 * exhausting the TaskManager's heap, plus a CPU-time budget per image so a pathological file cannot
 * stall its partition ({@code TOO_SLOW}).
 *
 * <p>Pixel and band counts alone do not bound memory: a 2 MB tiled-Deflate GeoTIFF of 8192x8192
 * 13-band uint16 samples decodes to 1.7 GB. {@link #maxDecodeMemory} therefore bounds the heap one
 * image's decode may use, computed from the header before anything is allocated as width x height x
 * the bytes per pixel of every working copy the decode path really makes (see {@link
 * DecodeMemory}). Where the model resamples the image anyway, an image over that budget is read
 * subsampled ({@link #subsampling}) instead of refused.
 *
 * @param maxPixels width x height (x frames, for DICOM) at most
 * @param maxBands samples per pixel (bands, channels) at most
 * @param maxFrames frames a DICOM file may declare
 * @param maxParts tiles (remote sensing) or frames (medical, {@code frame: all}) one image is
 *     classified as; every part is a model input travelling with the record, so this bounds the
 *     record's size between the decode and classify stages
 * @param timeBudgetMillis CPU time one image may take to decode (CPU, not wall-clock, so a replay
 *     under catch-up load reaches the same verdict as the first run)
 * @param maxDecodeMemory heap bytes one image's decode may use, from its header
 */
public record DecodeLimits(
        long maxPixels,
        int maxBands,
        int maxFrames,
        int maxParts,
        long timeBudgetMillis,
        long maxDecodeMemory)
        implements Serializable {
    /** 64 MiB per image: see the default of {@code limits.max-decode-memory} for the arithmetic. */
    public static final long DEFAULT_MAX_DECODE_MEMORY = 64L * 1024 * 1024;

    /**
     * 64 megapixels, 32 bands, 1024 frames, 64 parts, 10 s of CPU per image, 64 MiB of heap per
     * image.
     */
    public static final DecodeLimits DEFAULT =
            new DecodeLimits(
                    64L * 1024 * 1024,
                    32,
                    1024,
                    64,
                    Duration.ofSeconds(10).toMillis(),
                    DEFAULT_MAX_DECODE_MEMORY);

    public DecodeLimits {
        if (maxPixels <= 0 || maxBands <= 0 || maxFrames <= 0 || maxParts <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
        if (timeBudgetMillis <= 0) {
            throw new IllegalArgumentException("the decode time budget must be positive");
        }
        if (maxDecodeMemory < 1024 * 1024) {
            throw new IllegalArgumentException(
                    "limits.max-decode-memory must be at least 1 MiB, was " + maxDecodeMemory);
        }
    }

    /** All limits but the decode memory, which is at its default. */
    public DecodeLimits(
            long maxPixels, int maxBands, int maxFrames, int maxParts, long timeBudgetMillis) {
        this(maxPixels, maxBands, maxFrames, maxParts, timeBudgetMillis, DEFAULT_MAX_DECODE_MEMORY);
    }

    /** Pixel and band limits; the other limits at their defaults. */
    public DecodeLimits(long maxPixels, int maxBands) {
        this(maxPixels, maxBands, DEFAULT.maxFrames, DEFAULT.maxParts, DEFAULT.timeBudgetMillis);
    }

    public DecodeLimits withTimeBudget(Duration budget) {
        return new DecodeLimits(
                maxPixels, maxBands, maxFrames, maxParts, budget.toMillis(), maxDecodeMemory);
    }

    public DecodeLimits withMaxDecodeMemory(long bytes) {
        return new DecodeLimits(maxPixels, maxBands, maxFrames, maxParts, timeBudgetMillis, bytes);
    }

    /**
     * Refuses a decode whose working set, computed from the header, is over {@link
     * #maxDecodeMemory}.
     */
    void checkMemory(long bytes, String what) throws DecodeException {
        if (bytes < 0 || bytes > maxDecodeMemory) {
            throw new DecodeException(
                    DecodeException.Reason.TOO_LARGE,
                    what
                            + " needs "
                            + (bytes < 0 ? "more than 8 EiB" : mebibytes(bytes))
                            + " of heap to decode, above the limit of "
                            + mebibytes(maxDecodeMemory)
                            + " (limits.max-decode-memory)");
        }
    }

    /**
     * The smallest source subsampling step (1 = every pixel) at which a {@code width x height}
     * image costing {@code bytesPerPixel} fits {@link #maxDecodeMemory}, for a model that resamples
     * it to {@code minWidth x minHeight} anyway; refuses the image when even that step would leave
     * it smaller than the model input.
     */
    int subsampling(
            long width, long height, long bytesPerPixel, int minWidth, int minHeight, String what)
            throws DecodeException {
        long step = 1;
        while (true) {
            long needed =
                    resampledBytes(ceilDiv(width, step), ceilDiv(height, step), bytesPerPixel);
            if (needed >= 0 && needed <= maxDecodeMemory) {
                return (int) step;
            }
            step++;
            if (ceilDiv(width, step) < Math.max(1, minWidth)
                    || ceilDiv(height, step) < Math.max(1, minHeight)) {
                checkMemory(resampledBytes(width, height, bytesPerPixel), what);
            }
        }
    }

    /** {@code width x height x bytesPerPixel}, or -1 when that overflows a long. */
    static long bytes(long width, long height, long bytesPerPixel) {
        try {
            return Math.multiplyExact(Math.multiplyExact(width, height), bytesPerPixel);
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /**
     * {@link #bytes} for an image that is resampled as a whole, plus what resampling holds per
     * source row and column ({@link DecodeMemory#PER_ROW_AND_COLUMN}: a 1 x 8,388,608 PNG of 16 KB
     * is within a pixel budget, not within its row arrays), or -1 when that overflows a long.
     */
    static long resampledBytes(long width, long height, long bytesPerPixel) {
        long pixels = bytes(width, height, bytesPerPixel);
        try {
            return pixels < 0
                    ? -1
                    : Math.addExact(
                            pixels,
                            Math.multiplyExact(
                                    Math.addExact(width, height), DecodeMemory.PER_ROW_AND_COLUMN));
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    private static long ceilDiv(long value, long divisor) {
        return (value + divisor - 1) / divisor;
    }

    static String mebibytes(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
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
