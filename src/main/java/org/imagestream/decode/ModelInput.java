package org.imagestream.decode;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The tensor a domain's model expects: geometry (height x width x channels), for remote sensing
 * which source bands become the channels and the divisor that turns raw samples into reflectance,
 * and an optional per-channel {@code (value - mean) / std} applied after the domain's own scaling
 * to [0, 1] (RGB / 255, reflectance, windowed DICOM). The job derives it from the model spec so the
 * decode stage never depends on the inference stage.
 *
 * @param bands 1-based source band numbers, or null for every band in file order
 * @param mean per-channel mean, or null for 0
 * @param std per-channel divisor, or null for 1
 */
public record ModelInput(
        int height,
        int width,
        int channels,
        int[] bands,
        float sampleScale,
        float[] mean,
        float[] std,
        DicomFrame frame,
        float[] stretch,
        SceneTiling tiling)
        implements Serializable {
    /** Sentinel-2 L2A digital numbers are reflectance x 10000. */
    public static final float SENTINEL2_REFLECTANCE_SCALE = 10000f;

    public ModelInput {
        if (height <= 0 || width <= 0 || channels <= 0) {
            throw new IllegalArgumentException(
                    "model input must be positive, got " + height + "x" + width + "x" + channels);
        }
        if (bands != null && bands.length != channels) {
            throw new IllegalArgumentException(
                    bands.length + " bands selected for " + channels + " channels");
        }
        if (stretch != null && !isValidStretch(stretch)) {
            throw new IllegalArgumentException(
                    "stretch must be two percentiles 0 <= low < high <= 100");
        }
        frame = frame == null ? DicomFrame.FIRST : frame;
        tiling = tiling == null ? SceneTiling.TILE : tiling;
        stretch = stretch == null ? null : stretch.clone();
        bands = bands == null ? null : bands.clone();
        mean = mean == null ? null : mean.clone();
        std = std == null ? null : std.clone();
    }

    /** Two percentiles {@code [low, high]} with {@code 0 <= low < high <= 100}. */
    public static boolean isValidStretch(float[] stretch) {
        return stretch.length == 2
                && stretch[0] >= 0
                && stretch[0] < stretch[1]
                && stretch[1] <= 100;
    }

    /**
     * Geometry only: every band, reflectance x 10000, no mean/std, first frame, no stretch, scenes
     * tiled.
     */
    public ModelInput(int height, int width, int channels) {
        this(height, width, channels, null, SENTINEL2_REFLECTANCE_SCALE, null, null);
    }

    /** First DICOM frame, no percentile stretch, scenes tiled. */
    public ModelInput(
            int height,
            int width,
            int channels,
            int[] bands,
            float sampleScale,
            float[] mean,
            float[] std) {
        this(
                height,
                width,
                channels,
                bands,
                sampleScale,
                mean,
                std,
                DicomFrame.FIRST,
                null,
                SceneTiling.TILE);
    }

    /** The same input with another tiling. */
    public ModelInput withTiling(SceneTiling tiling) {
        return new ModelInput(
                height, width, channels, bands, sampleScale, mean, std, frame, stretch, tiling);
    }

    /** The same input with another DICOM frame choice. */
    public ModelInput withFrame(DicomFrame frame) {
        return new ModelInput(
                height, width, channels, bands, sampleScale, mean, std, frame, stretch, tiling);
    }

    /** Values in one model input: height x width x channels. */
    public int size() {
        return height * width * channels;
    }

    /**
     * Remote sensing: maps each channel's {@code low}..{@code high} percentile (of this image) to
     * 0..1, clamping, after {@code sampleScale} and before mean/std. Null: no stretch.
     */
    float[] stretchValues(float[] values) {
        if (stretch == null) {
            return values;
        }
        int pixels = values.length / channels;
        float[] channel = new float[pixels];
        float[] low = new float[channels];
        float[] high = new float[channels];
        for (int c = 0; c < channels; c++) {
            for (int p = 0; p < pixels; p++) {
                channel[p] = values[p * channels + c];
            }
            java.util.Arrays.sort(channel);
            low[c] = channel[(int) Math.round(stretch[0] / 100.0 * (pixels - 1))];
            high[c] = channel[(int) Math.round(stretch[1] / 100.0 * (pixels - 1))];
        }
        return stretchValues(values, low, high);
    }

    /**
     * Maps each channel's {@code low[c]}..{@code high[c]} to 0..1, clamping (the scene's
     * percentiles, computed by the caller: a tile is stretched as its whole scene).
     */
    float[] stretchValues(float[] values, float[] low, float[] high) {
        for (int i = 0; i < values.length; i++) {
            int c = i % channels;
            float span = high[c] - low[c];
            values[i] = span > 0 ? Math.max(0f, Math.min(1f, (values[i] - low[c]) / span)) : 0f;
        }
        return values;
    }

    /** Applies the per-channel mean/std in place (HWC layout); a no-op when neither is set. */
    float[] normalize(float[] values) {
        if (mean == null && std == null) {
            return values;
        }
        for (int i = 0; i < values.length; i++) {
            int channel = i % channels;
            float value = values[i];
            if (mean != null) {
                value -= mean[channel];
            }
            if (std != null) {
                value /= std[channel];
            }
            values[i] = value;
        }
        return values;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ModelInput o
                && height == o.height
                && width == o.width
                && channels == o.channels
                && Arrays.equals(bands, o.bands)
                && sampleScale == o.sampleScale
                && Arrays.equals(mean, o.mean)
                && Arrays.equals(std, o.std)
                && frame == o.frame
                && Arrays.equals(stretch, o.stretch)
                && tiling == o.tiling;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {height, width, channels, Arrays.hashCode(bands)});
    }

    @Override
    public String toString() {
        return height
                + "x"
                + width
                + "x"
                + channels
                + (bands == null ? "" : " bands=" + Arrays.toString(bands))
                + (mean == null ? "" : " mean=" + Arrays.toString(mean))
                + (std == null ? "" : " std=" + Arrays.toString(std))
                + (frame == DicomFrame.FIRST ? "" : " frame=" + frame)
                + (stretch == null ? "" : " stretch=" + Arrays.toString(stretch))
                + (tiling == SceneTiling.TILE ? "" : " tiling=" + tiling);
    }
}
